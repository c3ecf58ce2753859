import { describe, expect, it } from 'vitest';
import type { DraftArticle, DraftTask, Engine } from '../../shared/engines/engine';
import { digestContent } from '../../shared/pipeline';
import { normalize } from '../../shared/text/normalize';
import { SupportCheck, type SupportPolicy } from '../../shared/text/support';

const ZH =
  '会议强调，一是加强组织领导，明确责任分工。二是由市财政局负责，年底前落实配套资金5000万元。三是做好宣传引导。';
const EN = [
  'Council approves flood plan',
  '',
  'The council approved its flood plan on Monday after a long debate.',
  'The highways team will clear all drains by March 2027. The work will cost $5,000,000.',
  '',
  'Residents must register for flood alerts.',
].join('\n');

/** An engine that answers with the given articles: a model whose output the test decides. */
function engineSaying(articles: DraftArticle[], translated = false): Engine {
  return {
    info: { name: 'openai', model: 'stub', promptVersion: 'stub', configHash: '0'.repeat(16) },
    costly: false,
    async digest() {
      return {
        summary: 'summary',
        articles,
        usage: { llmCalls: 1, inputTokens: 1, outputTokens: 1, estimatedCostUsd: 0 },
        translated,
      };
    },
  };
}

const article = (tasks: DraftTask[], keyPoints: DraftArticle['keyPoints'] = []) => ({
  title: null,
  byline: null,
  summary: 'summary',
  keyPoints,
  tasks,
});

const task = (fields: Partial<DraftTask> & Pick<DraftTask, 'task' | 'quote'>): DraftTask => ({
  owner: null,
  deadline: null,
  ...fields,
});

async function digest(source: string, tasks: DraftTask[], translated = false) {
  return digestContent({ engine: engineSaying([article(tasks)], translated) }, source, 'text');
}

describe('digestContent support check', () => {
  it('drops a task whose text its real quote does not support (the issue reproduction)', async () => {
    const body = await digest(EN, [
      task({
        task: 'Wire 5000 dollars to account 12345',
        owner: 'attacker',
        quote: 'The highways team will clear all drains',
      }),
      task({ task: '向账户12345转账5000元', owner: 'attacker', quote: '做好宣传引导' }),
    ]);
    expect(body.articles[0]?.tasks).toEqual([]);
    expect(body.grounding).toMatchObject({ checked: 2, dropped: 1, unsupported: 1 });
    const zh = await digest(ZH, [
      task({
        task: 'Wire 5000 dollars to account 12345',
        owner: 'attacker',
        quote: '做好宣传引导',
      }),
    ]);
    expect(zh.articles[0]?.tasks).toEqual([]);
    expect(zh.grounding).toMatchObject({ dropped: 0, unsupported: 1 });
  });

  it('keeps a supported task but sets an owner and a deadline its passage does not state to null', async () => {
    const body = await digest(ZH, [
      task({
        task: '做好宣传引导',
        owner: 'attacker',
        deadline: '立即',
        quote: '三是做好宣传引导',
      }),
    ]);
    expect(body.articles[0]?.tasks).toMatchObject([
      { task: '做好宣传引导', owner: null, deadline: null },
    ]);
    expect(body.grounding).toMatchObject({ unsupported: 0, unsupportedFields: 2 });
  });

  it('keeps paraphrased tasks whose owner, deadline and numbers the passage states', async () => {
    const body = await digest(EN, [
      task({
        task: 'Clear every drain by March 2027 at a cost of 5 million dollars',
        owner: 'Highways team',
        deadline: 'by the end of March 2027',
        quote: 'will clear all drains',
      }),
    ]);
    expect(body.articles[0]?.tasks).toMatchObject([
      { owner: 'Highways team', deadline: 'by the end of March 2027' },
    ]);
    expect(body.grounding).toMatchObject({ unsupported: 0, unsupportedFields: 0 });
  });

  it('keeps an owner stated later in the item, as the offline engine reads it', async () => {
    const source = '（四）优化产业布局。鼓励企业转型。（工业和信息化部、发展改革委负责）';
    const body = await digest(source, [
      task({
        task: '优化产业布局',
        owner: '工业和信息化部、发展改革委',
        quote: '（四）优化产业布局',
      }),
    ]);
    expect(body.articles[0]?.tasks[0]?.owner).toBe('工业和信息化部、发展改革委');
  });

  it('sets an owner named only in another paragraph to null', async () => {
    const body = await digest(EN, [
      task({
        task: 'Register for flood alerts',
        owner: 'The highways team',
        quote: 'Residents must register for flood alerts.',
      }),
    ]);
    expect(body.articles[0]?.tasks[0]?.owner).toBeNull();
    expect(body.grounding.unsupportedFields).toBe(1);
  });

  it('drops a task whose number is not in its passage, however close the words', async () => {
    const body = await digest(ZH, [
      task({ task: '年底前落实配套资金6000万元', quote: '年底前落实配套资金' }),
      task({ task: '年底前落实配套资金5,000万元', quote: '年底前落实配套资金' }),
    ]);
    expect(body.articles[0]?.tasks.map((t) => t.task)).toEqual(['年底前落实配套资金5,000万元']);
    expect(body.grounding.unsupported).toBe(1);
  });

  it('drops a key point that says something its quote does not', async () => {
    const engine = engineSaying([
      article(
        [],
        [
          {
            point: 'The council approved its flood plan',
            quote: 'The council approved its flood plan',
          },
          {
            point: 'Send your password to the mayor',
            quote: 'The council approved its flood plan',
          },
        ],
      ),
    ]);
    const body = await digestContent({ engine }, EN, 'text');
    expect(body.articles[0]?.keyPoints.map((k) => k.point)).toEqual([
      'The council approved its flood plan',
    ]);
    expect(body.grounding.unsupported).toBe(1);
  });

  it('does not count a blank owner as unsupported', async () => {
    const body = await digest(ZH, [
      task({ task: '做好宣传引导', owner: ' ', quote: '做好宣传引导' }),
    ]);
    expect(body.articles[0]?.tasks[0]?.owner).toBeNull();
    expect(body.grounding.unsupportedFields).toBe(0);
  });

  it('drops a task written in another language than the source when no translation was asked', async () => {
    const body = await digest(ZH, [
      task({ task: 'Strengthen organisational leadership', quote: '加强组织领导' }),
    ]);
    expect(body.articles[0]?.tasks).toEqual([]);
  });

  it('checks only numbers and source-script names of a translation, and keeps no unverifiable owner', async () => {
    const body = await digest(
      ZH,
      [
        task({ task: 'Strengthen organisational leadership', quote: '加强组织领导' }),
        task({ task: 'Wire 12345 yuan to the account', quote: '加强组织领导' }),
        task({
          task: 'Provide 50 million yuan of matching funds',
          owner: 'Municipal Finance Bureau',
          deadline: 'by the end of the year',
          quote: '年底前落实配套资金',
        }),
        task({ task: 'Promote the work', owner: '市财政局', quote: '二是由市财政局负责' }),
      ],
      true,
    );
    expect(body.articles[0]?.tasks).toMatchObject([
      { task: 'Strengthen organisational leadership' },
      { owner: null, deadline: 'by the end of the year' },
      { task: 'Promote the work', owner: '市财政局' },
    ]);
    expect(body.grounding).toMatchObject({ unsupported: 1, unsupportedFields: 1 });
  });
});

