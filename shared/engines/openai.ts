import { createHash } from 'node:crypto';
import OpenAI from 'openai';
import { zodResponseFormat } from 'openai/helpers/zod';
import * as z from 'zod';
import type { LlmSettings, PriceTable } from '../config';
import type { EngineInfo, Usage } from '../contract';
import { DigestError, DocumentError, TransientError } from '../errors';
import { chunkText } from '../text/chunk';
import { findAnchor } from '../text/grounding';
import type { Normalized } from '../text/normalize';
import { splitSentences } from '../text/segment';
import type { TimeLimit } from '../time-limit';
import {
  configHash,
  type DraftArticle,
  type Engine,
  type EngineResult,
  type PreparedDocument,
  type Quoted,
} from './engine';
import {
  digestInstructions,
  documentMessage,
  LlmDigest,
  LlmDigestAnswer,
  LlmReduce,
  MARKER_ALLOWANCE,
  numberedText,
  outputLanguage,
  PROMPT_VERSION,
  reduceInstructions,
  reduceMessage,
} from './llm-contract';
import { priceFor } from './prices';
import { ProviderProfile, unwrapJson } from './providers';
import { loadTokenCounter } from './tokens';

/** Re-exported so the engine's loader sizes parts from this bundle, not the handler's. */
export { partTokens } from './providers';

export interface OpenAiEngineOptions {
  /** A configured client: timeout and retries sized to the function's time budget. */
  client: OpenAI;
  model: string;
  settings: LlmSettings;
}

/**
 * Builds the client for the engine. `timeoutMs` bounds each request; `maxRetries` is the SDK's own
 * retry with backoff on connection errors, 408, 409, 429 (honouring retry-after) and 5xx, so
 * nothing here retries those again. `fetch` is injectable for tests at the HTTP boundary.
 */
export function createOpenAiClient(options: {
  apiKey: string;
  baseURL?: string | undefined;
  timeoutMs: number;
  maxRetries: number;
}): OpenAI {
  return new OpenAI({
    apiKey: options.apiKey,
    baseURL: options.baseURL,
    timeout: options.timeoutMs,
    maxRetries: options.maxRetries,
  });
}

/** Response formats, built on first use (converting a schema costs a few milliseconds). */
const formats = new Map<string, ReturnType<typeof zodResponseFormat>>();
const responseFormat = (schema: z.ZodType, name: string) => {
  let format = formats.get(name);
  if (!format) {
    format = zodResponseFormat(schema, name);
    formats.set(name, format);
  }
  return format;
};

/**
 * The two answers the engine asks for: a digest of a document or part, and the reduce step.
 * `read` is what an answer is parsed with, where it is more forgiving than what is asked for.
 */
const DIGEST = { schema: LlmDigest, read: LlmDigestAnswer, name: 'article_digest' } as const;
const REDUCE = { schema: LlmReduce, name: 'digest_reduce' } as const;

/** A sentence of the normalized text, numbered from 1 as the model sees it. */
interface NumberedSentence {
  number: number;
  start: number;
  end: number;
}

/** What one call carries: a range of the normalized text and the sentences in it. */
interface Part {
  start: number;
  end: number;
  sentences: NumberedSentence[];
}

/**
 * The longest quote derived from a citation, in UTF-16 units: a clause of real prose is far
 * shorter, and the support check reads 300 units either side of a quote anyway.
 */
const MAX_DERIVED_QUOTE = 300;

type Message = { role: 'system' | 'user'; content: string };

/** Token and call counts of one document, across every call made for it. */
/** One document's run: what it spent, and the time it has (its calls end when that passes). */
class Meter {
  constructor(readonly timeLimit: TimeLimit) {}
  calls = 0;
  inputTokens = 0;
  outputTokens = 0;
  /** Tokens billed at another price (a batch's), and what they cost. */
  billedInputTokens = 0;
  billedOutputTokens = 0;
  billedCostUsd = 0;

  /** Adds a call paid elsewhere (a batch), at the price it was billed. */
  addBilled(billed: BatchBilled) {
    this.calls++;
    this.inputTokens += billed.inputTokens;
    this.outputTokens += billed.outputTokens;
    this.billedInputTokens += billed.inputTokens;
    this.billedOutputTokens += billed.outputTokens;
    this.billedCostUsd += billed.costUsd ?? 0;
  }

