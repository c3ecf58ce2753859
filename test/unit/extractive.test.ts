import { describe, expect, it } from 'vitest';
import { createExtractiveEngine } from '../../shared/engines/extractive';
import { prepare } from '../support/documents';
import { SAMPLE_000, SAMPLE_004, sampleText } from '../support/fixtures';

const engine = createExtractiveEngine();

async function tasksOf(text: string): Promise<string[]> {
  const result = await engine.digest(prepare(text));
  return result.articles.flatMap((a) => a.tasks.map((t) => t.task));
}

describe('extractive engine', () => {
  it('finds the 一是…四是 tasks of both articles on sample 000', async () => {
    const tasks = await tasksOf(sampleText(SAMPLE_000));
    for (const expected of [
      '当好服务决策的“参谋部”',
      '用好改革创新的“冲击钻”',
      '用好督查考核的“指挥棒”',
      '当好综合协调的“联络员”',
      '不折不扣落实全面从严治党政治责任',
      '围绕新区中心工作强化监督',
      '坚决治理形式主义官僚主义',
    ]) {
      expect(tasks).toContain(expected);
    }
    expect(tasks.some((t) => t.startsWith('护航政务新生态'))).toBe(true);
  });

  it('finds the 抓… series of sample 004, including those after inline headings', async () => {
    const tasks = await tasksOf(sampleText(SAMPLE_004));
    expect(tasks).toEqual(
      expect.arrayContaining([
        '抓干部教育',
        '抓作风建设',
        '抓查办案件',
        '抓用人导向',
        '抓规矩建设',
        '抓监督落实',
        '抓责任落实',
      ]),
    );
  });

  it('reads English numbered and bulleted lists, with owners and deadlines', async () => {
    const text = [
      'Council approves flood plan',
      '',
      'The council approved its flood plan on Monday after a long debate.',
      '1. The highways team will clear all drains by March 2027.',
      '2. Residents must register for flood alerts.',
      '3. The budget office will publish quarterly costs.',
    ].join('\n');
    const result = await engine.digest(prepare(text));
    const tasks = result.articles[0]?.tasks ?? [];
    expect(tasks.map((t) => t.task)).toEqual([
      'The highways team will clear all drains by March 2027',
      'Residents must register for flood alerts',
      'The budget office will publish quarterly costs',
    ]);
    expect(tasks[0]?.deadline).toBe('by March 2027');
  });

  it('finds owners and deadlines stated in Chinese', async () => {
    const text = '一是由市交通局牵头，年底前完成道路改造。二是完善考核办法。';
    const result = await engine.digest(prepare(text));
    const [first, second] = result.articles[0]?.tasks ?? [];
    expect(first?.owner).toBe('市交通局');
    expect(first?.deadline).toBe('年底前');
    expect(second).toMatchObject({ task: '完善考核办法', owner: null, deadline: null });
  });

  it('does not take a lone ordinal for an enumeration', async () => {
    expect(await tasksOf('一是一个好的开始。后来就没有下文了。')).toEqual([]);
  });

  it('writes a summary from source sentences, within its length budget', async () => {
    const source = sampleText(SAMPLE_000);
    const { summary } = await engine.digest(prepare(source));
    expect(summary.length).toBeGreaterThan(40);
    expect(summary.length).toBeLessThanOrEqual(260);
    const flat = source.replace(/\s+/g, '');
    for (const sentence of summary.split(/(?<=。)/))
      expect(flat).toContain(sentence.replace(/\s+/g, ''));
  });
});
