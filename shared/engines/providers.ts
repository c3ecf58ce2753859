/**
 * Provider profiles: what differs between the servers that speak the Chat Completions API, kept
 * in one place so the engine stays the same for all of them. A profile decides the request body
 * (which output-limit field, temperature, reasoning effort, JSON schema or JSON object with the
 * schema in the prompt), checks each call against the server's context before it is sent, reads
 * fenced or wrapped JSON, and tells configuration errors from document errors.
 *
 * What each server does comes from its own documentation and source:
 * - OpenAI: `max_completion_tokens` (`max_tokens` is rejected by reasoning models), JSON-schema
 *   structured outputs, temperature 1 unless sent; reasoning models (gpt-5 family, o-series)
 *   reject `temperature`, take `reasoning_effort`, and spend reasoning tokens out of
 *   `max_completion_tokens` (an answer that runs out of them ends at `length`, often empty).
 * - Azure OpenAI: the v1 API (`https://<resource>.openai.azure.com/openai/v1`) takes the OpenAI
 *   client unchanged, the deployment name as the model; a deployments URL needs `api-version` and
 *   answers 404 without it.
 * - Ollama (`/v1`): reads `max_tokens` (as `num_predict`) and ignores `max_completion_tokens`;
 *   its OpenAI-compatible request has no `options`, so the context size (`num_ctx`) is the
 *   server's (`OLLAMA_CONTEXT_LENGTH`, or `PARAMETER num_ctx` in a Modelfile) and a longer prompt
 *   is cut silently; temperature 1 unless sent; JSON schema since 0.5.
 * - vLLM: `max_tokens` (and, in newer versions, `max_completion_tokens`); JSON-schema structured
 *   outputs; the context is `--max-model-len`, and a request over it answers 400 ("maximum
 *   context length"); sampling defaults come from the model's generation config.
 * - llama.cpp server: `max_tokens`; `response_format` `json_schema` (newer) or `json_object` with
 *   a `schema` (older builds reject `json_schema`); the context is `-c` per slot, and a prompt over
 *   it answers 400 (`exceed_context_size_error`); temperature 0.8 unless sent.
 */
import type OpenAI from 'openai';
import * as z from 'zod';
import { DocumentError } from '../errors';
import { OVERRUN } from '../text/chunk';
import { digestInstructions, LlmDigest, MARKER_ALLOWANCE } from './llm-contract';
import { loadTokenCounter, type TokenCounter } from './tokens';

/** The servers the LLM engine knows (`LLM_PROVIDER`). `compatible` is any other. */
export const PROVIDERS = ['openai', 'azure', 'ollama', 'vllm', 'llamacpp', 'compatible'] as const;
export type Provider = (typeof PROVIDERS)[number];

/** Values of `reasoning_effort` across OpenAI's reasoning models (`LLM_REASONING_EFFORT`). */
export const REASONING_EFFORTS = ['none', 'minimal', 'low', 'medium', 'high', 'xhigh'] as const;
export type ReasoningEffort = (typeof REASONING_EFFORTS)[number];

/**
 * Output tokens kept for reasoning on top of `LLM_MAX_OUTPUT_TOKENS`, by effort. OpenAI advises
 * room of about 25,000 tokens for reasoning and answer when starting out; digesting needs little
 * reasoning, so the default effort is `low` and these bound what a call may cost.
 */
export const REASONING_ALLOWANCE: Record<ReasoningEffort, number> = {
  none: 0,
  minimal: 2_048,
  low: 8_192,
  medium: 16_384,
  high: 32_768,
  xhigh: 65_536,
};

/** The effort sent to a reasoning model when `LLM_REASONING_EFFORT` is unset. */
export const DEFAULT_REASONING_EFFORT: ReasoningEffort = 'low';

/**
 * The context assumed when `LLM_CONTEXT_TOKENS` is unset: Ollama's default on most GPUs. Other
 * servers either have contexts far beyond a part (OpenAI, Azure) or refuse an oversized request
 * with an error instead of cutting it (vLLM, llama.cpp), so nothing is assumed for them.
 */
export const DEFAULT_CONTEXT_TOKENS: Partial<Record<Provider, number>> = { ollama: 4_096 };

/**
 * Input tokens are counted with o200k_base; other model families count the same text a few
 * percent differently, so a call is checked with this much room on its input.
 */
export const CONTEXT_MARGIN = 1.1;