  usage(model: string, prices: PriceTable): Usage {
    const price = priceFor(model, prices);
    const cost = price
      ? ((this.inputTokens - this.billedInputTokens) * price.input +
          (this.outputTokens - this.billedOutputTokens) * price.output) /
          1_000_000 +
        this.billedCostUsd
      : null;
    return {
      llmCalls: this.calls,
      inputTokens: this.inputTokens,
      outputTokens: this.outputTokens,
      estimatedCostUsd: cost === null ? null : Math.round(cost * 1e6) / 1e6,
    };
  }
}

/** The engine's identity and configuration hash, without a client (what backfill compares). */
export function openAiEngineInfo(model: string, settings: LlmSettings): EngineInfo {
  return {
    name: 'openai',
    model,
    promptVersion: PROMPT_VERSION,
    configHash: configHash({
      engine: 'openai',
      model,
      promptVersion: PROMPT_VERSION,
      outputLanguage: settings.outputLanguage,
      chunkTokens: settings.chunkTokens,
      maxOutputTokens: settings.maxOutputTokens,
      // How the server is asked: both change what it answers.
      temperature: settings.temperature,
      reasoningEffort: settings.reasoningEffort,
    }),
  };
}

/**
 * The LLM engine: one structured-output call for a document that fits the per-call budget;
 * otherwise one call per sentence-aligned part, each told the summary of the parts before it.
 * Quotes come back verbatim and are grounded by the pipeline; nothing here trusts them.
 */
