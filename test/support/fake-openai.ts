/**
 * A local OpenAI-compatible server for tests at the HTTP boundary: the real `openai` client talks
 * to it over HTTP on 127.0.0.1. By default it answers like a model that follows the requested
 * JSON schema; a test swaps in a responder to answer slowly, with 429/500, with malformed or
 * truncated JSON, with a refusal, or with quotes that are not in the source.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { countTokens } from 'gpt-tokenizer/encoding/o200k_base';

export interface ChatRequest {
  body: {
    model: string;
    messages: Array<{ role: string; content: string }>;
    response_format?: {
      type: string;
      json_schema?: { name: string; strict?: boolean; schema: unknown };
    };
    max_completion_tokens?: number;
  };
  /** The text between <document> and </document> in the user message. */
  document: string;
  /** The requested schema's name. */
  schema: string;
  /** The system message. */
  instructions: string;
}

export type Reply =
  | { json: unknown; finishReason?: 'stop' | 'length' }
  | { raw: string; finishReason?: 'stop' | 'length' }
  | { refusal: string }
  | { status: number; headers?: Record<string, string>; error?: { message: string; code?: string } }
  | { delayMs: number; reply: Reply };

/** Decides the reply to a request; `n` counts requests from 1. */
export type Responder = (request: ChatRequest, n: number) => Reply | Promise<Reply>;

export interface FakeOpenAi {
  baseURL: string;
  requests: ChatRequest[];
  /** What the server has billed so far: answered calls and their tokens, as its usage says. */
  billed: { calls: number; inputTokens: number; outputTokens: number };
  respondWith(responder: Responder): void;
  close(): Promise<void>;
}

export async function startFakeOpenAi(responder: Responder = followSchema): Promise<FakeOpenAi> {
  let current = responder;
  const requests: ChatRequest[] = [];
  const billed = { calls: 0, inputTokens: 0, outputTokens: 0 };
  const server = createServer((req, res) => {
    void handle(req, res).catch((error) => {
      res.writeHead(500).end(String(error));
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse) {
    if (req.method !== 'POST' || !req.url?.endsWith('/chat/completions')) {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: 'not found' } }));
      return;
    }
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as ChatRequest['body'];
    const user = body.messages.find((m) => m.role === 'user')?.content ?? '';
    const request: ChatRequest = {
      body,
      document: /<document>\n([\s\S]*)\n<\/document>/.exec(user)?.[1] ?? '',
      schema: body.response_format?.json_schema?.name ?? '',
      instructions: body.messages.find((m) => m.role === 'system')?.content ?? '',
    };
    requests.push(request);
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
    const prompt =
      body.messages.map((m) => m.content).join('\n') + JSON.stringify(body.response_format ?? '');
    const message =
      'refusal' in reply
        ? { role: 'assistant', content: null, refusal: reply.refusal }
        : {
            role: 'assistant',
            content: 'json' in reply ? JSON.stringify(reply.json) : reply.raw,
            refusal: null,
          };
    const content = message.content ?? message.refusal ?? '';
    billed.calls++;
    billed.inputTokens += countTokens(prompt);
    billed.outputTokens += countTokens(content);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({
        id: `chatcmpl-${requests.length}`,
        object: 'chat.completion',
        created: Math.floor(Date.now() / 1000),
        model: body.model,
        choices: [
          {
            index: 0,
            message,
            finish_reason: 'refusal' in reply ? 'stop' : (reply.finishReason ?? 'stop'),
          },
        ],
        usage: {
          prompt_tokens: countTokens(prompt),
          completion_tokens: countTokens(content),
          total_tokens: countTokens(prompt) + countTokens(content),
        },
      }),
    );
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseURL: `http://127.0.0.1:${port}/v1`,
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
