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
import {
  CARRIED_TOKENS,
  CONTEXT_MARGIN,
  EndpointConfigError,
  MIN_PART_TOKENS,
  OUTPUT_LIMIT_FIELD,
  outputLimit,
  type ProfileSettings,
  type Provider,
} from './profile';
import { loadTokenCounter, type TokenCounter } from './tokens';

export * from './profile';

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