export function createOpenAiEngine(options: OpenAiEngineOptions): Engine {
  const { client, model, settings } = options;
  const info = openAiEngineInfo(model, settings);
  // How this server takes a request; what it learns (no JSON schemas) lasts as long as the engine.
  const profile = new ProviderProfile({ provider: 'openai', ...settings });

  const call = async <T>(
    meter: Meter,
    messages: Message[],
    answer: { schema: z.ZodType<T>; read?: z.ZodType<T>; name: string },
  ): Promise<T> => {
    // One repair attempt for an answer that is not valid JSON of the requested shape.
    for (let attempt = 1; ; attempt++) {
      const completion = await profile.send((body) => create(client, meter, body), {
        model,
        messages,
        response_format: responseFormat(answer.schema, answer.name),
      });
      const choice = completion.choices[0];
      if (choice?.message.refusal) {
        throw new DocumentError('llm_refusal', 'The model refused to digest this document.');
      }
      if (choice?.finish_reason === 'content_filter') {
        throw new DocumentError('llm_refusal', "The provider's content filter stopped the answer.");
      }
      if (choice?.finish_reason === 'length') throw new TruncatedAnswer();
      const parsed = parseAnswer(choice?.message.content ?? '', answer.read ?? answer.schema);
      if (parsed.ok) return parsed.value;
      if (attempt >= 2) {
        throw new DocumentError(
          'llm_invalid_output',
          `The model's answer did not match the requested format twice (${parsed.problem}).`,
        );
      }
    }
  };

  /** Digests one part; an answer cut off at the output limit is asked again in halves, once. */
  const digestPart = async (
    meter: Meter,
    part: Part,
    context: PartContext,
    canSplit: boolean,
  ): Promise<LlmDigest> => {
    try {
      return await call(
        meter,
        [
          { role: 'system', content: digestInstructions(context.language) },
          { role: 'user', content: partMessage(context.text, part, context.part) },
        ],
        DIGEST,
      );
    } catch (error) {
      if (!(error instanceof TruncatedAnswer)) throw error;
      const halves = canSplit ? halve(part) : [];
      if (halves.length < 2) {
        throw new DocumentError(
          'llm_invalid_output',
          `The model's answer was cut off at the output limit (${settings.maxOutputTokens} tokens).`,
        );
      }
      const answers: LlmDigest[] = [];
      for (const half of halves) answers.push(await digestPart(meter, half, context, false));
      const joiner = context.sourceLanguage === 'zh' ? '' : ' ';
      return {
        summary: answers.map((a) => a.summary).join(joiner),
        articles: mergeArticles(answers.map((a) => a.articles)).map(
          ({ partSummaries, ...article }) => ({ ...article, summary: partSummaries.join(joiner) }),
        ),
      };
    }
  };

  /**
   * The reduce step: one short call over the parts' summaries, for the summary of the whole
   * document and of each article. An answer that never validates falls back to the parts' own
   * summaries joined, rather than losing the digest of every part.
   */
  const reduce = async (
    meter: Meter,
    language: string,
    sourceLanguage: string,
    partSummaries: string[],
    articles: Array<{ title: string | null; summaries: string[] }>,
  ): Promise<LlmReduce> => {
    const joiner = sourceLanguage === 'zh' ? '' : ' ';
    try {
      return await call(
        meter,
        [
          { role: 'system', content: reduceInstructions(language) },
          { role: 'user', content: reduceMessage(partSummaries, articles) },
        ],
        REDUCE,
      );
    } catch (error) {
      if (!(error instanceof TruncatedAnswer) && !isInvalidOutput(error)) throw error;
      return {
        summary: partSummaries.join(joiner),
        articles: articles.map((a, i) => ({ index: i + 1, summary: a.summaries.join(joiner) })),
      };
    }
  };

  return {
    info,
    costly: true,
    async digest(document): Promise<EngineResult> {
      const { language, parts } = await planParts(document, settings);
      const { normalized } = document;
      // Map: each part digested on its own (a part answered in an earlier try is taken from the
      // checkpoints, not paid again); reduce: one short call over the part summaries, so the
      // summaries of the document and its articles draw on every part.
      const meter = new Meter(document.timeLimit);
      try {
        const answers: LlmDigest[] = [];
        const drafts: DraftArticle[][] = [];
        const batched: Array<{ name: string; answer: LlmDigest }> = [];
        for (const [i, { part, context, name }] of parts.entries()) {
          document.timeLimit.check(`digesting part ${i + 1} of ${parts.length}`);
          const stored = await document.checkpoints?.read(name);
          const saved = LlmDigest.safeParse(stored);
          // An answer a batch paid for is on record at the price it was billed, once per digest.
          const billed = saved.success ? BatchBilled.safeParse(billedOf(stored)) : null;
          if (billed?.success && saved.success) {
            meter.addBilled(billed.data);
            batched.push({ name, answer: saved.data });
          }
          const answer = saved.success ? saved.data : await digestPart(meter, part, context, true);
          if (!saved.success && parts.length > 1) await document.checkpoints?.write(name, answer);
          answers.push(answer);
          drafts.push(answer.articles.map((a) => toDraft(a, citations(normalized, part))));
        }
        const merged = mergeArticles(drafts);
        let summary = answers[0]?.summary ?? '';
        if (parts.length > 1) {
          document.timeLimit.check('summarizing the parts');
          const reduced = await reduce(
            meter,
            language,
            document.language,
            answers.map((a) => a.summary),
            merged.map((a) => ({ title: a.title, summaries: a.partSummaries })),
          );
          summary = reduced.summary;
          for (const { index, summary: articleSummary } of reduced.articles) {
            const article = merged[index - 1];
            if (article && articleSummary) article.summary = articleSummary;
          }
        }
        // Once on record in this digest (every call done), a batch's bill is not carried again:
        // a later forced run reuses the answer for free, as it does any part kept from a try.
        for (const { name, answer } of batched) await document.checkpoints?.write(name, answer);
        return {
          summary,
          articles: merged.map(({ partSummaries: _, ...article }) => article),
          usage: meter.usage(model, settings.prices),
          translated:
            language.toLowerCase() !== outputLanguage('source', document.language).toLowerCase(),
        };
      } catch (error) {
        // Every token paid is on record: the failure carries what this try spent.
        throw withUsage(error, meter.usage(model, settings.prices));
      }
    },
  };
}

interface PartContext {
  /** The normalized text the parts index. */
  text: string;
  language: string;
  sourceLanguage: string;
  part: { index: number; count: number } | undefined;
}

/** One call of a document's map step: what it carries and the checkpoint its answer is kept under. */
interface PlannedPart {
  part: Part;
  context: PartContext;
  /** The checkpoint name, from what the call carries (sentence numbers included). */
  name: string;
  message: string;
}

/**
 * A document's parts as the engine digests them, one call each.
 * @throws {DocumentError} `budget_exceeded` when the document is over `LLM_DOCUMENT_TOKEN_BUDGET`.
 */