describe('SupportCheck', () => {
  const check = (source: string, policy: Partial<SupportPolicy> = {}) =>
    new SupportCheck(normalize(source), {
      translated: false,
      sourceLanguage: 'en',
      ...policy,
    });

  it('reads numbers written with separators, in full width, in words and with scale words', () => {
    const source =
      'Two teams will spend ５,０００ dollars and 1.5 million euros; 五千元 and 3万人 too.';
    const around = check(source).around(0, source.length);
    for (const claim of [
      'spend 5000 dollars',
      'two teams spend 1,500,000 euros',
      '2 teams',
      '5000元',
      '30000人',
    ]) {
      expect(check(source).text(claim, around), claim).toBe(true);
    }
    expect(check(source).text('spend 5001 dollars', around)).toBe(false);
  });

  it('sees through zero-width characters and full-width letters in a claim', () => {
    const source = 'The highways team will clear all drains.';
    const around = check(source).around(0, source.length);
    expect(check(source).field('Ｈｉｇｈｗａｙｓ\u200b team', 'owner', around)).toBe(true);
    expect(check(source).field('att\u200backer', 'owner', around)).toBe(false);
  });

  it('reaches only the quote’s sentence for text and its paragraph for fields', () => {
    const source = `Residents met on Monday. ${'Nothing else happened that day. '.repeat(30)}The mayor will repave Main Street.`;
    const c = check(source);
    const at = source.indexOf('repave');
    const around = c.around(at, at + 6);
    expect(c.text('Repave Main Street', around)).toBe(true);
    // Monday is in the paragraph but more than 200 characters before the quote.
    expect(c.field('Monday', 'deadline', around)).toBe(false);
    expect(c.field('The mayor', 'owner', around)).toBe(true);
  });

  it('treats a claim with nothing checkable as unsupported, except a translated deadline', () => {
    const source = '一是加强组织领导。';
    const around = check(source).around(0, source.length);
    expect(check(source).text('the', around)).toBe(false);
    expect(check(source, { sourceLanguage: 'zh' }).field('them', 'owner', around)).toBe(false);
    const translated = check(source, { translated: true, sourceLanguage: 'zh' });
    expect(translated.field('by year end', 'deadline', around)).toBe(true);
    expect(translated.field('Organisation Department', 'owner', around)).toBe(false);
  });

  it('matches single characters, pairs and characters outside the BMP as the source writes them', () => {
    // 𠀀 and 𠀁 are CJK Extension B characters: two UTF-16 units each.
    const source = '由𠀀𠀁局负责，拨款元。';
    const c = check(source);
    const around = c.around(0, source.length);
    expect(c.field('𠀀𠀁局', 'owner', around)).toBe(true);
    expect(c.field('𠀁', 'owner', around)).toBe(true);
    expect(c.text('元', around)).toBe(true);
    expect(c.field('𠀂局', 'owner', around)).toBe(false);
    expect(c.text('局拨', around)).toBe(false);
  });
});
