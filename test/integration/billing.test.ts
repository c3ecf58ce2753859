import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { LOCAL_CREDENTIALS, LOCAL_REGION, type LocalS3, startLocalS3 } from '../../cli/local/s3';
import { parseConfig } from '../../shared/config';
import type { Digest, ErrorRecord, Usage } from '../../shared/contract';
import { createEngine } from '../../shared/engines';
import { createDigestHandler, s3NotificationFor } from '../../shared/handler';
import { silentLog } from '../../shared/log';
import type { Outcome } from '../../shared/pipeline';
import { createS3Store } from '../../shared/store';
import { sqsMessage } from '../support/events';
import { type FakeOpenAi, followSchema, startFakeOpenAi } from '../support/fake-openai';
import { SAMPLE_000, sampleText } from '../support/fixtures';
import { llmHandler } from '../support/llm-handler';

const ARTICLE =
  '会议强调，一是加强组织领导，明确责任分工。二是由市财政局负责，年底前落实配套资金。三是做好宣传引导。';

describe('nothing billed twice, newest version wins', () => {
  let llm: FakeOpenAi;
  let s3: LocalS3;
  let seq = 0;

  beforeAll(async () => {
    llm = await startFakeOpenAi();
    s3 = await startLocalS3({ bucket: 'billing-test' });
  });
  afterAll(async () => {
    await llm.close();
    await s3.close();
  });
  beforeEach(() => {
    llm.requests.length = 0;
    Object.assign(llm.billed, { calls: 0, inputTokens: 0, outputTokens: 0 });
    llm.respondWith(followSchema);
  });

  /**
   * One container: a handler of its own (its own in-process state), configured by `env`, sharing
   * the bucket and the LLM server with every other container of the test.
   */
  async function container(env: Record<string, string>, outcomes: Outcome[] = []) {
    const server = { OPENAI_BASE_URL: llm.baseURL, OPENAI_MAX_RETRIES: '0' };
    const timeouts = { OPENAI_TIMEOUT_MS: '10000' };
    return (
      await llmHandler({
        s3Endpoint: s3.endpoint,
        env: { ...server, ...timeouts, ...env },
        outcomes,
      })
    ).handler;
  }

  const put = (key: string, body: string) =>
    s3.client.send(new PutObjectCommand({ Bucket: s3.bucket, Key: key, Body: body }));
  const event = (key: string, id = key) => ({
    Records: [sqsMessage(id, s3NotificationFor(s3.bucket, key))],
  });
  const readJson = async <T>(key: string): Promise<T | null> => {
    try {
      const out = await s3.client.send(new GetObjectCommand({ Bucket: s3.bucket, Key: key }));
      return JSON.parse((await out.Body?.transformToString()) ?? '') as T;
    } catch {
      return null;
    }
  };
  /** A fresh case: its own cache prefix, so that cases sharing a text still reach the LLM. */
  const fresh = () => {
    seq++;
    return { CACHE_PREFIX: `cache-${seq}/`, INPUT_PREFIX: `in-${seq}/` };
  };

  it('pays once when three containers receive the same content at the same moment', async () => {
    const env = fresh();
    llm.respondWith((request, n) => ({ delayMs: 300, reply: followSchema(request, n) }));
    const keys = ['a.txt', 'b.txt', 'c.txt'].map((name) => `${env.INPUT_PREFIX}${name}`);
    for (const key of keys) await put(key, ARTICLE);
    const outcomes: Outcome[] = [];
    const containers = await Promise.all(keys.map(() => container(env, outcomes)));
    const responses = await Promise.all(
      containers.map((handle, i) => handle(event(keys[i] ?? ''))),
    );

    expect(llm.requests).toHaveLength(1);
    expect(responses.flatMap((r) => r?.batchItemFailures ?? [])).toEqual([]);
    expect(outcomes.map((o) => o.status)).toEqual(['digested', 'digested', 'digested']);
    const spent = outcomes.map((o) => (o.status === 'digested' ? o.digest.usage.llmCalls : -1));
    expect(spent.sort()).toEqual([0, 0, 1]);
  });

  it('remembers an answer that never validates, so no redelivery or copy pays for it again', async () => {
    const env = fresh();
    llm.respondWith(() => ({ raw: '{"summary": "unterminated' }));
    const key = `${env.INPUT_PREFIX}bad-answer.txt`;
    const copy = `${env.INPUT_PREFIX}copy of bad-answer.txt`;
    await put(key, ARTICLE);
    await put(copy, ARTICLE);
    const outcomes: Outcome[] = [];

    await (await container(env, outcomes))(event(key));
    const paid = llm.requests.length;
    expect(paid).toBeGreaterThan(0);
    await (await container(env, outcomes))(event(key, 'redelivered'));
    await (await container(env, outcomes))(event(copy));

    expect(llm.requests).toHaveLength(paid);
    const codes = outcomes.map((o) => (o.status === 'failed' ? o.record.error.code : o.status));
    expect(codes).toEqual(['llm_invalid_output', 'llm_invalid_output', 'llm_invalid_output']);
    const record = await readJson<ErrorRecord>(
      `errors/${copy.slice(env.INPUT_PREFIX.length)}.json`,
    );
    expect(record?.error.message).toMatch(/remembered/);
  });

  it('never lets a slow run on an older version overwrite the newer version', async () => {
    const env = fresh();
    const key = `${env.INPUT_PREFIX}report.txt`;
    const older = ARTICLE;
    const newer = `${ARTICLE}四是加强督查考核，确保各项任务落到实处。`;
    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    // The older version's answer is held until the newer version has been digested.
    llm.respondWith(async (request, n) => {
      if (!request.document.includes('四是')) await held;
      return followSchema(request, n);
    });
    await put(key, older);
    const outcomes: Outcome[] = [];
    const slow = (await container(env, outcomes))(event(key, 'older'));
    await new Promise((r) => setTimeout(r, 200));
    await put(key, newer);
    await (await container(env, outcomes))(event(key, 'newer'));
    release();
    await slow;

    const digest = await readJson<Digest>(`digests/${key.slice(env.INPUT_PREFIX.length)}.json`);
    expect(digest?.summary ?? '').toBeTruthy();
    const newerSha = outcomes.find((o) => o.status === 'digested')?.digest.source.sha256;
    expect(digest?.source.sha256).toBe(newerSha);
    expect(outcomes.map((o) => o.status)).toEqual(['digested', 'ignored']);
  });

  it('ends a document that outlives its time limit with a retryable too_slow record', async () => {
    const env = fresh();
    llm.respondWith((request, n) => ({ delayMs: 3_000, reply: followSchema(request, n) }));
    const key = `${env.INPUT_PREFIX}slow.txt`;
    await put(key, ARTICLE);
    const outcomes: Outcome[] = [];
    const handle = await container({ ...env, DOCUMENT_TIME_LIMIT_MS: '500' }, outcomes);
    const started = Date.now();
    const response = await handle(event(key));

    expect(Date.now() - started).toBeLessThan(2_500);
    expect(response?.batchItemFailures).toEqual([]);
    const outcome = outcomes[0];
    expect(outcome?.status === 'failed' && outcome.record.error).toMatchObject({
      code: 'too_slow',
      retryable: true,
    });
  });

  it('hands a document back to the queue when the invocation, not the document, runs out of time', async () => {
    const env = fresh();
    llm.respondWith((request, n) => ({ delayMs: 3_000, reply: followSchema(request, n) }));
    const key = `${env.INPUT_PREFIX}cut-short.txt`;
    await put(key, ARTICLE);
    const outcomes: Outcome[] = [];
    const handle = await container({ ...env, MIN_REMAINING_MS: '1000' }, outcomes);
    // 10.5 s left, 10 s of it kept to write a record: half a second for the document.
    const ends = Date.now() + 10_500;
    const response = await handle(event(key, 'cut'), {
      getRemainingTimeInMillis: () => ends - Date.now(),
    });

    expect(response?.batchItemFailures).toEqual([{ itemIdentifier: 'cut' }]);
    expect(outcomes).toEqual([]);
    expect(await readJson(`errors/${key.slice(env.INPUT_PREFIX.length)}.json`)).toBeNull();
  });

  it('takes over the lease of a container that died while paying', async () => {
    const env = fresh();
    const key = `${env.INPUT_PREFIX}orphan.txt`;
    await put(key, ARTICLE);
    const outcomes: Outcome[] = [];
    const handle = await container(env, outcomes);
    // Learn where this content's lease lives from a first run, then leave an expired one there.
    await handle(event(key));
    const digest = outcomes[0]?.status === 'digested' ? outcomes[0].digest : null;
    const leaseKey = `${env.CACHE_PREFIX}${digest?.engine.configHash}/${digest?.source.sha256}.text.lease`;
    expect(await readJson(leaseKey)).not.toBeNull();
    await put(leaseKey, JSON.stringify({ holder: 'dead', expiresAt: '2020-01-01T00:00:00.000Z' }));
    llm.requests.length = 0;

    await handle({
      Records: [sqsMessage('forced', s3NotificationFor(s3.bucket, key, {}, { force: true }))],
    });
    expect(llm.requests).toHaveLength(1);
    expect(outcomes[1]?.status).toBe('digested');
  });
  it('puts every token the server billed on record, and resumes from the parts already paid for', async () => {
    const env = fresh();
    const key = `${env.INPUT_PREFIX}three-parts.txt`;
    await put(key, sampleText(SAMPLE_000));
    // The third part fails on every try, after the first two were answered (and billed).
    llm.respondWith((request, n) =>
      request.body.messages.some((m) => /\bpart 3 of\b/i.test(m.content))
        ? { status: 500, error: { message: 'down' } }
        : followSchema(request, n),
    );
    const retries: Array<{ code: string; spent: Usage | null }> = [];
    const outcomes: Outcome[] = [];
    const config = parseConfig({
      OPENAI_API_KEY: 'sk-test',
      OPENAI_BASE_URL: llm.baseURL,
      OPENAI_MAX_RETRIES: '0',
      LLM_CHUNK_TOKENS: '1200',
      LLM_PRICES: '{"gpt-4.1-mini":{"input":1,"output":2}}',
      ...env,
    });
    const handle = createDigestHandler({
      store: createS3Store({
        region: LOCAL_REGION,
        endpoint: s3.endpoint,
        credentials: LOCAL_CREDENTIALS,
      }),
      engine: await createEngine(config),
      settings: config.pipeline,
      handler: { maxReceiveCount: 2 },
      log: silentLog,
      onOutcome: (_ref, outcome) => outcomes.push(outcome),
      onTryFailed: (_ref, code, spent) => retries.push({ code, spent }),
    });
    const receive = (n: number) => ({
      Records: [
        {
          ...sqsMessage(`m${n}`, s3NotificationFor(s3.bucket, key)),
          attributes: { ApproximateReceiveCount: String(n) },
        },
      ],
    });
    await handle(receive(1));
    const billedFirst = { ...llm.billed };
    await handle(receive(2));
    // The second try took the two answered parts from the checkpoints: nothing more was billed.
    expect(llm.billed).toEqual(billedFirst);

    expect(llm.billed.calls).toBeGreaterThanOrEqual(2);
    expect(retries).toHaveLength(1);
    expect(retries[0]?.code).toBe('llm_unavailable');
    const record = outcomes[0]?.status === 'failed' ? outcomes[0].record : null;
    expect(record?.error.code).toBe('llm_unavailable');
    const recorded = [retries[0]?.spent, record?.usage];
    const sum = (field: 'inputTokens' | 'outputTokens') =>
      recorded.reduce((n, u) => n + (u?.[field] ?? 0), 0);
    expect(sum('inputTokens')).toBe(llm.billed.inputTokens);
    expect(sum('outputTokens')).toBe(llm.billed.outputTokens);
    expect(retries[0]?.spent?.estimatedCostUsd).toBeGreaterThan(0);
    expect(record?.usage).toMatchObject({ inputTokens: 0, outputTokens: 0 });
  });
});
