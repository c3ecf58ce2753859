import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { countTokens } from 'gpt-tokenizer/encoding/o200k_base';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../shared/config';
import type { Format } from '../../shared/contract';
import { createEngine } from '../../shared/engines';
import { LIST_LIMITS } from '../../shared/engines/llm-contract';
import { type DigestBody, digestContent } from '../../shared/pipeline';
import {
  answerFrom,
  type FakeOpenAi,
  followSchema,
  type PlannedAnswer,
  type Responder,
  startFakeOpenAi,
  withExtraTasks,
} from '../support/fake-openai';
import { codePointSlice, squash } from '../support/fixtures';
import { SHORT_ARTICLE } from '../support/llm-handler';
import { longReport } from '../support/long-report';

const ROOT = resolve(import.meta.dirname, '../..');
const SHORT = SHORT_ARTICLE;
const SAMPLES = {
  '000': readFileSync(resolve(ROOT, 'samples/000_ec775d6fbf83bfac.txt'), 'utf8'),
  '004': readFileSync(resolve(ROOT, 'samples/004_9c44e55c456fc08c.txt'), 'utf8'),
};
const planned = (id: keyof typeof SAMPLES) =>
  JSON.parse(
    readFileSync(resolve(ROOT, `test/fixtures/llm/answer-${id}.json`), 'utf8'),
  ) as PlannedAnswer;

const tasksOf = (body: DigestBody) => body.articles.flatMap((a) => a.tasks);
const itemsOf = (body: DigestBody) => body.articles.flatMap((a) => [...a.keyPoints, ...a.tasks]);

