import {
  outputLimit,
  PROVIDERS,
  type Provider,
  profileProblems,
  REASONING_EFFORTS,
  type ReasoningEffort,
  resolveProfile,
} from './engines/profile';
import type { AwsCredentials } from './store';
import * as z from './zod';

const Prefix = z
  .string()
  .check(z.regex(/^[^/].*\/$/, 'must be a non-empty key prefix ending with "/", e.g. "incoming/"'));

const PositiveInt = z.pipe(z.coerce.number(), z.int().check(z.positive()));
const NonEmpty = () => z.string().check(z.minLength(1));
/** An http(s) URL: "localhost:9000" parses as a URL of scheme "localhost:", which no client can use. */
const HttpUrl = z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' });

/** USD per million tokens, by model name. */
export const PriceTable = z.record(
  z.string(),
  z.object({
    input: z.number().check(z.nonnegative()),
    output: z.number().check(z.nonnegative()),
  }),
);
export type PriceTable = z.infer<typeof PriceTable>;

/**
 * List prices (USD per million tokens) of common models when this table was written; set
 * `LLM_PRICES` to override or extend it. A model missing from the table gets a null cost.
 */
export const DEFAULT_PRICES: PriceTable = {
  'gpt-4.1-mini': { input: 0.4, output: 1.6 },
  'gpt-4.1': { input: 2, output: 8 },
  'gpt-4.1-nano': { input: 0.1, output: 0.4 },
  'gpt-4o-mini': { input: 0.15, output: 0.6 },
  'gpt-4o': { input: 2.5, output: 10 },
  'gpt-5': { input: 1.25, output: 10 },
  'gpt-5-mini': { input: 0.25, output: 2 },
  'gpt-5-nano': { input: 0.05, output: 0.4 },
};

const JsonPrices = z.pipe(
  z.pipe(
    z.string(),
    z.transform((text: string, ctx) => {
      try {
        return JSON.parse(text) as unknown;
      } catch {
        ctx.issues.push({
          code: 'custom',
          message: 'must be JSON, e.g. {"my-model":{"input":0.5,"output":1.5}}',
          input: text,
        });
        return z.NEVER;
      }
    }),
  ),
  PriceTable,
);

/** How the handler paces itself against the queue and the function's time limit. */
export interface HandlerSettings {
  maxReceiveCount: number;
  minRemainingMs: number;
  /** The most one document may take (milliseconds); see `DOCUMENT_TIME_LIMIT_MS`. */
  documentTimeLimitMs: number;
}

/**
 * Defaults of {@link HandlerSettings}: the stack's redrive limit, a one-minute reserve, and four
 * minutes a document, inside the function's five-minute timeout.
 */
export const DEFAULT_HANDLER_SETTINGS: HandlerSettings = {
  maxReceiveCount: 5,
  minRemainingMs: 60_000,
  documentTimeLimitMs: 240_000,
};

/**
 * The environment, as one schema: the single place where variable names, defaults and checks
 * live. Handlers and the CLI parse it once at start-up; nothing else reads `process.env`.
 */