async function planParts(
  document: PreparedDocument,
  settings: LlmSettings,
): Promise<{ language: string; parts: PlannedPart[] }> {
  const count = await loadTokenCounter();
  const { normalized } = document;
  const language = outputLanguage(settings.outputLanguage, document.language);
  // Instructions and the response schema, paid on every call.
  const overhead = count(digestInstructions(language)) + 450;
  const whole = count(normalized.text);
  const overBudget = (estimate: number) =>
    new DocumentError(
      'budget_exceeded',
      `Digesting this document needs about ${estimate} input tokens; the budget is ${settings.documentTokenBudget} (LLM_DOCUMENT_TOKEN_BUDGET). Nothing was spent.`,
    );
  // Checked before the sentences are numbered too, so an oversized document costs no work.
  const least = whole + overhead * Math.ceil(whole / settings.chunkTokens);
  if (least > settings.documentTokenBudget) throw overBudget(least);
  const sentences: NumberedSentence[] = splitSentences(
    normalized.text,
    normalized.paragraphs,
    document.language,
  ).map((s, i) => ({ number: i + 1, start: s.start, end: s.end }));
  const numbered = count(numberedText(normalized.text, 0, normalized.text.length, sentences));
  // Parts are sized on the text; the sentence numbers ride on each call like the
  // instructions. Where the server's context is known, a document whose numbers take more
  // than the room allowed for them (very short sentences) is cut into smaller parts.
  const markers = whole > 0 ? numbered / whole - 1 : 0;
  const budget =
    settings.contextTokens !== undefined && markers > MARKER_ALLOWANCE
      ? Math.floor((settings.chunkTokens * (1 + MARKER_ALLOWANCE)) / (1 + markers))
      : settings.chunkTokens;
  const estimate = numbered + overhead * Math.ceil(whole / budget);
  if (estimate > settings.documentTokenBudget) throw overBudget(estimate);
  const parts = chunkText(
    normalized.text,
    normalized.paragraphs,
    document.language,
    count,
    budget,
  ).map((chunk) => partOf(sentences, chunk.start, chunk.end));
  return {
    language,
    parts: parts.map((part, i) => {
      const context: PartContext = {
        text: normalized.text,
        language,
        sourceLanguage: document.language,
        part: parts.length > 1 ? { index: i + 1, count: parts.length } : undefined,
      };
      const message = partMessage(normalized.text, part, context.part);
      const name = `part-${createHash('sha256').update(message).digest('hex').slice(0, 32)}`;
      return { part, context, name, message };
    }),
  };
}

/** Tokens of a call billed through a batch, and what they cost (USD; null: price unknown). */
export const BatchBilled = z.object({
  inputTokens: z.number().int().nonnegative(),
  outputTokens: z.number().int().nonnegative(),
  costUsd: z.number().nonnegative().nullable(),
});
export type BatchBilled = z.infer<typeof BatchBilled>;

function billedOf(stored: unknown): unknown {
  return stored && typeof stored === 'object' && 'billed' in stored ? stored.billed : undefined;
}

/**
 * The map-step calls the engine would make for a document, as request bodies for the OpenAI
 * Batch API (`/v1/chat/completions`), each with the checkpoint name its answer is read from.
 * A long document's reduce call is not among them: it needs the parts' answers first.
 * @throws {DocumentError} `budget_exceeded` as the engine would, before any call.
 */
export async function openAiPartRequests(
  document: PreparedDocument,
  model: string,
  settings: LlmSettings,
): Promise<
  Array<{
    checkpoint: string;
    body: OpenAI.Chat.Completions.ChatCompletionCreateParamsNonStreaming;
  }>
> {
  const { language, parts } = await planParts(document, settings);
  const profile = new ProviderProfile({ provider: 'openai', ...settings });
  return parts.map(({ name, message }) => ({
    checkpoint: name,
    body: profile.body({
      model,
      messages: [
        { role: 'system', content: digestInstructions(language) },
        { role: 'user', content: message },
      ],
      response_format: responseFormat(DIGEST.schema, DIGEST.name),
    }),
  }));
}

/**
 * What a batch's answer to one part call is kept as: the answer, read as the engine reads an
 * on-demand one, and what it was billed; null when the engine would not take it (a refusal, an
 * answer cut off or not of the requested shape), so the normal path asks again.
 */