/** The smallest part worth a call: below it, start-up fails rather than digest in crumbs. */
export const MIN_PART_TOKENS = 1_000;

/** Room for what a part's call carries besides the part and the instructions (earlier summary). */
const CARRIED_TOKENS = 200;

const OUTPUT_LIMIT_FIELD: Record<Provider, 'max_completion_tokens' | 'max_tokens'> = {
  openai: 'max_completion_tokens',
  azure: 'max_completion_tokens',
  // Every version of these reads max_tokens; some ignore max_completion_tokens entirely.
  ollama: 'max_tokens',
  vllm: 'max_tokens',
  llamacpp: 'max_tokens',
  compatible: 'max_tokens',
};

const AZURE_HOST =
  /\.(?:openai\.azure\.com|cognitiveservices\.azure\.com|services\.ai\.azure\.com)$/i;
const OLLAMA_PORT = '11434';

/**
 * The provider a base URL names without doubt: OpenAI's own (or none), an Azure resource, or
 * Ollama's port. vLLM (8000) and llama.cpp (8080) share their ports with too much else.
 */
export function detectProvider(baseURL: string | undefined): Provider | undefined {
  if (!baseURL) return 'openai';
  const url = new URL(baseURL);
  if (url.hostname === 'api.openai.com') return 'openai';
  if (AZURE_HOST.test(url.hostname)) return 'azure';
  if (url.port === OLLAMA_PORT) return 'ollama';
  return undefined;
}

/**
 * Whether a model name is one of OpenAI's reasoning models (o-series, gpt-5 family but its chat
 * variants), also behind a gateway prefix such as `openai/`. Azure deployment names may say
 * nothing: there, setting `LLM_REASONING_EFFORT` marks the model as one.
 */
export function isReasoningModel(model: string): boolean {
  const name = model.slice(model.lastIndexOf('/') + 1).toLowerCase();
  return /^o[1-9]\d*(?:$|-)/.test(name) || (/^gpt-5(?:$|[.-])/.test(name) && !/-chat/.test(name));
}

/** What a profile is built from: the resolved `LLM_*` settings and the output limit. */
export interface ProfileSettings {
  provider: Provider;
  maxOutputTokens: number;
  /** Sent as `temperature`; unset for reasoning models, which reject it. */
  temperature?: number | undefined;
  /** Sent as `reasoning_effort`; set only for reasoning models. */
  reasoningEffort?: ReasoningEffort | undefined;
  /** The server's context window; every call is checked against it before it is sent. */
  contextTokens?: number | undefined;
}

/** The `LLM_*` and `OPENAI_*` variables a profile is resolved from (already type-checked). */
export interface ProfileEnv {
  LLM_PROVIDER?: Provider | undefined;
  OPENAI_BASE_URL?: string | undefined;
  OPENAI_MODEL: string;
  LLM_TEMPERATURE?: number | undefined;
  LLM_REASONING_EFFORT?: ReasoningEffort | undefined;
  LLM_CONTEXT_TOKENS?: number | undefined;
}

/**
 * The profile's settings with their defaults: the provider named or detected (else
 * `compatible`); temperature 0 unless set, none for reasoning models; effort `low` for a
 * reasoning model unless set; the provider's default context.
 */
export function resolveProfile(
  env: ProfileEnv,
): Omit<ProfileSettings, 'maxOutputTokens'> & { provider: Provider } {
  const provider = env.LLM_PROVIDER ?? detectProvider(env.OPENAI_BASE_URL) ?? 'compatible';
  const reasoning =
    env.LLM_REASONING_EFFORT !== undefined ||
    (['openai', 'azure', 'compatible'].includes(provider) && isReasoningModel(env.OPENAI_MODEL));
  return {
    provider,
    temperature: reasoning ? undefined : (env.LLM_TEMPERATURE ?? 0),
    reasoningEffort: reasoning ? (env.LLM_REASONING_EFFORT ?? DEFAULT_REASONING_EFFORT) : undefined,
    contextTokens: env.LLM_CONTEXT_TOKENS ?? DEFAULT_CONTEXT_TOKENS[provider],
  };
}

/**
 * Configuration that cannot work, found before anything is sent: an Azure deployments URL (or
 * any Azure URL but the v1 one), Azure without a URL, a temperature for a reasoning model.
 */