describe('grounding of cited sentences at the HTTP boundary', () => {
  let llm: FakeOpenAi;

  beforeAll(async () => {
    llm = await startFakeOpenAi();
  });
  afterAll(async () => {
    await llm.close();
  });
  beforeEach(() => {
    llm.requests.length = 0;
    llm.billed.calls = 0;
    llm.billed.inputTokens = 0;
    llm.billed.outputTokens = 0;
    llm.respondWith(followSchema);
  });

  /** Digests `text` with the real OpenAI client talking to `server`. */
  async function digest(
    text: string,
    env: Record<string, string> = {},
    format: Format = 'text',
    server: FakeOpenAi = llm,
  ) {
    const config = parseConfig({
      OPENAI_API_KEY: 'sk-test',
      OPENAI_BASE_URL: server.baseURL,
      OPENAI_MAX_RETRIES: '0',
      OPENAI_TIMEOUT_MS: '5000',
      ...env,
    });
    return digestContent({ engine: await createEngine(config) }, text, format);
  }

  it('derives every quote and its offsets from the cited sentence of a scanned page', async () => {
    llm.respondWith(answerFrom(planned('000')));
    const source = SAMPLES['000'];
    const body = await digest(source);
    const plannedItems = planned('000').articles.flatMap((a) => [...a.keyPoints, ...a.tasks]);
    expect(itemsOf(body)).toHaveLength(plannedItems.length);
    expect(body.grounding).toMatchObject({ dropped: 0, unsupported: 0, duplicates: 0 });
    for (const { evidence } of itemsOf(body)) {
      expect(squash(codePointSlice(source, evidence.start, evidence.end))).toBe(
        squash(evidence.quote),
      );
    }
    // The quote starts at the anchor and runs to the end of its clause, across line breaks.
    const task = tasksOf(body).find((t) => t.task === '带头掀起学习贯彻全委会精神的高潮');
    expect(task?.evidence.quote.startsWith('工委办公室作为')).toBe(true);
    expect(task?.evidence.quote.endsWith('开花结果。')).toBe(true);
    expect(task?.owner).toBe('工委办公室');
  });

  it('indexes the raw page with the evidence of an HTML document', async () => {
    const page = `<html><body><h1>通知</h1><p>${SHORT}</p></body></html>`;
    const body = await digest(page, {}, 'html');
    expect(tasksOf(body)).toHaveLength(3);
    for (const { evidence } of tasksOf(body)) {
      expect(codePointSlice(page, evidence.start, evidence.end)).toBe(evidence.quote);
    }
  });

  it('spends at most 50 output tokens per grounded item on the samples, grounding every item', async () => {
    for (const id of ['000', '004'] as const) {
      llm.billed.outputTokens = 0;
      llm.respondWith(answerFrom(planned(id)));
      const body = await digest(SAMPLES[id]);
      const items = planned(id).articles.flatMap((a) => [...a.keyPoints, ...a.tasks]);
      expect(itemsOf(body), id).toHaveLength(items.length);
      expect(llm.billed.outputTokens / items.length, id).toBeLessThanOrEqual(50);
    }
  });

  it('drops and counts items citing a sentence that was not sent or an anchor not in it', async () => {
    llm.respondWith(
      withExtraTasks(
        { task: '加强组织领导', owner: null, deadline: null, sentence: 9, anchor: '一是加强' },
        { task: '加强组织领导', owner: null, deadline: null, sentence: 2, anchor: '一是加强' },
        { task: '加强组织领导', owner: null, deadline: null, sentence: 1.5, anchor: '一是加强' },
      ),
    );
    const body = await digest(SHORT);
    expect(tasksOf(body)).toHaveLength(3);
    expect(body.grounding).toMatchObject({ checked: 7, dropped: 3 });
  });

  it('keeps several tasks citing one sentence, and counts one that repeats another', async () => {
    llm.respondWith(
      withExtraTasks(
        { task: '加强组织领导', owner: null, deadline: null, sentence: 1, anchor: '一是加强' },
        { task: '明确责任分工', owner: null, deadline: null, sentence: 1, anchor: '明确责任' },
        // What the model already said of this sentence, said again.
        {
          task: '加强组织领导，明确责任分工',
          owner: null,
          deadline: null,
          sentence: 1,
          anchor: '一是加强',
        },
      ),
    );
    const body = await digest(SHORT);
    const tasks = tasksOf(body);
    // Before: one task per evidence span, so the first two were lost and not counted.
    expect(tasks.map((t) => t.task)).toEqual([
      '加强组织领导，明确责任分工',
      '由市财政局负责，年底前落实配套资金',
      '做好宣传引导',
      '加强组织领导',
      '明确责任分工',
    ]);
    expect(tasks[3]?.evidence).toEqual(tasks[0]?.evidence);
    expect(tasks[4]?.evidence.quote).toBe('明确责任分工。');
    expect(body.grounding).toMatchObject({ dropped: 0, duplicates: 1 });
  });

  it('keeps a task that two parts of a long document both state', async () => {
    const filler = '会议要求各单位认真贯彻落实会议精神，结合实际抓好各项工作。'.repeat(12);
    const text = `${filler}\n一是抓好安全生产工作。\n${filler}\n一是抓好安全生产工作。`;
    const body = await digest(text, { LLM_CHUNK_TOKENS: '400' });
    expect(llm.requests.filter((r) => r.schema === 'article_digest')).toHaveLength(2);
    const safety = tasksOf(body).filter((t) => t.task === '抓好安全生产工作');
    // Before: the merge of the parts kept one task per text.
    expect(safety).toHaveLength(2);
    expect(safety[0]?.evidence.start).not.toBe(safety[1]?.evidence.start);
  });

  it('grounds an anchor that ends in an ellipsis on what precedes it', async () => {
    llm.respondWith(
      withExtraTasks({
        task: '落实配套资金',
        owner: '市财政局',
        deadline: '年底前',
        sentence: 2,
        anchor: '年底前落实……',
      }),
    );
    const body = await digest(SHORT);
    expect(tasksOf(body).at(-1)).toMatchObject({
      task: '落实配套资金',
      owner: '市财政局',
      deadline: '年底前',
      evidence: { quote: '年底前落实配套资金。' },
    });
    expect(body.grounding.dropped).toBe(0);
  });

  it('keeps evidence in the source language when the output is translated, and drops a translated anchor', async () => {
    const translating: Responder = () => ({
      json: {
        summary: 'The meeting set out three tasks.',
        articles: [
          {
            title: null,
            byline: null,
            summary: 'The meeting set out three tasks.',
            keyPoints: [],
            tasks: [
              {
                sentence: 1,
                anchor: '一是加强',
                task: 'Strengthen organisational leadership',
                owner: null,
                deadline: null,
              },
              {
                sentence: 2,
                anchor: 'Second, the',
                task: 'Secure matching funds',
                owner: null,
                deadline: null,
              },
            ],
          },
        ],
      },
    });
    llm.respondWith(translating);
    const body = await digest(SHORT, { OUTPUT_LANGUAGE: 'en' });
    expect(llm.requests[0]?.instructions).toMatch(/copied exactly, never translated/);
    expect(llm.requests[0]?.instructions).toMatch(/key points and tasks in English\.$/);
    expect(tasksOf(body)).toMatchObject([
      {
        task: 'Strengthen organisational leadership',
        evidence: { quote: '一是加强组织领导，明确责任分工。' },
      },
    ]);
    expect(body.grounding.dropped).toBe(1);
  });

  it('says a digest is unreliable when more than a quarter of its items were left out', async () => {
    const made = { task: '建设人工智能产业园', owner: null, deadline: null } as const;
    llm.respondWith(
      withExtraTasks(
        { ...made, quote: '建设人工智能产业园' },
        { ...made, sentence: 7, anchor: '建设' },
      ),
    );
    const shaky = await digest(SHORT);
    // 1 key point and 5 tasks checked, 2 left out: a third.
    expect(shaky.grounding).toMatchObject({ checked: 6, dropped: 2, unreliable: true });
    llm.respondWith(followSchema);
    expect((await digest(SHORT)).grounding.unreliable).toBe(false);
  });

  it('sends the same instructions for every part of a long document, the part in the user message', async () => {
    await digest(longReport(), { LLM_CHUNK_TOKENS: '12000' });
    const mapped = llm.requests.filter((r) => r.schema === 'article_digest');
    expect(mapped.map((r) => r.part)).toEqual([
      { index: 1, count: 2 },
      { index: 2, count: 2 },
    ]);
    expect(new Set(mapped.map((r) => r.instructions)).size).toBe(1);
    // Sentences are numbered across the document, so each part's numbers go on from the last.
    const last = mapped[0]?.sentences.at(-1)?.number ?? 0;
    expect(mapped[1]?.sentences[0]?.number).toBe(last + 1);
    // And the same for another document in the same language.
    await digest(SHORT);
    expect(llm.requests.at(-1)?.instructions).toBe(mapped[0]?.instructions);
  });

  it('keeps the lead department a Chinese government document names as the owner', async () => {
    const text =
      '（四）优化产业布局。鼓励企业兼并重组，年底前完成首批项目。（市发展改革委牵头，市财政局、市工业和信息化局配合）';
    llm.respondWith(() => ({
      json: {
        summary: '优化产业布局。',
        articles: [
          {
            title: null,
            byline: null,
            summary: '优化产业布局。',
            keyPoints: [],
            tasks: [
              {
                sentence: 2,
                anchor: '鼓励企业',
                task: '鼓励企业兼并重组',
                owner: '市发展改革委',
                deadline: '年底前',
              },
            ],
          },
        ],
      },
    }));
    const body = await digest(text);
    expect(tasksOf(body)).toMatchObject([
      { task: '鼓励企业兼并重组', owner: '市发展改革委', deadline: '年底前' },
    ]);
    expect(body.grounding.unsupportedFields).toBe(0);
  });

  it('cuts a list over its bound in one call on a server that takes the schema in the prompt', async () => {
    const plain = await startFakeOpenAi(followSchema, { mode: 'no-json-schema' });
    try {
      const many = Array.from({ length: LIST_LIMITS.tasks + 20 }, () => ({
        task: '做好宣传引导',
        owner: null,
        deadline: null,
        sentence: 3,
        anchor: '三是做好',
      }));
      plain.respondWith(withExtraTasks(...many));
      const body = await digest(SHORT, {}, 'text', plain);
      // Before the bound was read, such an answer was paid for and its list taken whole.
      expect(plain.billed.calls).toBe(1);
      expect(plain.requests.at(-1)?.instructions).toContain(`"maxItems":${LIST_LIMITS.tasks}`);
      expect(body.grounding.checked).toBe(1 + LIST_LIMITS.tasks);
    } finally {
      await plain.close();
    }
  });

  it('numbers sentences at a cost of a few percent of the input', async () => {
    await digest(SAMPLES['000']);
    const request = llm.requests[0];
    const user = request?.body.messages.find((m) => m.role === 'user')?.content ?? '';
    const numbers = countTokens(user) - countTokens(user.replace(/\[\d+\]/g, ''));
    expect(numbers).toBeGreaterThan(0);
    expect(numbers / countTokens(request?.document ?? '')).toBeLessThan(0.08);
  });
});
