/**
 * A local OpenAI-compatible server for tests at the HTTP boundary: the real `openai` client talks
 * to it over HTTP on 127.0.0.1. By default it answers like a model that follows the requested
 * JSON schema, citing the numbered sentences of the document it was sent; a test swaps in a
 * responder to answer slowly, with 429/500, with malformed or truncated JSON, with a refusal, or
 * with citations of words that are not in the source.
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
  /**
   * The text between <document> and </document> in the user message, as the model saw it, with
   * the sentence numbers taken out (what was sent of the source).
   */
  document: string;
  /** The numbered sentences of the document, as the model saw them. */
  sentences: Array<{ number: number; text: string }>;
  /** Which part of a long document the user message says this is; null: the whole. */
  part: { index: number; count: number } | null;
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
  /**
   * Batches: how many requests of a batch are answered before its 24-hour window closes; the
   * rest expire (the batch ends `expired`). Default: all are answered.
   */
  batchAnswers?: number;
}

export interface FakeOpenAi {
  baseURL: string;
  requests: ChatRequest[];
  /** What the server has billed so far: answered calls and their tokens, as its usage says. */
  billed: { calls: number; inputTokens: number; outputTokens: number };
  respondWith(responder: Responder): void;
  /**
   * The Batch API's side: batches created, and what was billed through them (also counted in
   * `billed`, as every batch request goes through the chat route).
   */
  batches: {
    created: number;
    /** Every line of every batch input file taken, in order. */
    lines: Array<{ custom_id: string; body: unknown }>;
    billed: { calls: number; inputTokens: number; outputTokens: number };
  };
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
    if (/\/(files|batches)(\/|$)/.test(path)) return batchApi.handle(req, res, path);
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
    const numbered = /<document>\n([\s\S]*)\n<\/document>/.exec(user)?.[1] ?? '';
    const part = /^Part (\d+) of (\d+) of a long document\./m.exec(user);
    const request: ChatRequest = {
      body,
      path,
      ...readNumbered(numbered),
      part: part ? { index: Number(part[1]), count: Number(part[2]) } : null,
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
      const cut = encode(numbered).slice(promptTokens - context);
      Object.assign(request, readNumbered(decode(cut)));
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
  const batchApi = fakeBatchApi(`http://127.0.0.1:${port}`, options.batchAnswers);
  return {
    batches: batchApi.state,
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

/** The document as the model saw it (numbers taken out) and its numbered sentences. */
function readNumbered(numbered: string): Pick<ChatRequest, 'document' | 'sentences'> {
  const pieces = numbered.split(/\[(\d+)\]/);
  const sentences: ChatRequest['sentences'] = [];
  for (let i = 1; i < pieces.length; i += 2) {
    sentences.push({ number: Number(pieces[i]), text: (pieces[i + 1] ?? '').trim() });
  }
  return { document: pieces.filter((_, i) => i % 2 === 0).join(''), sentences };
}

const ITEM =
  /(?:^|[。；;：:，,\n])\s*((?:[一二三四五六七八九十]+是|第[一二三四五六七八九十]+[，,、]|[（(][一二三四五六七八九十]+[）)]|\d+[.、])[^。；;\n]{2,40})/gu;

/** An anchor as a model writes one: the first 4 characters of Chinese, else the first 2 words. */
export function anchorOf(text: string): string {
  const trimmed = text.trim();
  if (/^[\p{Script=Han}（(“"]/u.test(trimmed)) return [...trimmed].slice(0, 4).join('');
  return trimmed.split(/\s+/).slice(0, 2).join(' ');
}

const squash = (text: string) => text.replace(/\s+/g, '').toLowerCase();

/**
 * How a model cites `quote`: the number of the sentence holding it and an anchor where it starts.
 * Words that are in no sentence are cited anyway, as a model that made them up would: with the
 * first sentence's number and the words themselves as the anchor (so the code finds nothing).
 */
export function cite(request: ChatRequest, quote: string): { sentence: number; anchor: string } {
  const sentence = request.sentences.find((s) => squash(s.text).includes(squash(quote)));
  if (!sentence) return { sentence: request.sentences[0]?.number ?? 1, anchor: quote };
  return { sentence: sentence.number, anchor: anchorOf(quote) };
}

/**
 * Answers as a model that follows the requested schema would: summaries from the first sentence,
 * a key point on it, tasks from enumerated items, each citing its sentence with an anchor where
 * the item starts.
 */
export const followSchema = (request: ChatRequest, _n = 0): Reply => {
  if (request.schema === 'digest_reduce') return reduceParts(request);
  const first = request.sentences[0];
  const summary = first?.text ?? request.document.trim().slice(0, 60);
  const items = request.sentences.flatMap((s) =>
    [...s.text.matchAll(ITEM)].map((m) => {
      const quote = (m[1] ?? '').trim();
      return {
        sentence: s.number,
        anchor: anchorOf(quote),
        task: quote.replace(
          /^(?:[一二三四五六七八九十]+是|第[一二三四五六七八九十]+[，,、]|[（(][一二三四五六七八九十]+[）)]|\d+[.、])/u,
          '',
        ),
        owner: null,
        deadline: null,
      };
    }),
  );
  // A server that enforces the schema stops a list at its bound.
  const tasks = items.slice(0, maxItems(request, 'tasks'));
  return {
    json: {
      summary,
      articles: [
        {
          title: null,
          byline: null,
          summary,
          keyPoints: first
            ? [{ sentence: first.number, anchor: anchorOf(first.text), point: first.text }]
            : [],
          tasks,
        },
      ],
    },
  };
};

/**
 * The `maxItems` the requested JSON schema sets on an article's list, which a server enforcing
 * the schema keeps to; unbounded when the schema is only in the prompt.
 */
function maxItems(request: ChatRequest, list: 'keyPoints' | 'tasks'): number {
  type Node = { maxItems?: number; properties?: Record<string, Node>; items?: Node };
  const schema = request.body.response_format?.json_schema?.schema as Node | undefined;
  const bound = schema?.properties?.articles?.items?.properties?.[list]?.maxItems;
  return bound ?? Number.POSITIVE_INFINITY;
}

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

/** A task as a test writes it: cited by a quote of the source, or by sentence and anchor. */
export type ExtraTask = { task: string; owner: string | null; deadline: string | null } & (
  | { quote: string }
  | { sentence: number; anchor: string }
);

/** The task as the model would write it for `request`. */
function cited(request: ChatRequest, { task, owner, deadline, ...where }: ExtraTask) {
  const citation = 'quote' in where ? cite(request, where.quote) : where;
  return { ...citation, task, owner, deadline };
}

/** Follows the schema, then adds tasks of its own: a model that invents or obeys what it should not. */
export function withExtraTasks(...tasks: ExtraTask[]): Responder {
  return (request, n) => {
    const answer = followSchema(request, n) as { json: { articles: Array<{ tasks: unknown[] }> } };
    answer.json.articles[0]?.tasks.push(...tasks.map((t) => cited(request, t)));
    return answer;
  };
}

/** An answer as a test writes it, with a quote where the model cites a sentence. */
export interface QuotedAnswer {
  summary: string;
  articles: Array<{
    title: string | null;
    byline: string | null;
    summary: string;
    keyPoints: Array<{ point: string; quote: string }>;
    tasks: Array<{ task: string; owner: string | null; deadline: string | null; quote: string }>;
  }>;
}

/** Answers `answer`, each quote cited as a model would cite it in the document it was sent. */
export function fromQuotes(answer: QuotedAnswer): Responder {
  return (request) => ({
    json: {
      summary: answer.summary,
      articles: answer.articles.map((a) => ({
        ...a,
        keyPoints: a.keyPoints.map(({ point, quote }) => ({ ...cite(request, quote), point })),
        tasks: a.tasks.map((t) => cited(request, t)),
      })),
    },
  });
}

/**
 * An answer written for a known document, as a careful model would give it: each key point and
 * task says where it starts in the source (`at`, verbatim and found in one sentence only).
 */
export interface PlannedAnswer {
  summary: string;
  articles: Array<{
    title: string | null;
    byline: string | null;
    summary: string;
    keyPoints: Array<{ at: string; point: string }>;
    tasks: Array<{ at: string; task: string; owner: string | null; deadline: string | null }>;
  }>;
}

/**
 * Answers `planned` in the requested shape: each item cites the numbered sentence holding its
 * `at`, with the first 6 characters of `at` as its anchor (the prompt asks for 2 to 6). Items
 * whose sentence is not in the request (another part) are left out, as a model that never saw
 * them would.
 */
export function answerFrom(planned: PlannedAnswer): Responder {
  return (request) => {
    const place = (at: string) => {
      const sentence = request.sentences.find((s) => s.text.includes(at));
      return sentence ? { sentence: sentence.number, anchor: [...at].slice(0, 6).join('') } : null;
    };
    return {
      json: {
        summary: planned.summary,
        articles: planned.articles.map(({ keyPoints, tasks, ...article }) => ({
          ...article,
          keyPoints: keyPoints.flatMap(({ at, point }) => {
            const where = place(at);
            return where ? [{ ...where, point }] : [];
          }),
          tasks: tasks.flatMap(({ at, ...task }) => {
            const where = place(at);
            return where ? [{ ...where, ...task }] : [];
          }),
        })),
      },
    };
  };
}

interface StoredFile {
  id: string;
  bytes: Buffer;
  filename: string;
  purpose: string;
  created_at: number;
}

interface BatchLine {
  custom_id: string;
  method: string;
  url: string;
  body: unknown;
}

type BatchStatus = 'validating' | 'failed' | 'in_progress' | 'finalizing' | 'completed' | 'expired';

/**
 * The Files and Batches APIs as OpenAI documents them: `POST /v1/files` (multipart, purpose
 * `batch`), `POST /v1/batches` (an input file, endpoint `/v1/chat/completions`, window `24h`),
 * `GET /v1/batches/{id}`, `GET /v1/files/{id}/content`. A batch moves one status a look:
 * validating → in_progress → finalizing → completed (or failed, when its input is invalid: a
 * repeated `custom_id`, a line for another endpoint; or expired, with `answers` of its requests
 * done). Each request is answered by the chat route of the same server, so responders, modes and
 * billing apply; a non-200 answer goes to the error file with its response, an expired request
 * with `batch_expired`.
 */
function fakeBatchApi(origin: string, answers: number | undefined) {
  const files = new Map<string, StoredFile>();
  const batches = new Map<
    string,
    Record<string, unknown> & { status: BatchStatus; lines: BatchLine[] }
  >();
  const state: FakeOpenAi['batches'] = {
    created: 0,
    lines: [],
    billed: { calls: 0, inputTokens: 0, outputTokens: 0 },
  };
  let ids = 0;
  const now = () => Math.floor(Date.now() / 1000);
  const send = (res: ServerResponse, status: number, body: unknown, type = 'application/json') => {
    res.writeHead(status, { 'content-type': type });
    res.end(typeof body === 'string' ? body : JSON.stringify(body));
  };
  const invalid = (res: ServerResponse, message: string, param: string | null = null) =>
    send(res, 400, { error: { message, type: 'invalid_request_error', param, code: null } });
  const saveFile = (bytes: Buffer, filename: string, purpose: string): StoredFile => {
    const file = { id: `file-${++ids}`, bytes, filename, purpose, created_at: now() };
    files.set(file.id, file);
    return file;
  };
  const fileObject = (f: StoredFile) => ({
    id: f.id,
    object: 'file',
    bytes: f.bytes.length,
    created_at: f.created_at,
    filename: f.filename,
    purpose: f.purpose,
    status: 'processed',
  });
  const view = (batch: Record<string, unknown>) => {
    const { lines: _, ...shown } = batch;
    return shown;
  };

  /** One look at a batch: it moves on by one status. */
  async function advance(
    batch: Record<string, unknown> & { status: BatchStatus; lines: BatchLine[] },
  ) {
    if (batch.status === 'validating') {
      const input = files.get(String(batch.input_file_id));
      const errors: Array<{ code: string; message: string; line: number }> = [];
      const seen = new Set<string>();
      const lines: BatchLine[] = [];
      (input?.bytes.toString('utf8') ?? '').split('\n').forEach((text, i) => {
        if (!text.trim()) return;
        let line: BatchLine;
        try {
          line = JSON.parse(text) as BatchLine;
        } catch {
          errors.push({
            code: 'invalid_json_line',
            message: 'This line is not parseable as valid JSON.',
            line: i + 1,
          });
          return;
        }
        if (seen.has(line.custom_id)) {
          errors.push({
            code: 'duplicate_custom_id',
            message:
              'The custom ID for this request is a duplicate of the custom ID for another request.',
            line: i + 1,
          });
        }
        if (line.method !== 'POST' || line.url !== batch.endpoint) {
          errors.push({
            code: 'invalid_url',
            message: `The URL provided for this request does not match the batch endpoint.`,
            line: i + 1,
          });
        }
        seen.add(line.custom_id);
        lines.push(line);
      });
      if (errors.length > 0 || lines.length === 0) {
        batch.status = 'failed';
        batch.failed_at = now();
        batch.errors = {
          object: 'list',
          data:
            errors.length > 0
              ? errors
              : [{ code: 'empty_file', message: 'The batch input file is empty.', line: null }],
        };
        return;
      }
      batch.lines = lines;
      state.lines.push(...lines.map(({ custom_id, body }) => ({ custom_id, body })));
      batch.status = 'in_progress';
      batch.in_progress_at = now();
      batch.request_counts = { total: lines.length, completed: 0, failed: 0 };
      return;
    }
    if (batch.status === 'in_progress') {
      const output: string[] = [];
      const errorLines: string[] = [];
      const counts = { total: batch.lines.length, completed: 0, failed: 0 };
      for (const [i, line] of batch.lines.entries()) {
        const id = `batch_req_${batch.id}_${i + 1}`;
        if (answers !== undefined && i >= answers) {
          counts.failed++;
          errorLines.push(
            JSON.stringify({
              id,
              custom_id: line.custom_id,
              response: null,
              error: {
                code: 'batch_expired',
                message: 'This request could not be executed before the completion window expired.',
              },
            }),
          );
          continue;
        }
        const answer = await fetch(`${origin}${line.url}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: 'Bearer batch' },
          body: JSON.stringify(line.body),
        });
        const body = (await answer.json()) as {
          usage?: { prompt_tokens: number; completion_tokens: number };
        };
        const record = JSON.stringify({
          id,
          custom_id: line.custom_id,
          response: { status_code: answer.status, request_id: `req_${i + 1}`, body },
          error: null,
        });
        if (answer.status === 200) {
          counts.completed++;
          output.push(record);
          state.billed.calls++;
          state.billed.inputTokens += body.usage?.prompt_tokens ?? 0;
          state.billed.outputTokens += body.usage?.completion_tokens ?? 0;
        } else {
          counts.failed++;
          errorLines.push(record);
        }
      }
      batch.request_counts = counts;
      batch.output_file_id =
        output.length > 0
          ? saveFile(Buffer.from(`${output.join('\n')}\n`), 'batch_output.jsonl', 'batch_output').id
          : null;
      batch.error_file_id =
        errorLines.length > 0
          ? saveFile(
              Buffer.from(`${errorLines.join('\n')}\n`),
              'batch_errors.jsonl',
              'batch_output',
            ).id
          : null;
      batch.status = answers !== undefined && answers < counts.total ? 'expired' : 'finalizing';
      batch[batch.status === 'expired' ? 'expired_at' : 'finalizing_at'] = now();
      return;
    }
    if (batch.status === 'finalizing') {
      batch.status = 'completed';
      batch.completed_at = now();
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse, path: string) {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks);
    const content = /\/files\/([^/]+)\/content$/.exec(path);
    if (req.method === 'GET' && content) {
      const file = files.get(content[1] ?? '');
      return file
        ? send(res, 200, file.bytes.toString('utf8'), 'application/octet-stream')
        : send(res, 404, { error: { message: 'No such File object' } });
    }
    if (req.method === 'POST' && path.endsWith('/files')) {
      const form = await new Response(raw, {
        headers: { 'content-type': req.headers['content-type'] ?? '' },
      }).formData();
      const file = form.get('file');
      const purpose = form.get('purpose');
      if (!(file instanceof Blob) || typeof purpose !== 'string')
        return invalid(res, 'file and purpose are required', 'file');
      if (!['batch', 'assistants', 'fine-tune', 'vision', 'user_data', 'evals'].includes(purpose))
        return invalid(res, `Invalid purpose: ${purpose}`, 'purpose');
      const name = 'name' in file && typeof file.name === 'string' ? file.name : 'upload';
      if (purpose === 'batch' && !name.endsWith('.jsonl'))
        return invalid(res, 'A batch input file must be a .jsonl file.', 'file');
      return send(
        res,
        200,
        fileObject(saveFile(Buffer.from(await file.arrayBuffer()), name, purpose)),
      );
    }
    if (req.method === 'POST' && path.endsWith('/batches')) {
      const body = JSON.parse(raw.toString('utf8')) as Record<string, unknown>;
      const input = files.get(String(body.input_file_id));
      if (input?.purpose !== 'batch')
        return invalid(
          res,
          'The input file must be a file uploaded with purpose "batch".',
          'input_file_id',
        );
      if (
        !['/v1/chat/completions', '/v1/responses', '/v1/embeddings', '/v1/completions'].includes(
          String(body.endpoint),
        )
      )
        return invalid(res, `Invalid endpoint: ${String(body.endpoint)}`, 'endpoint');
      if (body.completion_window !== '24h')
        return invalid(res, "completion_window must be '24h'", 'completion_window');
      state.created++;
      const batch = {
        id: `batch_${++ids}`,
        object: 'batch',
        endpoint: body.endpoint,
        errors: null,
        input_file_id: input.id,
        completion_window: '24h',
        status: 'validating' as BatchStatus,
        output_file_id: null,
        error_file_id: null,
        created_at: now(),
        expires_at: now() + 86_400,
        request_counts: { total: 0, completed: 0, failed: 0 },
        metadata: body.metadata ?? null,
        lines: [] as BatchLine[],
      };
      batches.set(batch.id, batch);
      return send(res, 200, view(batch));
    }
    const one = /\/batches\/([^/]+)$/.exec(path);
    if (req.method === 'GET' && one) {
      const batch = batches.get(one[1] ?? '');
      if (!batch) return send(res, 404, { error: { message: 'No such Batch object' } });
      await advance(batch);
      return send(res, 200, view(batch));
    }
    return send(res, 404, { error: { message: 'not found' } });
  }

  return { state, handle };
}
