import { describe, expect, it } from 'vitest';
import { covers, lead3, rougeL, taskScores } from '../../scripts/eval-metrics';

describe('evaluation metrics', () => {
  it('computes ROUGE-L F1 on words for English and characters for Chinese', () => {
    expect(rougeL('the cat sat on the mat', 'the cat sat on the mat', 'en')).toBe(1);
    // LCS "the cat the mat" = 4 of 6 candidate and 5 reference words.
    expect(rougeL('the cat sat on the mat', 'the cat was under the mat', 'en')).toBeCloseTo(
      (2 * (4 / 6) * (4 / 6)) / (4 / 6 + 4 / 6),
    );
    expect(rougeL('加强组织领导。', '加强组织领导', 'zh')).toBe(1);
    expect(rougeL('完全无关', '加强组织领导', 'zh')).toBe(0);
  });

  it('counts a task as matching when it covers the reference heading', () => {
    expect(
      covers(
        { task: '统筹建设监管工作平台', quote: '（一）统筹建设监管工作平台' },
        '统筹建设监管工作平台',
      ),
    ).toBe(true);
    expect(covers({ task: '建设平台', quote: '建设平台' }, '统筹建设监管工作平台')).toBe(false);
    const scores = taskScores(
      [
        { task: '加强组织领导', quote: '' },
        { task: '总体要求', quote: '' },
      ],
      ['加强组织领导', '严格责任落实'],
    );
    expect(scores).toMatchObject({ recall: 0.5, precision: 0.5 });
  });

  it('takes the first three sentences as the Lead-3 baseline', () => {
    expect(lead3('One. Two! Three? Four.', 'en')).toBe('One. Two! Three?');
    expect(lead3('一。二！\n三？四。', 'zh')).toBe('一。二！三？');
  });
});
