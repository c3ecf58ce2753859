/**
 * A local OpenAI-compatible server for tests at the HTTP boundary: the real `openai` client talks
 * to it over HTTP on 127.0.0.1. By default it answers like a model that follows the requested
 * JSON schema; a test swaps in a responder to answer slowly, with 429/500, with malformed or
 * truncated JSON, with a refusal, or with quotes that are not in the source.
 *
 * A mode makes it behave as a given server documents (see {@link ServerMode}); what the server
 * made of each request (the output limit it applied, its temperature, a prompt it cut) is kept
 * in `requests[i].served`.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { countTokens, decode, encode } from 'gpt-tokenizer/encoding/o200k_base';

export interface ChatRequest {
  body: {
    model: string;
    messages: Array<{ role: string; content: string }>;
    response_format?: {
      type: string;
      json_schema?: { name: string; strict?: boolean; schema: unknown };
      schema?: unknown;
    };
    max_completion_tokens?: number;
    max_tokens?: number;
    temperature?: number;
    reasoning_effort?: string;
    options?: Record<string, unknown>;
  };
  /** The request's path, e.g. `/v1/chat/completions`. */
  path: string;
  /** The text between <document> and </document> in the user message, as the model saw it. */
  document: string;
  /** The requested schema's name (also when the schema is in the prompt of a JSON-object call). */
  schema: string;
  /** The system message. */
  instructions: string;
  /** What the server made of the request, as the mode's server would. */
  served: Served;
}

/** What the server applied to a request. */
export interface Served {
  /** The output limit the server read from the request; null: none (unbounded). */
  maxTokens: number | null;
  /** The temperature sampled with (the server's default when none was sent). */
  temperature: number;
  /** Input tokens the model saw, after any cut. */
  promptTokens: number;
  /** Whether the prompt was cut to the server's context without an error, as Ollama does. */
  truncated: boolean;
}

export type Reply =
  | { json: unknown; finishReason?: 'stop' | 'length' }
  | { raw: string; finishReason?: 'stop' | 'length' }
  | { refusal: string }
  | { status: number; headers?: Record<string, string>; error?: { message: string; code?: string } }
  | { delayMs: number; reply: Reply };

/** Decides the reply to a request; `n` counts requests from 1. */
export type Responder = (request: ChatRequest, n: number) => Reply | Promise<Reply>;

/**
 * The server the test server behaves as, from each one's documentation:
 * - `openai` (default): follows the schema; applies no output limit.
 * - `azure`: the v1 API at `/openai/v1` (Bearer key); a deployments path answers 404 "Resource
 *   not found", an unknown deployment (model) 404 `DeploymentNotFound`, no key 401.
 * - `ollama`: reads `max_tokens` only (`max_completion_tokens` leaves the output unbounded),
 *   ignores `options`, samples at temperature 1 unless sent, and cuts a prompt over its context
 *   (`contextTokens`, default 4096) silently, keeping the end.
 * - `no-json-schema`: answers 400 naming `response_format` to a JSON schema, and fenced JSON to a
 *   JSON-object request.
 * - `reasoning`: an OpenAI reasoning model: rejects `temperature` and `max_tokens`, spends
 *   reasoning tokens (by `reasoning_effort`, default medium) out of `max_completion_tokens` and
 *   stops at `length`, empty, when they run out.
 * - `vllm`: reads `max_completion_tokens` or `max_tokens`; answers 400 "maximum context length"
 *   when prompt and output limit exceed its context (`--max-model-len`, default 8192).
 * - `llamacpp`: reads `max_tokens`; takes `json_schema` or `json_object` with a `schema`; answers
 *   400 `exceed_context_size_error` to a prompt over its context (`-c`, default 4096) and stops
 *   at `length` when the output reaches it; samples at 0.8 unless sent.
 */
export type ServerMode =
  | 'openai'
  | 'azure'
  | 'ollama'
  | 'no-json-schema'
  | 'reasoning'
  | 'vllm'
  | 'llamacpp';

