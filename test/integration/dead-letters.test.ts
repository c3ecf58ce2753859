import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalQueue, startLocalQueue } from '../../cli/local/queue';
import {
  LOCAL_CREDENTIALS,
  LOCAL_FUNCTION_CREDENTIALS,
  LOCAL_REGION,
  type LocalS3,
  startLocalS3,
} from '../../cli/local/s3';
import { parseConfig } from '../../shared/config';
import { ErrorRecord } from '../../shared/contract';
import {
  createDeadLetterRecorder,
  type RecorderDeps,
  type RecorderOutcome,
  STOPPED_WITHOUT_RECORD,
} from '../../shared/dead-letters';
import { createExtractiveEngine } from '../../shared/engines/extractive';
import { createDigestHandler, s3NotificationFor } from '../../shared/handler';
import { digestKey, errorKey, LONG_KEY_FOLDER } from '../../shared/keys';
import { silentLog } from '../../shared/log';
import { createSqsDeadLetterQueue, type DeadLetterQueue } from '../../shared/queue';
import { createS3Store, type ObjectStore } from '../../shared/store';
import { type FakeOpenAi, startFakeOpenAi } from '../support/fake-openai';
import {
  functionPolicy,
  type PolicyDocument,
  simulatorAuthorizer,
  unusedGrants,
} from '../support/iam';
import { poll } from '../support/poll';
import { logicalIdOf, synthApp } from '../support/synth';

const BUCKET = 'dead-letters-test';
const settings = parseConfig({}).pipeline;
const TEXT = '会议强调，一是加强组织领导，明确责任分工。二是由市财政局负责，年底前落实配套资金。';
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/**
 * The recorder role's policy in the synthesized stack, resolved for the local bucket. The shared
 * helper reads the role of the function whose environment names the input prefix; both functions
 * do, so the digest function is left out of the template first.
 */
function recorderPolicy(): PolicyDocument {
  const { stack, assembly } = synthApp({}, { bundle: false });
  const template = structuredClone(assembly.getStackByName(stack.stackName).template) as {
    Resources: Record<string, { Type: string; Properties?: Record<string, unknown> }>;
  };
  delete template.Resources[logicalIdOf(stack, stack.fn)];
  return functionPolicy(template, BUCKET);
}

/** An SQS event from the recorder's intake queue, as Lambda delivers it. */
function intakeEvent(messageId: string, body: string, reason?: string) {
  return {
    Records: [
      {
        messageId,
        receiptHandle: `handle-${messageId}`,
        body,
        attributes: { ApproximateReceiveCount: '1' },
        messageAttributes: reason
          ? { reason: { stringValue: reason, dataType: 'String', stringListValues: [] } }
          : {},
        eventSource: 'aws:sqs' as const,
        eventSourceARN: 'arn:aws:sqs:us-east-1:123456789012:ArticleDigest-Intake',
      },
    ],
  };
}