export function batchCheckpoint(
  completion: OpenAI.Chat.Completions.ChatCompletion,
  billed: BatchBilled,
): (LlmDigest & { billed: BatchBilled }) | null {
  const choice = completion.choices[0];
  if (!choice || choice.message.refusal || choice.finish_reason !== 'stop') return null;
  const parsed = parseAnswer(choice.message.content ?? '', DIGEST.read);
  return parsed.ok ? { ...parsed.value, billed } : null;
}

/** The user message of one call: the part's text with its sentences numbered. */
function partMessage(text: string, part: Part, of: PartContext['part']): string {
  return documentMessage(numberedText(text, part.start, part.end, part.sentences), of);
}

/** The part [start, end) of the text with the sentences in it (one begun before it included). */
function partOf(sentences: NumberedSentence[], start: number, end: number): Part {
  let lo = 0;
  let hi = sentences.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((sentences[mid]?.end ?? 0) <= start) lo = mid + 1;
    else hi = mid;
  }
  let last = lo;
  while (last < sentences.length && (sentences[last]?.start ?? end) < end) last++;
  return { start, end, sentences: sentences.slice(lo, last) };
}

/**
 * A part cut in two at the sentence start nearest its middle, for an answer that did not fit the
 * output limit; none when it holds a single sentence.
 */
function halve(part: Part): Part[] {
  const middle = (part.start + part.end) / 2;
  let best = -1;
  for (let i = 1; i < part.sentences.length; i++) {
    const at = part.sentences[i]?.start ?? 0;
    const current = part.sentences[best]?.start;
    if (current === undefined || Math.abs(at - middle) < Math.abs(current - middle)) best = i;
  }
  const cut = part.sentences[best]?.start;
  if (cut === undefined || cut <= part.start) return [];
  return [
    { start: part.start, end: cut, sentences: part.sentences.slice(0, best) },
    { start: cut, end: part.end, sentences: part.sentences.slice(best) },
  ];
}

/**
 * Turns the citations of one part's answer into quotes: the cited sentence from the anchor to the
 * end of its clause (；; or the sentence end), the verbatim text of the normalized document, with
 * its place in the source so that the pipeline finds that very occurrence. A sentence number the
 * call did not carry, or an anchor not in the sentence, gives an empty quote, which the pipeline
 * drops and counts as it does a quote not in the source.
 */
function citations(
  normalized: Normalized,
  part: Part,
): (item: { sentence: number; anchor: string }) => Quoted {
  const first = part.sentences[0]?.number ?? 0;
  return ({ sentence, anchor }) => {
    const s = Number.isInteger(sentence) ? part.sentences[sentence - first] : undefined;
    if (!s) return { quote: '' };
    const text = normalized.text.slice(s.start, s.end);
    const at = findAnchor(text, anchor);
    if (at < 0) return { quote: '' };
    const end = clauseEnd(text, at);
    const from = normalized.toSource[s.start + at] ?? 0;
    const to = (normalized.toSource[s.start + end - 1] ?? from) + 1;
    return { quote: text.slice(at, end), near: from, within: { from, to } };
  };
}

/** Where the clause that starts at `at` ends: after its ；or ;, else at the sentence end. */
function clauseEnd(sentence: string, at: number): number {
  const semicolon = /[；;]/g;
  semicolon.lastIndex = at + 1;
  const found = semicolon.exec(sentence);
  const end = found ? found.index + 1 : sentence.length;
  if (end - at <= MAX_DERIVED_QUOTE) return end;
  // Cut after the last clause punctuation that keeps the quote within bounds.
  for (let i = at + MAX_DERIVED_QUOTE - 1; i > at + MAX_DERIVED_QUOTE / 2; i--) {
    if (/[，,、：:]/.test(sentence[i] ?? '')) return i + 1;
  }
  return at + MAX_DERIVED_QUOTE;
}

class TruncatedAnswer extends Error {}

async function create(
  client: OpenAI,
  meter: Meter,
  body: OpenAI.Chat.Completions.ChatCompletionCreateParamsNonStreaming,
) {
  try {
    meter.calls++;
    // No request outlives the document's time: it is aborted when the time limit passes.
    const completion = await client.chat.completions.create(body, {
      signal: meter.timeLimit.signal,
    });
    meter.inputTokens += completion.usage?.prompt_tokens ?? 0;
    meter.outputTokens += completion.usage?.completion_tokens ?? 0;
    return completion;
  } catch (error) {
    // Aborted by the time limit: say so, rather than "the LLM service could not be reached".
    if (meter.timeLimit.signal.aborted) throw meter.timeLimit.signal.reason;
    throw classify(error);
  }
}

