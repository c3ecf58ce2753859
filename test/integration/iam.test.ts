import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_FUNCTION_CREDENTIALS, LOCAL_REGION, startLocalS3 } from '../../cli/local/s3';
import type { S3Call } from '../../cli/local/strict-s3';
import { parseConfig } from '../../shared/config';
import { createEngine } from '../../shared/engines';
import { createExtractiveEngine } from '../../shared/engines/extractive';
import { createDigestHandler, type HandlerDeps, s3NotificationFor } from '../../shared/handler';
import { silentLog } from '../../shared/log';
import type { Outcome } from '../../shared/pipeline';
import { createS3Store } from '../../shared/store';
import { sqsMessage } from '../support/events';
import { type FakeOpenAi, followSchema, startFakeOpenAi } from '../support/fake-openai';
import { ROOT } from '../support/fixtures';
import {
  isAllowed,
  type PolicyDocument,
  requestOf,
  simulatorAuthorizer,
  synthesizedFunctionPolicy,
  unusedGrants,
} from '../support/iam';

const BUCKET = 'iam-test';
const NOTICE = '会议强调，一是加强组织领导，明确责任分工。二是由市财政局负责，年底前落实配套资金。';
const OTHER = '通知要求，一是做好防汛准备。二是由水利局负责，五月底前完成堤防检查。';
const THIRD = '会议部署，一是抓好春耕生产。二是由农业局负责，本周内下发种子。';

/** A local bucket whose function key is held to `policy`, and a handler that uses that key. */
async function startRun(
  policy: PolicyDocument,
  engine: HandlerDeps['engine'],
  settings: HandlerDeps['settings'],
) {
  const s3 = await startLocalS3({
    bucket: BUCKET,
    authorizeFunction: simulatorAuthorizer(policy),
    recordCalls: true,
  });
  const outcomes = new Map<string, Outcome[]>();
  const handler = createDigestHandler({
    store: createS3Store({
      region: LOCAL_REGION,
      endpoint: s3.endpoint,
      credentials: LOCAL_FUNCTION_CREDENTIALS,
    }),
    engine,
    settings,
    log: silentLog,
    onOutcome: (ref, outcome) => outcomes.set(ref.key, [...(outcomes.get(ref.key) ?? []), outcome]),
  });
  let sequence = 0;
  return {
    s3,
    outcomes,
    /** Uploads a body (with the unrestricted local key, as a user would). */
    upload: (key: string, body: string | Uint8Array) =>
      s3.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body })),
    /** Delivers the object's notification once; resolves with the messages that failed. */
    deliver: async (key: string) => {
      sequence++;
      const response = await handler({
        Records: [sqsMessage(`m${sequence}`, s3NotificationFor(BUCKET, key))],
      });
      return response?.batchItemFailures ?? [];
    },
  };
}

const statusesOf = (outcomes: Outcome[] | undefined) =>
  outcomes?.map((o) => (o.status === 'failed' ? `failed:${o.record.error.code}` : o.status));