export interface ServerOptions {
  mode?: ServerMode;
  /** The server's context in tokens (Ollama's num_ctx, vLLM's max-model-len, llama.cpp's -c). */
  contextTokens?: number;
  /** Azure: the deployments that exist; default, any model name. */
  deployments?: string[];
}

export interface FakeOpenAi {
  baseURL: string;
  requests: ChatRequest[];
  /** What the server has billed so far: answered calls and their tokens, as its usage says. */
  billed: { calls: number; inputTokens: number; outputTokens: number };
  respondWith(responder: Responder): void;
  close(): Promise<void>;
}

const DEFAULT_CONTEXT: Partial<Record<ServerMode, number>> = {
  ollama: 4096,
  vllm: 8192,
  llamacpp: 4096,
};

const DEFAULT_TEMPERATURE: Record<ServerMode, number> = {
  openai: 1,
  azure: 1,
  ollama: 1,
  'no-json-schema': 1,
  reasoning: 1,
  vllm: 1,
  llamacpp: 0.8,
};

/** Reasoning tokens the `reasoning` mode spends, by effort. */
const REASONING_SPENT: Record<string, number> = {
  none: 0,
  minimal: 300,
  low: 1_500,
  medium: 6_000,
  high: 20_000,
  xhigh: 40_000,
};

type Failure = { status: number; error: Record<string, unknown> };