/**
 * Maps SDK errors onto the pipeline's taxonomy. The SDK has already retried what retrying can
 * fix; the provider's own message is left out of records (it may echo the input).
 */
export function classify(error: unknown): Error {
  if (
    error instanceof OpenAI.APIConnectionTimeoutError ||
    error instanceof OpenAI.APIConnectionError
  ) {
    return new TransientError('The LLM service could not be reached or timed out.', {
      code: 'llm_unavailable',
      cause: error,
    });
  }
  if (error instanceof OpenAI.APIError) {
    const status = error.status ?? 0;
    if (status === 400 || status === 413 || status === 422) {
      const code = typeof error.code === 'string' ? ` (${error.code})` : '';
      if (error.code === 'context_length_exceeded') {
        return new DocumentError(
          'budget_exceeded',
          `The model rejected the request as too long${code}.`,
          { cause: error },
        );
      }
      return new DocumentError(
        'llm_rejected',
        `The LLM service rejected the request: HTTP ${status}${code}.`,
        {
          cause: error,
        },
      );
    }
    return new TransientError(`The LLM service answered HTTP ${status} after retries.`, {
      code: 'llm_unavailable',
      cause: error,
    });
  }
  return error instanceof Error ? error : new Error(String(error));
}

function parseAnswer<T>(
  content: string,
  schema: z.ZodType<T>,
): { ok: true; value: T } | { ok: false; problem: string } {
  let json: unknown;
  try {
    json = JSON.parse(unwrapJson(content));
  } catch {
    return { ok: false, problem: 'not valid JSON' };
  }
  const parsed = schema.safeParse(json);
  if (parsed.success) return { ok: true, value: parsed.data };
  const issue = parsed.error.issues[0];
  return {
    ok: false,
    problem: `${issue?.path.join('.') || 'answer'}: ${issue?.message ?? 'invalid'}`,
  };
}

function toDraft(
  article: LlmDigest['articles'][number],
  cite: ReturnType<typeof citations>,
): DraftArticle {
  return {
    title: article.title,
    byline: article.byline,
    summary: article.summary,
    keyPoints: article.keyPoints.map((k) => ({ point: k.point, ...cite(k) })),
    tasks: article.tasks.map((t) => ({
      task: t.task,
      owner: t.owner,
      deadline: t.deadline,
      ...cite(t),
    })),
  };
}

/**
 * Joins the articles of consecutive parts: a part's first article continues the previous part's
 * last one when it has no title of its own or the same title. Each article keeps the summaries
 * its parts gave it, for the reduce step. Tasks with the same text are all kept (the pipeline
 * counts an item that repeats another on the same evidence): parts never overlap, so the same
 * words in two parts are two places of the document that say them.
 */
function mergeArticles<
  A extends {
    title: string | null;
    byline: string | null;
    summary: string;
    keyPoints: unknown[];
    tasks: unknown[];
  },
>(parts: A[][]): Array<A & { partSummaries: string[] }> {
  const merged: Array<A & { partSummaries: string[] }> = [];
  for (const articles of parts) {
    articles.forEach((article, i) => {
      const last = merged[merged.length - 1];
      if (i === 0 && last && (article.title === null || article.title === last.title)) {
        last.byline ??= article.byline;
        if (article.summary) last.partSummaries.push(article.summary);
        last.keyPoints.push(...article.keyPoints);
        last.tasks.push(...article.tasks);
      } else {
        merged.push({
          ...article,
          keyPoints: [...article.keyPoints],
          tasks: [...article.tasks],
          partSummaries: article.summary ? [article.summary] : [],
        });
      }
    });
  }
  return merged;
}

function isInvalidOutput(error: unknown): boolean {
  return error instanceof DocumentError && error.code === 'llm_invalid_output';
}

/** The error, as one of ours, carrying what was spent before it (a bug becomes `internal`). */
function withUsage(error: unknown, usage: Usage): DigestError {
  const ours =
    error instanceof DigestError
      ? error
      : new TransientError('The LLM engine failed unexpectedly.', {
          cause: error,
          code: 'internal',
        });
  ours.usage = usage;
  return ours;
}
