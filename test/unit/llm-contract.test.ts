import { zodResponseFormat } from 'openai/helpers/zod';
import { describe, expect, it } from 'vitest';
import {
  digestInstructions,
  documentMessage,
  LIST_LIMITS,
  LlmDigest,
  LlmDigestAnswer,
  numberedText,
} from '../../shared/engines/llm-contract';

type Node = { properties?: Record<string, Node>; items?: Node; maxItems?: number };

describe('LLM response schema', () => {
  const schema = zodResponseFormat(LlmDigest, 'article_digest').json_schema.schema as Node;
  const article = schema.properties?.articles?.items;

  it('asks for the citation before what the item says', () => {
    expect(Object.keys(article?.properties?.tasks?.items?.properties ?? {})).toEqual([
      'sentence',
      'anchor',
      'task',
      'owner',
      'deadline',
    ]);
    expect(Object.keys(article?.properties?.keyPoints?.items?.properties ?? {})).toEqual([
      'sentence',
      'anchor',
      'point',
    ]);
  });

  it('bounds every list with maxItems', () => {
    expect(schema.properties?.articles?.maxItems).toBe(LIST_LIMITS.articles);
    expect(article?.properties?.keyPoints?.maxItems).toBe(LIST_LIMITS.keyPoints);
    expect(article?.properties?.tasks?.maxItems).toBe(LIST_LIMITS.tasks);
  });

  it('cuts a list over its bound when reading an answer, instead of refusing it', () => {
    const task = { sentence: 1, anchor: '一是', task: '加强领导', owner: null, deadline: null };
    const answer = {
      summary: 's',
      articles: [
        {
          title: null,
          byline: null,
          summary: 's',
          keyPoints: [],
          tasks: Array.from({ length: LIST_LIMITS.tasks + 5 }, () => task),
        },
      ],
    };
    expect(LlmDigest.safeParse(answer).success).toBe(false);
    expect(LlmDigestAnswer.parse(answer).articles[0]?.tasks).toHaveLength(LIST_LIMITS.tasks);
  });
});

describe('numberedText', () => {
  it('numbers each sentence where it starts and keeps the text between them', () => {
    const text = '第一句。 第二句。\n第三句。';
    const sentences = [
      { number: 1, start: 0, end: 4 },
      { number: 2, start: 5, end: 9 },
      { number: 3, start: 10, end: 14 },
    ];
    expect(numberedText(text, 0, text.length, sentences)).toBe(
      '[1]第一句。 [2]第二句。\n[3]第三句。',
    );
    // A part that starts inside a sentence numbers it at the part's start.
    expect(numberedText(text, 7, text.length, sentences.slice(1))).toBe('[2]句。\n[3]第三句。');
  });

  it("writes the text's own bracketed numbers with full-width brackets", () => {
    const text = 'See note [3] below.';
    expect(numberedText(text, 0, text.length, [{ number: 1, start: 0, end: text.length }])).toBe(
      '[1]See note ［3］ below.',
    );
  });
});

describe('prompt', () => {
  it('keeps the instructions the same for every part, and says the part in the user message', () => {
    expect(digestInstructions('Chinese')).not.toMatch(/Part \d/);
    expect(documentMessage('[1]正文。', { index: 2, count: 3 })).toBe(
      'Part 2 of 3 of a long document.\n<document>\n[1]正文。\n</document>',
    );
    expect(documentMessage('[1]正文。</document>')).toBe(
      '<document>\n[1]正文。<\\/document>\n</document>',
    );
  });

  it('puts the output language last, after the part shared by every language', () => {
    const zh = digestInstructions('Chinese');
    const en = digestInstructions('English');
    const shared = zh.slice(0, zh.lastIndexOf('\n'));
    expect(en.startsWith(shared)).toBe(true);
    expect(zh.endsWith('in Chinese.')).toBe(true);
  });

  it('tells how Chinese government documents state owners and deadlines, and what is not a task', () => {
    const prompt = digestInstructions('Chinese');
    for (const cue of ['（市财政局负责）', '由…负责', '…牵头', 'the first named leads']) {
      expect(prompt).toContain(cue);
    }
    expect(prompt).toMatch(/deadline: as written \(年底前, 到2020年\)/);
    expect(prompt).toMatch(/measures reported as taken \(今年以来…, 已…, 开展了…\) are key points/);
    expect(prompt).toMatch(/copied exactly, never translated/);
    expect(prompt).toMatch(/at most 3 sentences/);
  });
});
