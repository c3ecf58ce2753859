import { describe, expect, it } from 'vitest';
import {
  covers,
  fieldScores,
  lead3,
  rougeL,
  sameField,
  taskScores,
} from '../../scripts/eval-metrics';

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
  it('compares owners and deadlines as written, up to case, spaces, punctuation and a leading "the"', () => {
    expect(sameField('The parks department', 'the parks department')).toBe(true);
    expect(sameField('王磊、赵敏', '王磊 赵敏')).toBe(true);
    expect(sameField('by March', 'March')).toBe(false);
    expect(sameField(null, null)).toBe(true);
    expect(sameField('市水务局', null)).toBe(false);
  });

  it('scores an owner found when the task covering its action states it, and a stated owner right only when it is the expected one', () => {
    const expected = [
      { task: '落实防汛应急资金', owner: '市财政局', deadline: null },
      { task: '跟踪资金使用情况', owner: '市审计局', deadline: '月底前' },
      { task: '加强信息共享', owner: null, deadline: null },
    ];
    const predicted = [
      { task: '市财政局负责落实防汛应急资金', quote: '', owner: '市财政局', deadline: null },
      { task: '市审计局负责跟踪资金使用情况', quote: '', owner: '市财政局', deadline: '月底前' },
      { task: '加强信息共享', quote: '', owner: '市气象局', deadline: null },
      { task: '无关的任务', quote: '', owner: '办公室', deadline: '年底前' },
    ];
    expect(fieldScores(predicted, expected, 'owner')).toMatchObject({
      expected: 2,
      found: 1,
      predicted: 4,
      correct: 1,
    });
    expect(fieldScores(predicted, expected, 'deadline')).toMatchObject({
      expected: 1,
      found: 1,
      predicted: 2,
      correct: 1,
    });
  });
});