export function profileProblems(env: ProfileEnv): Array<{ variable: string; message: string }> {
  const problems: Array<{ variable: string; message: string }> = [];
  const provider = env.LLM_PROVIDER ?? detectProvider(env.OPENAI_BASE_URL);
  if (env.OPENAI_BASE_URL) {
    const url = new URL(env.OPENAI_BASE_URL);
    const path = url.pathname.replace(/\/+$/, '');
    const v1 = `${url.origin}/openai/v1`;
    const deployment = /\/openai\/deployments\/([^/]+)/.exec(path)?.[1];
    if (deployment) {
      problems.push({
        variable: 'OPENAI_BASE_URL',
        message: `is an Azure deployments URL, which needs an api-version and answers 404 without one; use the v1 endpoint instead: OPENAI_BASE_URL=${v1} with OPENAI_MODEL=${decodeURIComponent(deployment)} (the deployment name)`,
      });
    } else if (provider === 'azure' && path !== '/openai/v1') {
      problems.push({
        variable: 'OPENAI_BASE_URL',
        message: `Azure OpenAI is used through its v1 endpoint: OPENAI_BASE_URL=${v1}`,
      });
    }
  } else if (env.LLM_PROVIDER === 'azure') {
    problems.push({
      variable: 'OPENAI_BASE_URL',
      message:
        'LLM_PROVIDER=azure needs the v1 endpoint, e.g. https://<resource>.openai.azure.com/openai/v1',
    });
  }
  const { reasoningEffort } = resolveProfile(env);
  if (reasoningEffort !== undefined && env.LLM_TEMPERATURE !== undefined) {
    problems.push({
      variable: 'LLM_TEMPERATURE',
      message: `reasoning models (${env.OPENAI_MODEL}, or LLM_REASONING_EFFORT set) reject a temperature; leave it unset`,
    });
  }
  return problems;
}

/** The output tokens a call may generate: the answer's limit, plus reasoning if any. */
export function outputLimit(settings: ProfileSettings): number {
  const reasoning = settings.reasoningEffort ? REASONING_ALLOWANCE[settings.reasoningEffort] : 0;
  return settings.maxOutputTokens + reasoning;
}

/**
 * The part size (tokens of document text a call carries) that fits the server's context with
 * the instructions, the response schema and the output limit, or why none does. Without a known
 * context, `chunkTokens` as configured.
 */
export async function partTokens(
  settings: ProfileSettings & { chunkTokens: number },
): Promise<{ ok: true; tokens: number } | { ok: false; problem: string }> {
  const context = settings.contextTokens;
  if (context === undefined) return { ok: true, tokens: settings.chunkTokens };
  const count = await loadTokenCounter();
  const overhead =
    count(digestInstructions('the language of the document')) +
    count(JSON.stringify(z.toJSONSchema(LlmDigest))) +
    CARRIED_TOKENS;
  const output = outputLimit(settings);
  // The chunker may run a part over its budget by OVERRUN to save a call, and the sentence
  // numbers sent with a part add to it: leave room for both.
  const room = Math.floor(
    ((context - output) / CONTEXT_MARGIN - overhead) / (1 + OVERRUN) / (1 + MARKER_ALLOWANCE),
  );
  if (room >= settings.chunkTokens) return { ok: true, tokens: settings.chunkTokens };
  if (room >= MIN_PART_TOKENS) return { ok: true, tokens: room };
  return {
    ok: false,
    problem: `LLM_CONTEXT_TOKENS=${context} cannot hold a call: the output limit (${output} tokens) and the instructions and schema (about ${overhead}) leave ${Math.max(room, 0)} tokens of document, fewer than ${MIN_PART_TOKENS}. Give the server a larger context and say so in LLM_CONTEXT_TOKENS (Ollama: OLLAMA_CONTEXT_LENGTH=16384 ollama serve, then LLM_CONTEXT_TOKENS=16384), or lower LLM_MAX_OUTPUT_TOKENS`,
  };
}

type Body = OpenAI.Chat.Completions.ChatCompletionCreateParamsNonStreaming;
type Completion = OpenAI.Chat.Completions.ChatCompletion;
type SchemaFormat = OpenAI.ResponseFormatJSONSchema;

/** What the engine asks for; the profile turns it into the body this server understands. */
export interface DigestRequest {
  model: string;
  messages: Array<{ role: 'system' | 'user'; content: string }>;
  response_format: SchemaFormat;
}