describe('dead-letter recorder', () => {
  let s3: LocalS3;
  let policy: PolicyDocument;
  /** The recorder's store, signed with the function key: held to the recorder role's policy. */
  let store: ObjectStore;
  /** The unrestricted store, as a user or the digest function would write. */
  let admin: ObjectStore;
  let queue: LocalQueue;
  /** What reached the dead-letter queue over SQS's protocol, in order. */
  const parked: string[] = [];
  /** The same sends with their `reason` attribute, as the recorder made them. */
  const sent: Array<{ body: string; reason: string }> = [];
  let deadLetters: DeadLetterQueue;
  let llm: FakeOpenAi;
  let releaseLlm: () => void = () => {};
  let child: ChildProcess | undefined;
  const driverDir = mkdtempSync(join(tmpdir(), 'article-digest-killed-'));

  const recorder = (overrides: Partial<RecorderDeps> = {}) => {
    const outcomes: Array<{ key: string; outcome: RecorderOutcome }> = [];
    const handle = createDeadLetterRecorder({
      store,
      settings,
      deadLetters,
      log: silentLog,
      onOutcome: (ref, outcome) => outcomes.push({ key: ref.key, outcome }),
      ...overrides,
    });
    return { handle, outcomes };
  };
  const upload = (key: string, body = TEXT) =>
    s3.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body }));
  const read = async (key: string) => {
    const object = await admin.get({ bucket: BUCKET, key });
    return object ? new TextDecoder().decode(object.body) : null;
  };
  const exists = (key: string) =>
    s3.client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key })).then(
      () => true,
      () => false,
    );
  const notification = (key: string) => JSON.stringify(s3NotificationFor(BUCKET, key));

  beforeAll(async () => {
    policy = recorderPolicy();
    s3 = await startLocalS3({
      bucket: BUCKET,
      authorizeFunction: simulatorAuthorizer(policy),
      recordCalls: true,
    });
    const client = { region: LOCAL_REGION, endpoint: s3.endpoint };
    store = createS3Store({ ...client, credentials: LOCAL_FUNCTION_CREDENTIALS });
    admin = createS3Store({ ...client, credentials: LOCAL_CREDENTIALS });
    queue = await startLocalQueue(async (event) => {
      for (const record of event.Records) parked.push(record.body);
    });
    const sqs = createSqsDeadLetterQueue({
      queueUrl: queue.url,
      region: LOCAL_REGION,
      credentials: LOCAL_CREDENTIALS,
    });
    deadLetters = {
      async send(body, reason) {
        await sqs.send(body, reason);
        sent.push({ body, reason });
      },
    };
    // A provider that never answers: the function is killed while it waits.
    llm = await startFakeOpenAi(
      () =>
        new Promise((resolve) => {
          releaseLlm = () => resolve({ status: 500 });
        }),
    );
  });
  afterAll(async () => {
    child?.kill('SIGKILL');
    releaseLlm();
    await llm?.close();
    await queue?.close();
    await s3?.close();
    rmSync(driverDir, { recursive: true, force: true });
  });

  it('writes exactly one error record for a function killed mid-document on its last receive, and passes the message on unchanged', async () => {
    const key = 'incoming/killed/报告 1.txt';
    await upload(key);
    const body = notification(key);

    // The deployed handler (functions/digest.ts) in a process of its own, on the message's last
    // receive, killed as Lambda kills a function (timeout, out of memory) while the LLM works.
    const driver = join(driverDir, 'driver.mjs');
    writeFileSync(
      driver,
      `const { handler } = await import(${JSON.stringify(pathToFileURL(join(ROOT, 'functions/digest.ts')).href)});
const end = Date.now() + 300_000;
await handler(JSON.parse(process.argv[2]), { getRemainingTimeInMillis: () => end - Date.now() });
`,
    );
    const sqsEvent = {
      Records: [
        {
          messageId: 'killed',
          body,
          eventSource: 'aws:sqs',
          attributes: { ApproximateReceiveCount: '5' },
        },
      ],
    };
    child = spawn(process.execPath, ['--import', 'tsx', driver, JSON.stringify(sqsEvent)], {
      cwd: ROOT,
      stdio: 'ignore',
      env: {
        PATH: process.env.PATH ?? '',
        AWS_REGION: LOCAL_REGION,
        AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
        AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
        S3_ENDPOINT: s3.endpoint,
        OPENAI_API_KEY: 'sk-test',
        OPENAI_BASE_URL: llm.baseURL,
        MAX_RECEIVE_COUNT: '5',
      },
    });
    const exited = new Promise((resolve) => child?.once('exit', resolve));
    await poll(() => (llm.requests.length > 0 ? true : undefined));
    child.kill('SIGKILL');
    await exited;
    // What the recorder is for: the message goes to the dead-letter queue with no record.
    expect(await exists(errorKey(key, settings))).toBe(false);
    expect(await exists(digestKey(key, settings))).toBe(false);

    const { handle, outcomes } = recorder();
    expect(await handle(intakeEvent('m-killed', body))).toEqual({ batchItemFailures: [] });

    expect(outcomes.map((o) => o.outcome.status)).toEqual(['recorded']);
    const record = ErrorRecord.parse(JSON.parse((await read(errorKey(key, settings))) ?? ''));
    expect(record.source.key).toBe(key);
    expect(record.error).toEqual({
      code: 'internal',
      message: STOPPED_WITHOUT_RECORD,
      retryable: true,
    });
    expect(await exists(digestKey(key, settings))).toBe(false);
    expect(parked.at(-1)).toBe(body);
    expect(sent.at(-1)?.reason).toBe(`failed on every receive; see ${errorKey(key, settings)}`);

    // The intake delivers again (at least once): the record stays the only one, unchanged.
    const before = await admin.head(BUCKET, errorKey(key, settings));
    const again = recorder();
    expect(await again.handle(intakeEvent('m-killed', body))).toEqual({ batchItemFailures: [] });
    expect(again.outcomes.map((o) => o.outcome.status)).toEqual(['untouched']);
    expect(await admin.head(BUCKET, errorKey(key, settings))).toEqual(before);

    // A redrive hands the parked body back to the digest function: the digest replaces the record.
    const redriven = await createDigestHandler({
      store: admin,
      engine: createExtractiveEngine(),
      settings,
      log: silentLog,
    })({ Records: [{ messageId: 'redriven', body: parked.at(-1) ?? '', eventSource: 'aws:sqs' }] });
    expect(redriven).toEqual({ batchItemFailures: [] });
    expect(await exists(digestKey(key, settings))).toBe(true);
    expect(await exists(errorKey(key, settings))).toBe(false);
  });

  it('leaves an error record the function wrote untouched', async () => {
    const key = 'incoming/recorded.txt';
    await upload(key);
    const own = '{"kind":"error","written":"by the digest function"}\n';
    await admin.put(BUCKET, errorKey(key, settings), own, 'application/json');
    const body = notification(key);
    const { handle, outcomes } = recorder();

    expect(await handle(intakeEvent('m-recorded', body))).toEqual({ batchItemFailures: [] });
    expect(outcomes.map((o) => o.outcome)).toEqual([
      { status: 'untouched', key: errorKey(key, settings) },
    ]);
    expect(await read(errorKey(key, settings))).toBe(own);
    expect(parked.at(-1)).toBe(body);
  });

  it('writes no error record when a digest exists', async () => {
    const key = 'incoming/digested.txt';
    await upload(key);
    await admin.put(BUCKET, digestKey(key, settings), '{"kind":"digest"}\n', 'application/json');
    const body = notification(key);
    const { handle, outcomes } = recorder();

    expect(await handle(intakeEvent('m-digested', body))).toEqual({ batchItemFailures: [] });
    expect(outcomes.map((o) => o.outcome.status)).toEqual(['untouched']);
    expect(await exists(errorKey(key, settings))).toBe(false);
    expect(parked.at(-1)).toBe(body);
  });

  it('writes no record for a malformed message and passes it on with its reason', async () => {
    const calls = s3.calls.length;
    const { handle, outcomes } = recorder();
    const event = {
      Records: [
        ...intakeEvent('m-said', 'not json at all', 'the body is not JSON (SyntaxError)').Records,
        ...intakeEvent('m-unsaid', '{"Records":[{"eventSource":"aws:s3"}]}').Records,
      ],
    };

    expect(await handle(event)).toEqual({ batchItemFailures: [] });
    expect(outcomes).toEqual([]);
    expect(s3.calls.slice(calls)).toEqual([]);
    expect(sent.slice(-2)).toEqual([
      { body: 'not json at all', reason: 'the body is not JSON (SyntaxError)' },
      {
        body: '{"Records":[{"eventSource":"aws:s3"}]}',
        reason: expect.stringMatching(/^the body is not an S3 event notification/),
      },
    ]);
    expect(parked.slice(-2)).toEqual(['not json at all', '{"Records":[{"eventSource":"aws:s3"}]}']);
  });

  it('records a key too long to mirror under its hashed record key', async () => {
    // 1,024 bytes: the longest key S3 takes; `errors/<path>.json` would be 1,027.
    const key = `incoming/${'长'.repeat(337)}.txt`;
    await upload(key);
    const { handle } = recorder();

    expect(await handle(intakeEvent('m-long', notification(key)))).toEqual({
      batchItemFailures: [],
    });
    const recordKey = errorKey(key, settings);
    expect(recordKey.startsWith(`errors/${LONG_KEY_FOLDER}`)).toBe(true);
    expect(JSON.parse((await read(recordKey)) ?? '{}').source.key).toBe(key);
  });

  it('retries a message it could not pass on, without a second record', async () => {
    const key = 'incoming/hand-over.txt';
    await upload(key);
    const body = notification(key);
    const down: DeadLetterQueue = {
      send: async () => {
        throw new Error('SQS unreachable');
      },
    };

    expect(await recorder({ deadLetters: down }).handle(intakeEvent('m-hand', body))).toEqual({
      batchItemFailures: [{ itemIdentifier: 'm-hand' }],
    });
    expect(parked).not.toContain(body);
    const retry = recorder();
    expect(await retry.handle(intakeEvent('m-hand', body))).toEqual({ batchItemFailures: [] });
    expect(retry.outcomes.map((o) => o.outcome.status)).toEqual(['untouched']);
    expect(parked.at(-1)).toBe(body);
  });

  it('removes its record when a newer version is digested while it writes', async () => {
    const key = 'incoming/raced.txt';
    await upload(key);
    // The digest function finishing a new version between the recorder's check and its write:
    // a moment a real server cannot be made to produce on demand.
    const racing: ObjectStore = {
      ...store,
      put: async (bucket, objectKey, body, type, condition) => {
        if (objectKey === errorKey(key, settings)) {
          await admin.put(bucket, digestKey(key, settings), '{"kind":"digest"}\n', type);
          await admin.delete(bucket, errorKey(key, settings));
        }
        return store.put(bucket, objectKey, body, type, condition);
      },
    };
    const { handle, outcomes } = recorder({ store: racing });

    expect(await handle(intakeEvent('m-race', notification(key)))).toEqual({
      batchItemFailures: [],
    });
    expect(outcomes.map((o) => o.outcome)).toEqual([
      { status: 'untouched', key: digestKey(key, settings) },
    ]);
    expect(await exists(digestKey(key, settings))).toBe(true);
    expect(await exists(errorKey(key, settings))).toBe(false);
  });

  it('made only calls the synthesized recorder role allows, and used every S3 grant it has', async () => {
    const restricted = s3.calls.filter((call) => call.restricted);
    expect(restricted.length).toBeGreaterThan(0);
    expect(restricted.filter((call) => call.status === 403)).toEqual([]);
    expect([...new Set(restricted.map((call) => call.action))].sort()).toEqual([
      's3:DeleteObject',
      's3:GetObject',
      's3:ListBucket',
      's3:PutObject',
    ]);
    // A missing record answered 404, not 403, because the role may list its key.
    expect(
      restricted.some(
        (call) =>
          call.implied &&
          call.action === 's3:ListBucket' &&
          call.prefix === errorKey('incoming/killed/报告 1.txt', settings),
      ),
    ).toBe(true);
    expect(await unusedGrants(policy, restricted)).toEqual([]);
  });
});