describe('the function role synthesized by the stack', () => {
  let policy: PolicyDocument;
  let llm: FakeOpenAi;
  let run: Awaited<ReturnType<typeof startRun>>;
  const failedMessages: unknown[] = [];
  let calls: S3Call[];

  // One local run through every path the pipeline has to the bucket, recorded once.
  beforeAll(async () => {
    policy = synthesizedFunctionPolicy(BUCKET);
    llm = await startFakeOpenAi();
    const config = parseConfig({
      OPENAI_API_KEY: 'sk-test',
      OPENAI_BASE_URL: llm.baseURL,
      OPENAI_MAX_RETRIES: '0',
      OPENAI_TIMEOUT_MS: '5000',
    });
    // The stack's prefixes are the configuration's defaults.
    expect(config.pipeline).toMatchObject({
      inputPrefix: 'incoming/',
      outputPrefix: 'digests/',
      errorPrefix: 'errors/',
      cachePrefix: 'cache/',
    });
    run = await startRun(policy, await createEngine(config), config.pipeline);
    const step = async (key: string, body?: string | Uint8Array) => {
      if (body !== undefined) await run.upload(key, body);
      failedMessages.push(...(await run.deliver(key)));
    };
    await step('incoming/notice.txt', NOTICE); // a new digest, paid once
    await step('incoming/notice.txt'); // re-delivered: unchanged
    await step('incoming/copy/notice.txt', NOTICE); // a copy: from the content-hash index
    await step('incoming/empty.txt', ''); // an error record
    await step('incoming/gone.txt'); // deleted before it was processed
    await step('incoming/flip.txt', ''); // fails, then succeeds: the error record goes
    await step('incoming/flip.txt', OTHER);
    await step('incoming/flop.txt', THIRD); // succeeds, then fails: the digest goes
    await step('incoming/flop.txt', '   ');
    // A PDF: the text read out of it is kept beside its digest (texts/), and removed when the
    // same key later fails.
    await step(
      'incoming/notice.pdf',
      readFileSync(resolve(ROOT, 'test/fixtures/read/notice-zh-cmap.pdf')),
    );
    await step('incoming/notice.pdf', '');
    llm.respondWith(() => ({ refusal: 'I cannot help with that.' }));
    await step('incoming/refused.txt', `${NOTICE}\n第三，做好宣传。`); // a failure remembered
    llm.respondWith(followSchema);
    calls = run.s3.calls.filter((call) => call.restricted);
  }, 120_000);
  afterAll(async () => {
    await run?.s3.close();
    await llm?.close();
  });

  it('lets the pipeline end every document of the run with its record', () => {
    expect(failedMessages).toEqual([]);
    expect(Object.fromEntries([...run.outcomes].map(([key, o]) => [key, statusesOf(o)]))).toEqual({
      'incoming/notice.txt': ['digested', 'unchanged'],
      'incoming/copy/notice.txt': ['digested'],
      'incoming/empty.txt': ['failed:empty_input'],
      'incoming/gone.txt': ['failed:object_missing'],
      'incoming/flip.txt': ['failed:empty_input', 'digested'],
      'incoming/flop.txt': ['digested', 'failed:empty_input'],
      'incoming/notice.pdf': ['digested', 'failed:empty_input'],
      'incoming/refused.txt': ['failed:llm_refusal'],
    });
    // Five contents, each paid for once: the copy came from the index.
    expect(llm.requests).toHaveLength(5);
  });

  it('allows every S3 call the function made, checked again with the simulator', async () => {
    expect(calls.length).toBeGreaterThan(20);
    const denied: S3Call[] = [];
    for (const call of calls) {
      if (call.status === 403 || !(await isAllowed(policy, requestOf(call)))) denied.push(call);
    }
    expect(denied).toEqual([]);
  });

  it('answers 404, not 403, to the first read of a digest that does not exist yet', () => {
    expect(calls).toContainEqual(
      expect.objectContaining({
        action: 's3:ListBucket',
        prefix: 'digests/notice.txt.json',
        status: 404,
        implied: true,
      }),
    );
  });

  it('grants no S3 permission that the run did not use', async () => {
    expect(await unusedGrants(policy, calls)).toEqual([]);
  });
});

describe('the function role of the earlier stack (listing only incoming/*)', () => {
  // The statements as the stack synthesized them before: the reproduction of the issue.
  const earlierPolicy: PolicyDocument = {
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Action: ['s3:GetObject', 's3:GetObjectVersion'],
        Resource: `arn:aws:s3:::${BUCKET}/incoming/*`,
      },
      {
        Effect: 'Allow',
        Action: 's3:GetObject',
        Resource: [`arn:aws:s3:::${BUCKET}/digests/*`, `arn:aws:s3:::${BUCKET}/cache/*`],
      },
      {
        Effect: 'Allow',
        Action: 's3:DeleteObject',
        Resource: [`arn:aws:s3:::${BUCKET}/digests/*`, `arn:aws:s3:::${BUCKET}/errors/*`],
      },
      {
        Effect: 'Allow',
        Action: 's3:ListBucket',
        Resource: `arn:aws:s3:::${BUCKET}`,
        Condition: { StringLike: { 's3:prefix': ['incoming/*'] } },
      },
      {
        Effect: 'Allow',
        Action: 's3:PutObject',
        Resource: [
          `arn:aws:s3:::${BUCKET}/digests/*`,
          `arn:aws:s3:::${BUCKET}/errors/*`,
          `arn:aws:s3:::${BUCKET}/cache/*`,
        ],
      },
    ],
  };
  let run: Awaited<ReturnType<typeof startRun>>;

  beforeAll(async () => {
    run = await startRun(earlierPolicy, createExtractiveEngine(), parseConfig({}).pipeline);
  });
  afterAll(() => run?.s3.close());

  it('answers 403 to the first read of a missing digest, so every new document fails', async () => {
    await run.upload('incoming/new.txt', NOTICE);
    const failed = await run.deliver('incoming/new.txt');
    expect(failed).toHaveLength(1);
    expect(run.outcomes.get('incoming/new.txt')).toBeUndefined();
    expect(run.s3.calls).toContainEqual(
      expect.objectContaining({
        action: 's3:ListBucket',
        prefix: 'digests/new.txt.json',
        status: 403,
        implied: true,
      }),
    );
    expect(run.s3.calls).toContainEqual(
      expect.objectContaining({ action: 's3:GetObject', key: 'digests/new.txt.json', status: 403 }),
    );
  });
});