/**
 * A failure caused by the endpoint's configuration (HTTP 401, 403 or 404), not by the document:
 * the cause of the `llm_rejected` error the document gets. It says nothing of the content, so it
 * is not remembered in the content-hash index.
 */
export class EndpointConfigError extends Error {
  override readonly name = 'EndpointConfigError';
}

/**
 * Whether an error is a document's record of an endpoint configuration error. Compared by the
 * name's text (not by class, nor by the class's own name, which minifying renames), so that it
 * holds across separately bundled copies of this module.
 */
export function isEndpointConfigFailure(error: unknown): boolean {
  return (
    error instanceof Error &&
    error.cause instanceof Error &&
    error.cause.name === 'EndpointConfigError'
  );
}

/**
 * One server's way of taking a digest request. Built once per engine, so what it learns of the
 * server (that it does not take JSON schemas) holds for the rest of the process.
 */
export class ProviderProfile {
  /** Tokens a call may generate, reasoning included: the value of the output-limit field. */
  readonly outputLimit: number;
  /** `json_object` once the server has shown it does not take or enforce a JSON schema. */
  private format: 'json_schema' | 'json_object' = 'json_schema';

  constructor(readonly settings: ProfileSettings) {
    this.outputLimit = outputLimit(settings);
  }

  get provider(): Provider {
    return this.settings.provider;
  }

  /** The response format calls use now. */
  get responseFormat(): 'json_schema' | 'json_object' {
    return this.format;
  }

  /** The body this server understands for `request`. */
  body(request: DigestRequest): Body {
    const { provider, temperature, reasoningEffort } = this.settings;
    const schema = request.response_format.json_schema.schema ?? {};
    const body: Body =
      this.format === 'json_schema'
        ? {
            model: request.model,
            messages: request.messages,
            response_format: request.response_format,
          }
        : {
            model: request.model,
            messages: withSchemaInPrompt(
              request.messages,
              request.response_format.json_schema.name,
              schema,
            ),
            // llama.cpp turns a schema beside json_object into a grammar, so it is still enforced.
            response_format: (provider === 'llamacpp'
              ? { type: 'json_object', schema }
              : { type: 'json_object' }) as OpenAI.ResponseFormatJSONObject,
          };
    // A reasoning model behind a gateway is OpenAI's, which rejects max_tokens for those.
    const field =
      reasoningEffort !== undefined && provider === 'compatible'
        ? 'max_completion_tokens'
        : OUTPUT_LIMIT_FIELD[provider];
    body[field] = this.outputLimit;
    if (temperature !== undefined) body.temperature = temperature;
    if (reasoningEffort !== undefined) body.reasoning_effort = reasoningEffort;
    return body;
  }

  /**
   * Sends `request` through `create` as this server takes it. Checks the call against the
   * server's context first (nothing is sent if it does not fit); a server that rejects the JSON
   * schema is asked again at once with a JSON object and the schema in the prompt, and so is
   * every later call; a schema answered with anything but a bare object (a fence, prose: the
   * server did not enforce it) switches later calls the same way.
   * @throws {DocumentError} `budget_exceeded` when the call cannot fit the context, or
   *   `llm_rejected` for an endpoint that is misconfigured (HTTP 401, 403, 404); otherwise
   *   whatever `create` throws.
   */
  async send(create: (body: Body) => Promise<Completion>, request: DigestRequest) {
    const count = await loadTokenCounter();
    for (;;) {
      const body = this.body(request);
      this.checkContext(body, count);
      try {
        const completion = await create(body);
        // A server that enforces a schema answers the bare object; anything around it (a fence,
        // prose) shows it does not, so later calls carry the schema in the prompt.
        const content = (completion.choices[0]?.message.content ?? '').trim();
        if (this.format === 'json_schema' && content && !content.startsWith('{')) {
          this.format = 'json_object';
        }
        return completion;
      } catch (error) {
        if (this.format === 'json_schema' && rejectsSchemaFormat(error)) {
          this.format = 'json_object';
          continue;
        }
        throw configurationError(error) ?? contextError(error) ?? error;
      }
    }
  }