export const EnvSchema = z
  .object({
    /** Key prefix watched for new documents. */
    INPUT_PREFIX: z._default(Prefix, 'incoming/'),
    /** Key prefix digests are written under (`incoming/a.txt` → `digests/a.txt.json`). */
    OUTPUT_PREFIX: z._default(Prefix, 'digests/'),
    /** Key prefix error records are written under (`errors/a.txt.json`). */
    ERROR_PREFIX: z._default(Prefix, 'errors/'),
    /**
     * Key prefix of the content-hash index: one entry per content and engine configuration, so
     * the same text is never sent to the LLM twice.
     */
    CACHE_PREFIX: z._default(Prefix, 'cache/'),
    /**
     * Key prefix of the text read out of PDF and Word files (`incoming/a.pdf` →
     * `texts/a.pdf.txt`, UTF-8), which their evidence offsets index.
     */
    TEXT_PREFIX: z._default(Prefix, 'texts/'),
    /** Receives after which a message goes to the dead-letter queue (the queue's redrive policy). */
    MAX_RECEIVE_COUNT: z._default(PositiveInt, DEFAULT_HANDLER_SETTINGS.maxReceiveCount),
    /** The handler starts no new document with less time than this left (milliseconds). */
    MIN_REMAINING_MS: z._default(PositiveInt, DEFAULT_HANDLER_SETTINGS.minRemainingMs),
    /**
     * The most one document may take, end to end (milliseconds); past it the document ends with a
     * `too_slow` error record. Keep it below the function's timeout, which also caps it: with
     * less time left in the invocation, the document is handed back to the queue instead.
     */
    DOCUMENT_TIME_LIMIT_MS: z._default(PositiveInt, DEFAULT_HANDLER_SETTINGS.documentTimeLimitMs),
    /**
     * The dead-letter queue's URL (deployed stack): a message that is not an S3 notification is
     * sent there at once, with the reason, instead of being received again and again.
     */
    DEAD_LETTER_QUEUE_URL: z.optional(HttpUrl),
    /** Objects larger than this many bytes get a `too_large` error record without download. */
    MAX_OBJECT_BYTES: z._default(PositiveInt, 10 * 1024 * 1024),
    /** `extractive` (offline) or `openai`; default `openai` when an API key is set. */
    DIGEST_ENGINE: z.optional(z.enum(['extractive', 'openai'])),
    OPENAI_API_KEY: z.optional(NonEmpty()),
    /** Secrets Manager secret holding the API key (deployed stack); read once per cold start. */
    OPENAI_API_KEY_SECRET_ID: z.optional(NonEmpty()),
    OPENAI_BASE_URL: z.optional(HttpUrl),
    /** Model name sent to the API. */
    OPENAI_MODEL: z._default(NonEmpty(), 'gpt-4.1-mini'),
    /**
     * Timeout of one LLM request (milliseconds). Default: 15 s plus the output limit at 40 tokens
     * a second (4,096 tokens: 118 s), so a full-length answer is not cut off by its own timeout;
     * the document's time limit (`DOCUMENT_TIME_LIMIT_MS`) bounds every request whatever this is.
     */
    OPENAI_TIMEOUT_MS: z.optional(PositiveInt),
    /** SDK retries on connection errors, 408, 409, 429 and 5xx (with backoff, retry-after honoured). */
    OPENAI_MAX_RETRIES: z._default(z.pipe(z.coerce.number(), z.int().check(z.gte(0), z.lte(5))), 2),
    /** Upper bound of output tokens per call (the answer; reasoning models get room on top). */
    LLM_MAX_OUTPUT_TOKENS: z._default(PositiveInt, 4096),
    /**
     * The server behind OPENAI_BASE_URL, which decides how requests are shaped. Detected where
     * the URL says it (none or api.openai.com: `openai`; *.openai.azure.com: `azure`; port 11434:
     * `ollama`), else `compatible`.
     */
    LLM_PROVIDER: z.optional(z.enum(PROVIDERS)),
    /** Sampling temperature; default 0. Reasoning models take none. */
    LLM_TEMPERATURE: z.optional(z.coerce.number().check(z.gte(0), z.lte(2))),
    /**
     * `reasoning_effort` of a reasoning model (gpt-5 family, o-series: default `low`); setting it
     * marks any model as one (no temperature, room for reasoning in the output limit).
     */
    LLM_REASONING_EFFORT: z.optional(z.enum(REASONING_EFFORTS)),
    /**
     * The server's context window in tokens: parts are sized to fit it and every call is checked
     * against it before it is sent. Default 4096 for Ollama (its own default), else unchecked.
     */
    LLM_CONTEXT_TOKENS: z.optional(PositiveInt),
    /** Article tokens per call; longer documents are split on sentence boundaries. */
    LLM_CHUNK_TOKENS: z._default(PositiveInt, 12_000),
    /** Input tokens one document may use in all; checked before the first call. */
    LLM_DOCUMENT_TOKEN_BUDGET: z._default(PositiveInt, 150_000),
    /** `source` (the document's language) or a language name or code for summaries and tasks. */
    OUTPUT_LANGUAGE: z._default(NonEmpty(), 'source'),
    /** Price overrides as JSON: {"model":{"input":usdPerMTok,"output":usdPerMTok}}. */
    LLM_PRICES: z.optional(JsonPrices),
    /** S3 endpoint override, for S3-compatible servers (local mode). */
    S3_ENDPOINT: z.optional(HttpUrl),
    AWS_REGION: z._default(NonEmpty(), 'us-east-1'),
    /** Credentials, as Lambda and the AWS CLI set them. */
    AWS_ACCESS_KEY_ID: z.optional(NonEmpty()),
    AWS_SECRET_ACCESS_KEY: z.optional(NonEmpty()),
    AWS_SESSION_TOKEN: z.optional(NonEmpty()),
  })
  .check(
    z.superRefine((env, ctx) => {
      const prefixes = [
        env.INPUT_PREFIX,
        env.OUTPUT_PREFIX,
        env.ERROR_PREFIX,
        env.CACHE_PREFIX,
        env.TEXT_PREFIX,
      ];
      for (const a of prefixes) {
        for (const b of prefixes) {
          if (a !== b && a.startsWith(b)) {
            ctx.addIssue({
              code: 'custom',
              message: `prefixes must not nest: "${a}" is inside "${b}"`,
              path: ['INPUT_PREFIX'],
            });
          }
        }
      }
      if (new Set(prefixes).size !== prefixes.length) {
        ctx.addIssue({
          code: 'custom',
          message: 'the prefixes must differ',
          path: ['INPUT_PREFIX'],
        });
      }
      for (const problem of profileProblems(env)) {
        ctx.addIssue({ code: 'custom', message: problem.message, path: [problem.variable] });
      }
      if (env.DIGEST_ENGINE === 'openai' && !env.OPENAI_API_KEY) {
        ctx.addIssue({
          code: 'custom',
          message: 'DIGEST_ENGINE=openai needs OPENAI_API_KEY',
          path: ['OPENAI_API_KEY'],
        });
      }
    }),
  );

export type Env = z.infer<typeof EnvSchema>;

