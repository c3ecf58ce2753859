import { PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalQueue } from '../../cli/local/queue';
import { LOCAL_CREDENTIALS, LOCAL_REGION, type LocalS3, startLocalS3 } from '../../cli/local/s3';
import { parseConfig } from '../../shared/config';
import { createExtractiveEngine } from '../../shared/engines/extractive';
import { TransientError } from '../../shared/errors';
import { createDigestHandler, s3NotificationFor } from '../../shared/handler';
import { createJsonLog, silentLog } from '../../shared/log';
import type { Outcome } from '../../shared/pipeline';
import { createSqsDeadLetterQueue } from '../../shared/queue';
import { createS3Store, type ObjectStore } from '../../shared/store';
import { sqsMessage } from '../support/events';

const settings = parseConfig({}).pipeline;

const s3Event = (bucket: string, key: string) => s3NotificationFor(bucket, key, { size: 60 });

describe('digest handler', () => {
  let s3: LocalS3;
  let store: ObjectStore;
  const outcomes: Array<{ key: string; outcome: Outcome }> = [];
  const handlerWith = (objectStore: ObjectStore) =>
    createDigestHandler({
      store: objectStore,
      engine: createExtractiveEngine(),
      settings,
      log: silentLog,
      onOutcome: (ref, outcome) => outcomes.push({ key: ref.key, outcome }),
    });

  beforeAll(async () => {
    s3 = await startLocalS3({ bucket: 'handler-test' });
    store = createS3Store({
      region: LOCAL_REGION,
      endpoint: s3.endpoint,
      credentials: LOCAL_CREDENTIALS,
    });
    for (const key of ['incoming/a b.txt', 'incoming/c+d.txt', 'incoming/fails.txt']) {
      await s3.client.send(
        new PutObjectCommand({ Bucket: s3.bucket, Key: key, Body: '第一，修好路。第二，建好桥。' }),
      );
    }
  });
  afterAll(() => s3.close());

  it('reports only the failing messages of an SQS batch as batch item failures', async () => {
    // A write fault S3 itself cannot be made to produce on demand.
    const flaky: ObjectStore = {
      ...store,
      put: async (bucket, key, body, type) => {
        if (key.includes('fails')) throw new TransientError('injected write failure');
        return store.put(bucket, key, body, type);
      },
    };
    const response = await handlerWith(flaky)({
      Records: [
        sqsMessage('ok', s3Event(s3.bucket, 'incoming/a b.txt')),
        sqsMessage('test-event', {
          Service: 'Amazon S3',
          Event: 's3:TestEvent',
          Bucket: s3.bucket,
        }),
        sqsMessage('not-json', '{oops'),
        sqsMessage('transient', s3Event(s3.bucket, 'incoming/fails.txt')),
      ],
    });
    expect(response?.batchItemFailures.map((f) => f.itemIdentifier).sort()).toEqual([
      'not-json',
      'transient',
    ]);
    expect(outcomes.find((o) => o.key === 'incoming/a b.txt')?.outcome.status).toBe('digested');
  });

  it('handles a direct S3 event and decodes + as a space and %2B as a plus', async () => {
    const handler = handlerWith(store);
    await expect(handler(s3Event(s3.bucket, 'incoming/c+d.txt'))).resolves.toBeUndefined();
    const outcome = outcomes.find((o) => o.key === 'incoming/c+d.txt')?.outcome;
    expect(outcome).toMatchObject({ status: 'digested', key: 'digests/c+d.txt.json' });
  });

  it('never processes keys under the output or error prefixes', async () => {
    const handler = handlerWith(store);
    await handler(s3Event(s3.bucket, 'digests/a b.txt.json'));
    await handler(s3Event(s3.bucket, 'errors/x.json'));
    expect(
      outcomes.filter((o) => !o.key.startsWith('incoming/')).map((o) => o.outcome.status),
    ).toEqual(['ignored', 'ignored']);
  });

  it('records an object deleted before processing as object_missing', async () => {
    const handler = handlerWith(store);
    await handler(s3Event(s3.bucket, 'incoming/gone.txt'));
    const outcome = outcomes.find((o) => o.key === 'incoming/gone.txt')?.outcome;
    expect(outcome?.status === 'failed' && outcome.record.error.code).toBe('object_missing');
  });

  it('rejects an event of an unknown shape', async () => {
    await expect(handlerWith(store)({ hello: 'world' })).rejects.toThrow(/Unsupported event/);
  });

  it('writes a retryable error record when a message fails on its last receive', async () => {
    const failing: ObjectStore = {
      ...store,
      get: () => Promise.reject(new TransientError('S3 is down', { code: 'storage_unavailable' })),
    };
    const handler = createDigestHandler({
      store: failing,
      engine: createExtractiveEngine(),
      settings,
      handler: { maxReceiveCount: 3, minRemainingMs: 1000 },
      log: silentLog,
      onOutcome: (ref, outcome) => outcomes.push({ key: ref.key, outcome }),
    });
    const message = (receives: number) => ({
      ...sqsMessage(`m${receives}`, s3Event(s3.bucket, 'incoming/last.txt')),
      attributes: { ApproximateReceiveCount: String(receives) },
    });
    expect((await handler({ Records: [message(2)] }))?.batchItemFailures).toHaveLength(1);
    expect(outcomes.find((o) => o.key === 'incoming/last.txt')).toBeUndefined();
    expect((await handler({ Records: [message(3)] }))?.batchItemFailures).toHaveLength(1);
    const recorded = outcomes.find((o) => o.key === 'incoming/last.txt')?.outcome;
    expect(recorded?.status === 'failed' && recorded.record.error).toMatchObject({
      code: 'storage_unavailable',
      retryable: true,
    });
  });

  it('returns messages to the queue, unprocessed, when too little time is left', async () => {
    const before = outcomes.length;
    const response = await handlerWith(store)(
      {
        Records: [
          sqsMessage('late-1', s3Event(s3.bucket, 'incoming/a b.txt')),
          sqsMessage('late-2', s3Event(s3.bucket, 'incoming/c+d.txt')),
        ],
      },
      { getRemainingTimeInMillis: () => 5_000 },
    );
    expect(response?.batchItemFailures.map((f) => f.itemIdentifier)).toEqual(['late-1', 'late-2']);
    expect(outcomes.length).toBe(before);
  });

  it('records a message it has no time for on its last receive, before it is dead-lettered', async () => {
    const handler = createDigestHandler({
      store,
      engine: createExtractiveEngine(),
      settings,
      handler: { maxReceiveCount: 2, minRemainingMs: 10_000 },
      log: silentLog,
      onOutcome: (ref, outcome) => outcomes.push({ key: ref.key, outcome }),
    });
    const last = {
      ...sqsMessage('out-of-time', s3Event(s3.bucket, 'incoming/no-time.txt')),
      attributes: { ApproximateReceiveCount: '2' },
    };
    const response = await handler({ Records: [last] }, { getRemainingTimeInMillis: () => 5_000 });
    expect(response?.batchItemFailures).toEqual([{ itemIdentifier: 'out-of-time' }]);
    const recorded = outcomes.find((o) => o.key === 'incoming/no-time.txt')?.outcome;
    expect(recorded?.status === 'failed' && recorded.record.error).toMatchObject({
      code: 'too_slow',
      retryable: true,
    });
  });
  it('sends a message that is not an S3 notification to the dead-letter queue at once', async () => {
    const dead: string[] = [];
    const queue = await startLocalQueue(async (event) => {
      for (const record of event.Records) dead.push(record.body);
    });
    const lines: string[] = [];
    try {
      const handler = createDigestHandler({
        store,
        engine: createExtractiveEngine(),
        settings,
        deadLetters: createSqsDeadLetterQueue({
          queueUrl: queue.url,
          region: LOCAL_REGION,
          credentials: LOCAL_CREDENTIALS,
        }),
        log: createJsonLog('test', (line) => lines.push(line)),
      });
      const response = await handler({
        Records: [
          sqsMessage('not-json', '{oops'),
          sqsMessage('not-s3', { Records: [{ eventSource: 'aws:s3', s3: {} }] }),
          // A "%" S3 would have encoded as %25: the key cannot be decoded.
          sqsMessage('bad-key', {
            Records: [
              {
                eventSource: 'aws:s3',
                eventName: 'ObjectCreated:Put',
                s3: { bucket: { name: s3.bucket }, object: { key: 'incoming/100%.txt' } },
              },
            ],
          }),
          sqsMessage('ok', s3Event(s3.bucket, 'incoming/a b.txt')),
        ],
      });
      // First receive, yet nothing goes back to the queue: all three are already dead-lettered.
      expect(response?.batchItemFailures).toEqual([]);
      expect(dead).toEqual([
        '{oops',
        expect.stringContaining('"s3":{}'),
        expect.stringContaining('100%.txt'),
      ]);
      const logged = lines.filter((l) => l.includes('dead-letter queue'));
      expect(logged).toHaveLength(3);
      expect(logged[0]).toMatch(/not JSON/);
      expect(logged[1]).toMatch(/eventName|s3\.bucket|s3\.object/);
      expect(logged[2]).toMatch(/URL-encoded/);
    } finally {
      await queue.close();
    }
  });

  it('ignores a folder marker without writing any record', async () => {
    await s3.client.send(
      new PutObjectCommand({ Bucket: s3.bucket, Key: 'incoming/new folder/', Body: '' }),
    );
    const before = outcomes.length;
    await handlerWith(store)({
      Records: [
        sqsMessage('folder', s3NotificationFor(s3.bucket, 'incoming/new folder/', { size: 0 })),
      ],
    });
    expect(outcomes.slice(before).map((o) => o.outcome)).toEqual([
      { status: 'ignored', reason: 'folder marker' },
    ]);
    expect(await store.head(s3.bucket, 'errors/new folder/.json')).toBeNull();
  });

  it('writes the records of a key too long to mirror under a hashed key that names it', async () => {
    // 1,022 bytes in folders of under 255 bytes (the stand-in keeps objects as files).
    const name = Array.from({ length: 5 }, (_, i) => `${i}`.repeat(200)).join('/');
    const key = `incoming/${name}`.padEnd(1022, 'x');
    expect(Buffer.byteLength(key)).toBe(1022);
    await s3.client.send(
      new PutObjectCommand({ Bucket: s3.bucket, Key: key, Body: '第一，修好路。第二，建好桥。' }),
    );
    const before = outcomes.length;
    await handlerWith(store)({ Records: [sqsMessage('long', s3Event(s3.bucket, key))] });
    const outcome = outcomes[before]?.outcome;
    expect(outcome?.status).toBe('digested');
    const written = outcome?.status === 'digested' ? outcome : null;
    expect(written?.key).toMatch(/^digests\/_long-keys\/[0-9a-f]{64}\.json$/);
    const stored = await store.get({ bucket: s3.bucket, key: written?.key ?? '' });
    const digest = JSON.parse(new TextDecoder().decode(stored?.body)) as {
      source: { key: string };
    };
    expect(digest.source.key).toBe(key);
  });
});
