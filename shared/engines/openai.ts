import { createHash } from 'node:crypto';
import OpenAI from 'openai';
import { zodResponseFormat } from 'openai/helpers/zod';
import type * as z from 'zod';
import type { LlmSettings, PriceTable } from '../config';
import type { EngineInfo, Usage } from '../contract';
import { DigestError, DocumentError, TransientError } from '../errors';
import { type Chunk, chunkText } from '../text/chunk';
import type { TimeLimit } from '../time-limit';
import { configHash, type DraftArticle, type Engine, type EngineResult } from './engine';
import {
  digestInstructions,
  documentMessage,
  LlmDigest,
  LlmReduce,
  outputLanguage,
  PROMPT_VERSION,
  reduceInstructions,
  reduceMessage,
} from './llm-contract';
import { priceFor } from './prices';
import { ProviderProfile, unwrapJson } from './providers';
import { loadTokenCounter, type TokenCounter } from './tokens';

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

/** The two answers the engine asks for: a digest of a document or part, and the reduce step. */
const DIGEST = { schema: LlmDigest, name: 'article_digest' } as const;
const REDUCE = { schema: LlmReduce, name: 'digest_reduce' } as const;

type Message = { role: 'system' | 'user'; content: string };

/** Token and call counts of one document, across every call made for it. */
/** One document's run: what it spent, and the time it has (its calls end when that passes). */
class Meter {
  constructor(readonly timeLimit: TimeLimit) {}
  calls = 0;
  inputTokens = 0;
  outputTokens = 0;

  usage(model: string, prices: PriceTable): Usage {
    const price = priceFor(model, prices);
    const cost = price
      ? (this.inputTokens * price.input + this.outputTokens * price.output) / 1_000_000
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
    answer: { schema: z.ZodType<T>; name: string },
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
      const parsed = parseAnswer(choice?.message.content ?? '', answer.schema);
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
  const digestChunk = async (
    meter: Meter,
    chunk: Chunk,
    context: PartContext,
    canSplit: boolean,
  ): Promise<LlmDigest> => {
    try {
      return await call(
        meter,
        [
          { role: 'system', content: digestInstructions(context.language, context.part) },
          { role: 'user', content: documentMessage(chunk.text) },
        ],
        DIGEST,
      );
    } catch (error) {
      if (!(error instanceof TruncatedAnswer)) throw error;
      const halves = canSplit
        ? chunkText(
            chunk.text,
            [{ start: 0, end: chunk.text.length }],
            context.sourceLanguage,
            context.count,
            Math.ceil(chunk.tokens / 2) + 1,
          )
        : [];
      if (halves.length < 2) {
        throw new DocumentError(
          'llm_invalid_output',
          `The model's answer was cut off at the output limit (${settings.maxOutputTokens} tokens).`,
        );
      }
      const answers: LlmDigest[] = [];
      for (const half of halves) answers.push(await digestChunk(meter, half, context, false));
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
      const count = await loadTokenCounter();
      const { normalized } = document;
      const language = outputLanguage(settings.outputLanguage, document.language);
      // Instructions and the response schema, paid on every call.
      const overhead = count(digestInstructions(language, { index: 1, count: 2 })) + 450;
      const whole = count(normalized.text);
      const estimate = whole + overhead * Math.ceil(whole / settings.chunkTokens);
      if (estimate > settings.documentTokenBudget) {
        throw new DocumentError(
          'budget_exceeded',
          `Digesting this document needs about ${estimate} input tokens; the budget is ${settings.documentTokenBudget} (LLM_DOCUMENT_TOKEN_BUDGET). Nothing was spent.`,
        );
      }
      const chunks = chunkText(
        normalized.text,
        normalized.paragraphs,
        document.language,
        count,
        settings.chunkTokens,
      );

      // Map: each part digested on its own (a part answered in an earlier try is taken from the
      // checkpoints, not paid again); reduce: one short call over the part summaries, so the
      // summaries of the document and its articles draw on every part.
      const meter = new Meter(document.timeLimit);
      try {
        const answers: LlmDigest[] = [];
        const parts: DraftArticle[][] = [];
        for (const [i, chunk] of chunks.entries()) {
          document.timeLimit.check(`digesting part ${i + 1} of ${chunks.length}`);
          const name = `part-${createHash('sha256').update(chunk.text).digest('hex').slice(0, 32)}`;
          const saved = LlmDigest.safeParse(await document.checkpoints?.read(name));
          const answer = saved.success
            ? saved.data
            : await digestChunk(
                meter,
                chunk,
                {
                  language,
                  sourceLanguage: document.language,
                  count,
                  part: chunks.length > 1 ? { index: i + 1, count: chunks.length } : undefined,
                },
                true,
              );
          if (!saved.success && chunks.length > 1) await document.checkpoints?.write(name, answer);
          // Quotes are looked for in their own part of the source first.
          const within = {
            from: normalized.toSource[chunk.start] ?? 0,
            to: normalized.toSource[chunk.end] ?? document.source.length,
          };
          answers.push(answer);
          parts.push(answer.articles.map((a) => toDraft(a, within)));
        }
        const merged = mergeArticles(parts);
        let summary = answers[0]?.summary ?? '';
        if (chunks.length > 1) {
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
  language: string;
  sourceLanguage: string;
  count: TokenCounter;
  part: { index: number; count: number } | undefined;
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
  within: { from: number; to: number },
): DraftArticle {
  return {
    title: article.title,
    byline: article.byline,
    summary: article.summary,
    keyPoints: article.keyPoints.map((k) => ({ point: k.point, quote: k.quote, within })),
    tasks: article.tasks.map((t) => ({
      task: t.task,
      owner: t.owner,
      deadline: t.deadline,
      quote: t.quote,
      within,
    })),
  };
}

/**
 * Joins the articles of consecutive parts: a part's first article continues the previous part's
 * last one when it has no title of its own or the same title. Tasks repeated across parts are
 * kept once. Each article keeps the summaries its parts gave it, for the reduce step.
 */
function mergeArticles<
  A extends {
    title: string | null;
    byline: string | null;
    summary: string;
    keyPoints: unknown[];
    tasks: Array<{ task: string }>;
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
  for (const article of merged) {
    const seen = new Set<string>();
    article.tasks = article.tasks.filter((t) => {
      const key = t.task.toLowerCase().replace(/[\s\p{P}]+/gu, '');
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    }) as A['tasks'];
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