  private checkContext(body: Body, count: TokenCounter) {
    const context = this.settings.contextTokens;
    if (context === undefined) return;
    // About 4 tokens of framing per message, as chat templates add.
    let input = 3;
    for (const message of body.messages) input += count(String(message.content ?? '')) + 4;
    if (body.response_format?.type === 'json_schema') {
      input += count(JSON.stringify(body.response_format.json_schema.schema ?? {}));
    }
    const needed = Math.ceil(input * CONTEXT_MARGIN) + this.outputLimit;
    if (needed > context) {
      throw new DocumentError(
        'budget_exceeded',
        `A call would need about ${needed} tokens of context (${input} in with a ${Math.round((CONTEXT_MARGIN - 1) * 100)}% margin, up to ${this.outputLimit} out); the server's context is ${context} (LLM_CONTEXT_TOKENS). Nothing was sent.`,
      );
    }
  }
}

/** The system message with the schema the server will not enforce, so the model still sees it. */
function withSchemaInPrompt(
  messages: DigestRequest['messages'],
  name: string,
  schema: unknown,
): DigestRequest['messages'] {
  const rule = `Answer with one JSON object (${name}), and nothing else, that matches this JSON Schema:\n${JSON.stringify(schema)}`;
  const system = messages.findIndex((m) => m.role === 'system');
  if (system < 0) return [{ role: 'system', content: rule }, ...messages];
  return messages.map((m, i) => (i === system ? { ...m, content: `${m.content}\n${rule}` } : m));
}

/**
 * The JSON text of an answer: without a reasoning model's `<think>` block, without a Markdown
 * fence (```json … ```), and without prose around the object, as servers that do not enforce a
 * schema answer. An answer that already is an object is left alone.
 */
export function unwrapJson(content: string): string {
  const text = content.replace(/<think>[\s\S]*?<\/think>/g, '').trim();
  if (text.startsWith('{')) return text;
  // The object runs from the first brace to the last: a fence or prose can only be around it.
  const start = text.indexOf('{');
  const end = text.lastIndexOf('}');
  return start >= 0 && end > start ? text.slice(start, end + 1) : text;
}

/** The HTTP status and error text of an SDK error, or of the error it caused. */
function httpFailure(error: unknown): { status: number; text: string } | null {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 3; depth++) {
    const status = (e as { status?: unknown }).status;
    if (typeof status === 'number') {
      const body = (e as { error?: unknown }).error;
      return { status, text: `${e.message} ${body === undefined ? '' : JSON.stringify(body)}` };
    }
    e = e.cause;
  }
  return null;
}

/** A 400 (or 422) that names the response format: the server does not take JSON schemas. */
function rejectsSchemaFormat(error: unknown): boolean {
  const failure = httpFailure(error);
  return (
    failure !== null &&
    (failure.status === 400 || failure.status === 422) &&
    /response_format|json_schema/i.test(failure.text) &&
    !CONTEXT_OVERFLOW.test(failure.text)
  );
}

const CONFIGURATION_STATUS: Record<number, string> = {
  401: 'rejected the API key (HTTP 401): check OPENAI_API_KEY',
  403: 'refused access (HTTP 403): check that the key may use this model and region',
  404: 'answered HTTP 404 (not found): check OPENAI_BASE_URL and OPENAI_MODEL (on Azure, the deployment name; on Ollama, a pulled model)',
};

/** Turns an endpoint configuration failure into the document's `llm_rejected` record. */
function configurationError(error: unknown): DocumentError | null {
  const failure = httpFailure(error);
  const reason = failure ? CONFIGURATION_STATUS[failure.status] : undefined;
  if (!reason) return null;
  const message = `The LLM endpoint ${reason}. A configuration error, not the document's: once it is fixed, run a backfill.`;
  return new DocumentError('llm_rejected', message, {
    cause: new EndpointConfigError(message, { cause: error }),
  });
}

/** What vLLM, llama.cpp and others answer when a request is over the model's context. */
const CONTEXT_OVERFLOW =
  /maximum context length|exceeds? the available context size|exceed_context_size_error|context_length_exceeded|context window/i;

/** A 400 over the server's context: the document is over budget for this server. */
function contextError(error: unknown): DocumentError | null {
  if (error instanceof DocumentError && error.code === 'budget_exceeded') return null;
  const failure = httpFailure(error);
  if (failure?.status !== 400 || !CONTEXT_OVERFLOW.test(failure.text)) return null;
  return new DocumentError(
    'budget_exceeded',
    "The request is longer than the server's context; set LLM_CONTEXT_TOKENS to the server's context so that parts are sized to fit it.",
    { cause: error },
  );
}