export async function startFakeOpenAi(
  responder: Responder = followSchema,
  options: ServerOptions = {},
): Promise<FakeOpenAi> {
  const mode = options.mode ?? 'openai';
  const context = options.contextTokens ?? DEFAULT_CONTEXT[mode];
  let current = responder;
  const requests: ChatRequest[] = [];
  const billed = { calls: 0, inputTokens: 0, outputTokens: 0 };
  const server = createServer((req, res) => {
    void handle(req, res).catch((error) => {
      res.writeHead(500).end(String(error));
    });
  });

  const fail = (res: ServerResponse, failure: Failure) => {
    res.writeHead(failure.status, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: failure.error }));
  };

  /** What the server refuses before the model sees anything; null when it takes the request. */
  function refusal(req: IncomingMessage, path: string, body: ChatRequest['body']): Failure | null {
    if (mode === 'azure') {
      if (!req.headers.authorization && !req.headers['api-key']) {
        return {
          status: 401,
          error: {
            code: '401',
            message: 'Access denied due to invalid subscription key or wrong API endpoint.',
          },
        };
      }
      if (!path.startsWith('/openai/v1/')) {
        return { status: 404, error: { code: '404', message: 'Resource not found' } };
      }
      if (options.deployments && !options.deployments.includes(body.model)) {
        return {
          status: 404,
          error: {
            code: 'DeploymentNotFound',
            message: 'The API deployment for this resource does not exist.',
          },
        };
      }
    }
    if (mode === 'no-json-schema' && body.response_format?.type === 'json_schema') {
      return {
        status: 400,
        error: {
          message:
            "Invalid parameter: 'response_format' of type 'json_schema' is not supported with this model.",
          type: 'invalid_request_error',
          param: 'response_format',
          code: null,
        },
      };
    }
    if (mode === 'reasoning') {
      for (const [param, hint] of [
        ['temperature', ''],
        ['max_tokens', " Use 'max_completion_tokens' instead."],
      ] as const) {
        if (body[param] !== undefined) {
          return {
            status: 400,
            error: {
              message: `Unsupported parameter: '${param}' is not supported with this model.${hint}`,
              type: 'invalid_request_error',
              param,
              code: 'unsupported_parameter',
            },
          };
        }
      }
    }
    return null;
  }

  /** The output limit the mode's server reads from a request. */
  function outputLimit(body: ChatRequest['body']): number | null {
    switch (mode) {
      case 'ollama':
      case 'llamacpp':
        return body.max_tokens ?? null;
      case 'vllm':
        return body.max_completion_tokens ?? body.max_tokens ?? null;
      case 'reasoning':
        return body.max_completion_tokens ?? null;
      default:
        return null;
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const path = (req.url ?? '').split('?')[0] ?? '';
    if (req.method !== 'POST' || !path.endsWith('/chat/completions')) {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: 'not found' } }));
      return;
    }
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as ChatRequest['body'];
    const user = body.messages.find((m) => m.role === 'user')?.content ?? '';
    const instructions = body.messages.find((m) => m.role === 'system')?.content ?? '';
    const prompt =
      body.messages.map((m) => m.content).join('\n') + JSON.stringify(body.response_format ?? '');
    const maxTokens = outputLimit(body);
    const request: ChatRequest = {
      body,
      path,
      document: /<document>\n([\s\S]*)\n<\/document>/.exec(user)?.[1] ?? '',
      schema:
        body.response_format?.json_schema?.name ??
        /JSON object \(([\w-]+)\)/.exec(instructions)?.[1] ??
        '',
      instructions,
      served: {
        maxTokens,
        temperature: body.temperature ?? DEFAULT_TEMPERATURE[mode],
        promptTokens: countTokens(prompt),
        truncated: false,
      },
    };
    requests.push(request);
    const refused = refusal(req, path, body);
    if (refused) return fail(res, refused);

    const promptTokens = request.served.promptTokens;
    if (context !== undefined && mode === 'vllm' && promptTokens + (maxTokens ?? 0) > context) {
      return fail(res, {
        status: 400,
        error: {
          message: `This model's maximum context length is ${context} tokens. However, you requested ${maxTokens ?? 0} output tokens and your prompt contains at least ${promptTokens} input tokens, for a total of at least ${promptTokens + (maxTokens ?? 0)} tokens. Please reduce the length of the input prompt or the number of requested output tokens.`,
          type: 'BadRequestError',
          param: null,
          code: 400,
        },
      });
    }
    if (context !== undefined && mode === 'llamacpp' && promptTokens >= context) {
      return fail(res, {
        status: 400,
        error: {
          code: 400,
          message: 'the request exceeds the available context size, try increasing it',
          type: 'exceed_context_size_error',
          n_prompt_tokens: promptTokens,
          n_ctx: context,
        },
      });
    }
    if (context !== undefined && mode === 'ollama' && promptTokens > context) {
      // Ollama keeps the end of an over-long prompt: the model sees the document's last part.
      const cut = encode(request.document).slice(promptTokens - context);
      request.document = decode(cut);
      request.served.promptTokens = context;
      request.served.truncated = true;
    }

    let reply = await current(request, requests.length);
    while ('delayMs' in reply) {
      const { delayMs, reply: next } = reply;
      await new Promise((r) => setTimeout(r, delayMs));
      if (res.destroyed || res.socket?.destroyed !== false) return;
      reply = next;
    }
    if ('status' in reply) {
      res.writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers });
      res.end(
        JSON.stringify({
          error: {
            message: reply.error?.message ?? 'injected failure',
            code: reply.error?.code ?? null,
          },
        }),
      );
      return;
    }
    let text = 'json' in reply ? JSON.stringify(reply.json) : 'raw' in reply ? reply.raw : '';
    if (mode === 'no-json-schema' && 'json' in reply) text = `\`\`\`json\n${text}\n\`\`\``;
    let finishReason = 'refusal' in reply ? 'stop' : (reply.finishReason ?? 'stop');
    // Output the server lets the model write: its limit, and for llama.cpp the context left.
    let room = maxTokens ?? Number.POSITIVE_INFINITY;
    if (mode === 'llamacpp' && context !== undefined) room = Math.min(room, context - promptTokens);
    let reasoningTokens = 0;
    if (mode === 'reasoning') {
      reasoningTokens = Math.min(REASONING_SPENT[body.reasoning_effort ?? 'medium'] ?? 0, room);
      room -= reasoningTokens;
    }
    const answer = encode(text);
    if (!('refusal' in reply) && answer.length > room) {
      text = decode(answer.slice(0, Math.max(room, 0)));
      finishReason = 'length';
    }
    const message =
      'refusal' in reply
        ? { role: 'assistant', content: null, refusal: reply.refusal }
        : { role: 'assistant', content: text, refusal: null };
    const completionTokens =
      countTokens(message.content ?? message.refusal ?? '') + reasoningTokens;
    billed.calls++;
    billed.inputTokens += request.served.promptTokens;
    billed.outputTokens += completionTokens;
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({
        id: `chatcmpl-${requests.length}`,
        object: 'chat.completion',
        created: Math.floor(Date.now() / 1000),
        model: body.model,
        choices: [{ index: 0, message, finish_reason: finishReason }],
        usage: {
          prompt_tokens: request.served.promptTokens,
          completion_tokens: completionTokens,
          total_tokens: request.served.promptTokens + completionTokens,
          ...(mode === 'reasoning'
            ? { completion_tokens_details: { reasoning_tokens: reasoningTokens } }
            : {}),
        },
      }),
    );
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseURL: `http://127.0.0.1:${port}${mode === 'azure' ? '/openai/v1' : '/v1'}`,
    requests,
    billed,
    respondWith(responder) {
      current = responder;
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const ITEM =
  /(?:^|[。；;：:，,\n])\s*((?:[一二三四五六七八九十]+是|第[一二三四五六七八九十]+[，,、]|[（(][一二三四五六七八九十]+[）)]|\d+[.、])[^。；;\n]{2,40})/gu;

/**
 * Answers as a model that follows the requested schema would: summaries from the first sentence,
 * tasks from enumerated items, each with a verbatim quote of the document it was sent.
 */
export const followSchema = (request: ChatRequest, _n = 0): Reply => {
  if (request.schema === 'digest_reduce') return reduceParts(request);
  const text = request.document;
  const firstSentence = /^[\s\S]*?[。.!?！？](?=\s|$|[^\d])/.exec(text)?.[0] ?? text.slice(0, 60);
  const tasks = [...text.matchAll(ITEM)].map((m) => {
    const quote = (m[1] ?? '').trim();
    return {
      task: quote.replace(
        /^(?:[一二三四五六七八九十]+是|第[一二三四五六七八九十]+[，,、]|[（(][一二三四五六七八九十]+[）)]|\d+[.、])/u,
        '',
      ),
      owner: null,
      deadline: null,
      quote,
    };
  });
  return {
    json: {
      summary: firstSentence.trim(),
      articles: [
        {
          title: null,
          byline: null,
          summary: firstSentence.trim(),
          keyPoints: [{ point: firstSentence.trim(), quote: firstSentence.trim().slice(0, 40) }],
          tasks,
        },
      ],
    },
  };
};

/**
 * Answers the reduce step of a long document as a faithful model would: the document's summary
 * strings together what every part said, each article's what its parts said.
 */
function reduceParts(request: ChatRequest): Reply {
  const user = request.body.messages.find((m) => m.role === 'user')?.content ?? '';
  const parts = [...user.matchAll(/^Part \d+: (.*)$/gm)].map((m) => m[1] ?? '');
  const articles = [...user.matchAll(/^Article (\d+) \([^)]*\): (.*)$/gm)].map((m) => ({
    index: Number(m[1]),
    summary: (m[2] ?? '').split(' / ').join(''),
  }));
  return { json: { summary: parts.join(''), articles } };
}

/** Follows the schema, then adds tasks of its own: a model that invents or obeys what it should not. */
export function withExtraTasks(
  ...tasks: Array<{ task: string; owner: string | null; deadline: string | null; quote: string }>
): Responder {
  return (request, n) => {
    const answer = followSchema(request, n) as { json: { articles: Array<{ tasks: unknown[] }> } };
    answer.json.articles[0]?.tasks.push(...tasks);
    return answer;
  };
}