/** Where the pipeline reads and writes, and what it refuses. */
export interface PipelineSettings {
  inputPrefix: string;
  outputPrefix: string;
  errorPrefix: string;
  cachePrefix: string;
  /** Where the text read out of a PDF or Word file is kept (`TEXT_PREFIX`). */
  textPrefix: string;
  maxObjectBytes: number;
}

/** How the LLM engine sizes, bounds and prices its work. */
export interface LlmSettings {
  maxOutputTokens: number;
  chunkTokens: number;
  documentTokenBudget: number;
  outputLanguage: string;
  prices: PriceTable;
  /** The server's kind (`LLM_PROVIDER` or detected); default `openai`. */
  provider?: Provider;
  /** Sent as `temperature` (`LLM_TEMPERATURE`, default 0); unset for reasoning models. */
  temperature?: number | undefined;
  /** Sent as `reasoning_effort` (`LLM_REASONING_EFFORT`); set for reasoning models only. */
  reasoningEffort?: ReasoningEffort | undefined;
  /** The server's context in tokens (`LLM_CONTEXT_TOKENS`); unset: not checked. */
  contextTokens?: number | undefined;
}

export interface Config {
  pipeline: PipelineSettings;
  handler: HandlerSettings;
  /** Where malformed messages go at once; none in local mode. */
  deadLetterQueueUrl: string | undefined;
  engine: 'extractive' | 'openai';
  openai: {
    apiKey: string | undefined;
    baseURL: string | undefined;
    model: string;
    timeoutMs: number;
    maxRetries: number;
  };
  llm: LlmSettings;
  s3: { endpoint: string | undefined; region: string };
  /** From the environment; null when it holds none (local mode brings its own). */
  credentials: AwsCredentials | null;
}

/** Output tokens a second the request timeout allows for: a slow provider's pace, not a fast one's. */
export const SLOWEST_TOKENS_PER_SECOND = 40;

/**
 * The default timeout of one LLM request (milliseconds): 15 s to the first token, then the whole
 * output limit at {@link SLOWEST_TOKENS_PER_SECOND}, so a legitimate full-length answer is never
 * cut off by its own timeout (4,096 tokens: 118 s). The document's time limit still bounds it.
 */
export function requestTimeoutFor(outputTokens: number): number {
  return 15_000 + Math.ceil((outputTokens / SLOWEST_TOKENS_PER_SECOND) * 1000);
}

/** Thrown at start-up when the environment is invalid; the message names every bad variable. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/**
 * Parses the environment into a {@link Config}.
 * @throws {ConfigError} naming every invalid variable at once.
 */
export function parseConfig(env: Record<string, string | undefined>): Config {
  // An empty variable means unset, as in a shell's `VAR= npm start`.
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== ''));
  const parsed = EnvSchema.safeParse(present);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || 'env'}: ${i.message}`);
    throw new ConfigError(`Invalid configuration:\n  ${problems.join('\n  ')}`);
  }
  const e = parsed.data;
  return {
    pipeline: {
      inputPrefix: e.INPUT_PREFIX,
      outputPrefix: e.OUTPUT_PREFIX,
      errorPrefix: e.ERROR_PREFIX,
      cachePrefix: e.CACHE_PREFIX,
      textPrefix: e.TEXT_PREFIX,
      maxObjectBytes: e.MAX_OBJECT_BYTES,
    },
    handler: {
      maxReceiveCount: e.MAX_RECEIVE_COUNT,
      minRemainingMs: e.MIN_REMAINING_MS,
      documentTimeLimitMs: e.DOCUMENT_TIME_LIMIT_MS,
    },
    deadLetterQueueUrl: e.DEAD_LETTER_QUEUE_URL,
    engine: e.DIGEST_ENGINE ?? (e.OPENAI_API_KEY ? 'openai' : 'extractive'),
    openai: {
      apiKey: e.OPENAI_API_KEY,
      baseURL: e.OPENAI_BASE_URL,
      model: e.OPENAI_MODEL,
      timeoutMs:
        e.OPENAI_TIMEOUT_MS ??
        requestTimeoutFor(
          outputLimit({ maxOutputTokens: e.LLM_MAX_OUTPUT_TOKENS, ...resolveProfile(e) }),
        ),
      maxRetries: e.OPENAI_MAX_RETRIES,
    },
    llm: {
      maxOutputTokens: e.LLM_MAX_OUTPUT_TOKENS,
      chunkTokens: e.LLM_CHUNK_TOKENS,
      documentTokenBudget: e.LLM_DOCUMENT_TOKEN_BUDGET,
      outputLanguage: e.OUTPUT_LANGUAGE,
      prices: { ...DEFAULT_PRICES, ...e.LLM_PRICES },
      ...resolveProfile(e),
    },
    s3: { endpoint: e.S3_ENDPOINT, region: e.AWS_REGION },
    credentials:
      e.AWS_ACCESS_KEY_ID && e.AWS_SECRET_ACCESS_KEY
        ? {
            accessKeyId: e.AWS_ACCESS_KEY_ID,
            secretAccessKey: e.AWS_SECRET_ACCESS_KEY,
            sessionToken: e.AWS_SESSION_TOKEN,
          }
        : null,
  };
}
