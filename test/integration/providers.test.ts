import { PutObjectCommand } from '@aws-sdk/client-s3';
import { countTokens } from 'gpt-tokenizer/encoding/o200k_base';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type LocalS3, startLocalS3 } from '../../cli/local/s3';
import type { Digest } from '../../shared/contract';
import { s3NotificationFor } from '../../shared/handler';
import type { Outcome } from '../../shared/pipeline';
import { sqsMessage } from '../support/events';
import {
  type FakeOpenAi,
  followSchema,
  type ServerOptions,
  startFakeOpenAi,
} from '../support/fake-openai';
import { llmHandler, SHORT_ARTICLE } from '../support/llm-handler';
import { longReport } from '../support/long-report';
import { committedValidators } from '../support/schema';

const validate = committedValidators();
const SHORT = SHORT_ARTICLE;

describe('provider profiles at the HTTP boundary', () => {
  let s3: LocalS3;
  let llm: FakeOpenAi | undefined;
  let seq = 0;

  beforeAll(async () => {
    s3 = await startLocalS3({ bucket: 'providers-test' });
  });
  afterAll(async () => {
    await s3.close();
  });
  afterEach(async () => {
    await llm?.close();
    llm = undefined;
  });

  /** A test server in `options.mode`, kept for the test. */
  async function server(options: ServerOptions): Promise<FakeOpenAi> {
    llm = await startFakeOpenAi(followSchema, options);
    return llm;
  }

  /**
   * One handler (one engine, as in a warm function) over the test servers, configured by `env`
   * on top of the test defaults; `drop` puts a text in the bucket and delivers its event.
   */
  async function pipeline(env: Record<string, string>) {
    seq++;
    const cachePrefix = `cache-${seq}/`;
    const outcomes: Outcome[] = [];
    const { handler } = await llmHandler({
      s3Endpoint: s3.endpoint,
      env: { CACHE_PREFIX: cachePrefix, ...env },
      outcomes,
    });
    let docs = 0;
    return {
      async drop(text: string) {
        const key = `incoming/${seq}-${++docs}.txt`;
        await s3.client.send(new PutObjectCommand({ Bucket: s3.bucket, Key: key, Body: text }));
        const before = outcomes.length;
        const response = await handler({
          Records: [sqsMessage(`m${docs}`, s3NotificationFor(s3.bucket, key))],
        });
        return {
          handedBack: response?.batchItemFailures.length ?? 0,
          outcome: outcomes[before],
        };
      },
    };
  }

  function digestOf(outcome: Outcome | undefined): Digest {
    if (outcome?.status !== 'digested')
      throw new Error(`expected a digest, got ${JSON.stringify(outcome)}`);
    expect(validate.digest(outcome.digest), JSON.stringify(validate.digest.errors)).toBe(true);
    return outcome.digest;
  }

  function failureOf(outcome: Outcome | undefined) {
    if (outcome?.status !== 'failed')
      throw new Error(`expected an error record, got ${JSON.stringify(outcome)}`);
    expect(validate.error(outcome.record), JSON.stringify(validate.error.errors)).toBe(true);
    return outcome.record.error;
  }

  describe('ollama', () => {
    it('bounds the output with max_tokens, samples at 0, and sizes parts so the server cuts nothing', async () => {
      const ollama = await server({ mode: 'ollama', contextTokens: 8192 });
      const report = longReport();
      const { drop } = await pipeline({
        OPENAI_BASE_URL: ollama.baseURL,
        OPENAI_MODEL: 'qwen2.5:7b',
        LLM_PROVIDER: 'ollama',
        LLM_CONTEXT_TOKENS: '8192',
      });
      const digest = digestOf((await drop(report)).outcome);
      expect(ollama.requests.length).toBeGreaterThan(2);
      for (const request of ollama.requests) {
        // Before: max_completion_tokens (ignored: output unbounded), temperature 1, and
        // 12,000-token parts cut silently to the last 8,192 tokens.
        expect(request.served).toMatchObject({ maxTokens: 4096, temperature: 0, truncated: false });
        expect(request.body).not.toHaveProperty('max_completion_tokens');
        expect(request.served.promptTokens + 4096).toBeLessThanOrEqual(8192);
      }
      // Every part of the report reached the model.
      const seen = ollama.requests.filter((r) => r.schema === 'article_digest');
      expect(seen.reduce((n, r) => n + countTokens(r.document), 0)).toBeGreaterThanOrEqual(
        countTokens(report) * 0.98,
      );
      expect(digest.articles.flatMap((a) => a.tasks).length).toBeGreaterThan(0);
    });
  });

  describe('azure', () => {
    it('digests through the v1 endpoint with the deployment name as the model', async () => {
      const azure = await server({ mode: 'azure', deployments: ['digest-mini'] });
      const { drop } = await pipeline({
        OPENAI_BASE_URL: azure.baseURL,
        OPENAI_MODEL: 'digest-mini',
        LLM_PROVIDER: 'azure',
      });
      digestOf((await drop(SHORT)).outcome);
      expect(azure.requests.map((r) => r.path)).toEqual(['/openai/v1/chat/completions']);
      expect(azure.requests[0]?.body).toMatchObject({
        model: 'digest-mini',
        max_completion_tokens: 4096,
        temperature: 0,
      });
    });

    it('records a 404 once as a configuration error, without retries, and does not remember it', async () => {
      const azure = await server({ mode: 'azure', deployments: ['digest-mini'] });
      // A path the server does not serve (here Azure's without /v1), behind a gateway's URL.
      const origin = new URL(azure.baseURL).origin;
      const { drop } = await pipeline({
        OPENAI_BASE_URL: `${origin}/openai`,
        LLM_PROVIDER: 'compatible',
      });
      const first = await drop(SHORT);
      // Before: HTTP 404 was transient, the message went back to the queue on every receive.
      expect(first.handedBack).toBe(0);
      const error = failureOf(first.outcome);
      expect(error.code).toBe('llm_rejected');
      expect(error.message).toMatch(/HTTP 404.*OPENAI_BASE_URL and OPENAI_MODEL/);
      expect(azure.requests).toHaveLength(1);
      // The same content again: a configuration error is not remembered against it.
      failureOf((await drop(SHORT)).outcome);
      expect(azure.requests).toHaveLength(2);
    });

    it('records an unknown deployment as a configuration error', async () => {
      const azure = await server({ mode: 'azure', deployments: ['digest-mini'] });
      const { drop } = await pipeline({
        OPENAI_BASE_URL: azure.baseURL,
        OPENAI_MODEL: 'gpt-4.1-mini',
        LLM_PROVIDER: 'azure',
      });
      const { outcome, handedBack } = await drop(SHORT);
      expect(handedBack).toBe(0);
      expect(failureOf(outcome).code).toBe('llm_rejected');
      expect(azure.requests).toHaveLength(1);
    });
  });

  describe('servers without JSON schemas', () => {
    it('asks again with the schema in the prompt, unwraps the fenced answer, and keeps to it', async () => {
      const plain = await server({ mode: 'no-json-schema' });
      const { drop } = await pipeline({ OPENAI_BASE_URL: plain.baseURL });
      // Before: the 400 was recorded as llm_rejected and nothing was digested.
      const digest = digestOf((await drop(SHORT)).outcome);
      expect(digest.articles[0]?.tasks).toHaveLength(3);
      expect(plain.requests.map((r) => r.body.response_format?.type)).toEqual([
        'json_schema',
        'json_object',
      ]);
      expect(plain.requests[1]?.instructions).toMatch(
        /Answer with one JSON object \(article_digest\).*JSON Schema:\n\{/,
      );
      // The rejected request was not billed, and is not a failed attempt.
      expect(plain.billed.calls).toBe(1);
      // The process remembers: the next document goes straight to a JSON object.
      digestOf((await drop(`${SHORT}四是加强督查。`)).outcome);
      expect(plain.requests.slice(2).map((r) => r.body.response_format?.type)).toEqual([
        'json_object',
      ]);
    });

    it('reads fenced JSON from a server that ignores the schema, in one call', async () => {
      const loose = await server({ mode: 'openai' });
      loose.respondWith((request, n) => {
        const answer = followSchema(request, n) as { json: unknown };
        return { raw: `Here is the digest:\n\`\`\`json\n${JSON.stringify(answer.json)}\n\`\`\`` };
      });
      const { drop } = await pipeline({ OPENAI_BASE_URL: loose.baseURL });
      // Before: two paid calls, then llm_invalid_output.
      const digest = digestOf((await drop(SHORT)).outcome);
      expect(digest.usage.llmCalls).toBe(1);
      expect(digest.articles[0]?.tasks).toHaveLength(3);
      // A server that answers a schema with a fence does not enforce it: later calls carry it.
      await drop(`${SHORT}四是加强督查。`);
      expect(loose.requests[1]?.body.response_format?.type).toBe('json_object');
    });
  });

  describe('reasoning models', () => {
    it('sends the effort, no temperature, and an output limit with room for reasoning', async () => {
      const reasoning = await server({ mode: 'reasoning' });
      const { drop } = await pipeline({
        OPENAI_BASE_URL: reasoning.baseURL,
        OPENAI_MODEL: 'gpt-5-mini',
        LLM_PROVIDER: 'openai',
      });
      // Before: temperature unset but no effort (medium: 6,000 reasoning tokens) within 4,096,
      // so every answer stopped at `length`, empty.
      const digest = digestOf((await drop(SHORT)).outcome);
      expect(reasoning.requests).toHaveLength(1);
      expect(reasoning.requests[0]?.body).toMatchObject({
        reasoning_effort: 'low',
        max_completion_tokens: 4096 + 8192,
      });
      expect(reasoning.requests[0]?.body).not.toHaveProperty('temperature');
      // The reasoning tokens are billed as output, and on record.
      expect(digest.usage.outputTokens).toBe(reasoning.billed.outputTokens);
      expect(digest.usage.outputTokens).toBeGreaterThan(1500);
    });

    it('treats a deployment as a reasoning model when LLM_REASONING_EFFORT is set', async () => {
      const reasoning = await server({ mode: 'reasoning' });
      const { drop } = await pipeline({
        OPENAI_BASE_URL: reasoning.baseURL,
        OPENAI_MODEL: 'my-deployment',
        LLM_REASONING_EFFORT: 'medium',
      });
      digestOf((await drop(SHORT)).outcome);
      expect(reasoning.requests[0]?.body).toMatchObject({
        reasoning_effort: 'medium',
        max_completion_tokens: 4096 + 16_384,
      });
    });
  });

  describe('vllm', () => {
    it('sends max_tokens and temperature 0, and parts sized to LLM_CONTEXT_TOKENS fit', async () => {
      const vllm = await server({ mode: 'vllm', contextTokens: 16_384 });
      const { drop } = await pipeline({
        OPENAI_BASE_URL: vllm.baseURL,
        OPENAI_MODEL: 'Qwen/Qwen2.5-7B-Instruct',
        LLM_PROVIDER: 'vllm',
        LLM_CONTEXT_TOKENS: '16384',
      });
      digestOf((await drop(longReport())).outcome);
      for (const request of vllm.requests) {
        expect(request.body).toMatchObject({ max_tokens: 4096, temperature: 0 });
        expect(request.served.promptTokens + 4096).toBeLessThanOrEqual(16_384);
      }
    });

    it('records a request over the context as budget_exceeded, once, without retries', async () => {
      const vllm = await server({ mode: 'vllm', contextTokens: 8192 });
      const { drop } = await pipeline({ OPENAI_BASE_URL: vllm.baseURL, LLM_PROVIDER: 'vllm' });
      const { outcome, handedBack } = await drop(longReport());
      expect(handedBack).toBe(0);
      expect(failureOf(outcome).code).toBe('budget_exceeded');
      expect(vllm.requests).toHaveLength(1);
    });
  });

  describe('llama.cpp', () => {
    it('sends max_tokens and temperature 0, and a prompt over its context is budget_exceeded', async () => {
      const llamacpp = await server({ mode: 'llamacpp', contextTokens: 8192 });
      const { drop } = await pipeline({
        OPENAI_BASE_URL: llamacpp.baseURL,
        LLM_PROVIDER: 'llamacpp',
      });
      digestOf((await drop(SHORT)).outcome);
      expect(llamacpp.requests[0]?.body).toMatchObject({ max_tokens: 4096, temperature: 0 });
      expect(llamacpp.requests[0]?.served.temperature).toBe(0);
      const { outcome } = await drop(longReport());
      expect(failureOf(outcome).code).toBe('budget_exceeded');
      expect(llamacpp.requests).toHaveLength(2);
    });
  });
});
