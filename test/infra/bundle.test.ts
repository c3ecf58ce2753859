import { execFile } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalQueue } from '../../cli/local/queue';
import { LOCAL_CREDENTIALS, type LocalS3, startLocalS3 } from '../../cli/local/s3';
import { encodeEventKey } from '../../shared/keys';
import { type FakeOpenAi, startFakeOpenAi } from '../support/fake-openai';
import { ROOT, SAMPLE_004, sampleBytes } from '../support/fixtures';
import { assetDirOf, functionAssetDir, synthApp } from '../support/synth';

const run = promisify(execFile);
const readFixture = (name: string) => readFileSync(resolve(ROOT, 'test', 'fixtures', 'read', name));

/**
 * The artifact that deploys is the one tested: the handler bundled into the synthesized cloud
 * assembly runs in a fresh Node process on a realistic SQS-wrapped S3 event, against the embedded
 * S3 server (and the local OpenAI-compatible server for the LLM path).
 */
describe('bundled handler from the cloud assembly', () => {
  let asset: string;
  let recorderAsset: string;
  let s3: LocalS3;
  let llm: FakeOpenAi;

  beforeAll(async () => {
    const synthesized = synthApp();
    asset = functionAssetDir(synthesized.assembly.directory);
    recorderAsset = assetDirOf(synthesized, synthesized.stack.recorder.fn);
    s3 = await startLocalS3({ bucket: 'bundle-test' });
    llm = await startFakeOpenAi();
  });
  afterAll(async () => {
    await s3.close();
    await llm.close();
  });

  /** Runs a bundled handler on `event` in a fresh Node process; resolves with its stdout. */
  async function runBundled(dir: string, event: unknown, env: Record<string, string>) {
    const driver = join(dir, '..', `driver-${process.pid}-${dir.slice(-8)}.mjs`);
    writeFileSync(
      driver,
      `const { handler } = await import(${JSON.stringify(join(dir, 'index.mjs'))});\nconsole.log('RESULT ' + JSON.stringify(await handler(JSON.parse(process.argv[2]))));\n`,
    );
    const { stdout } = await run(process.execPath, [driver, JSON.stringify(event)], {
      env: {
        PATH: process.env.PATH ?? '',
        AWS_REGION: 'us-east-1',
        AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
        AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
        S3_ENDPOINT: s3.endpoint,
        INPUT_PREFIX: 'incoming/',
        OUTPUT_PREFIX: 'digests/',
        ERROR_PREFIX: 'errors/',
        ...env,
      },
    });
    return { stdout, result: JSON.parse(/^RESULT (.*)$/m.exec(stdout)?.[1] ?? 'null') };
  }

  async function invoke(
    key: string,
    env: Record<string, string>,
    body: Uint8Array = sampleBytes(SAMPLE_004),
  ) {
    await s3.client.send(new PutObjectCommand({ Bucket: s3.bucket, Key: key, Body: body }));
    const notification = {
      Records: [
        {
          eventVersion: '2.1',
          eventSource: 'aws:s3',
          awsRegion: 'us-east-1',
          eventTime: new Date().toISOString(),
          eventName: 'ObjectCreated:Put',
          s3: {
            s3SchemaVersion: '1.0',
            bucket: { name: s3.bucket, arn: `arn:aws:s3:::${s3.bucket}` },
            object: {
              key: encodeEventKey(key),
              size: 6555,
              eTag: 'f360791dd79fa4ef5cde760c764be221',
              sequencer: '0A1B',
            },
          },
        },
      ],
    };
    const event = {
      Records: [
        {
          messageId: '059f36b4-87a3-44ab-83d2-661975830a7d',
          receiptHandle: 'AQEBwJnKyrHigUMZj6rYigCgxlaS3SLy0a',
          body: JSON.stringify(notification),
          attributes: { ApproximateReceiveCount: '1', SentTimestamp: '1545082649183' },
          messageAttributes: {},
          md5OfBody: 'e4e68fb7bd0e697a0ae8f1bb342846b3',
          eventSource: 'aws:sqs',
          eventSourceARN: 'arn:aws:sqs:us-east-1:111122223333:Incoming',
          awsRegion: 'us-east-1',
        },
      ],
    };
    const { stdout, result } = await runBundled(asset, event, env);
    const out = await s3.client.send(
      new GetObjectCommand({
        Bucket: s3.bucket,
        Key: `digests/${key.slice('incoming/'.length)}.json`,
      }),
    );
    return { result, stdout, digest: JSON.parse((await out.Body?.transformToString()) ?? '{}') };
  }

  it('digests a document with the offline engine and emits metrics', async () => {
    const { result, digest, stdout } = await invoke('incoming/新闻 第1期.txt', {});
    expect(result).toEqual({ batchItemFailures: [] });
    expect(digest.source.key).toBe('incoming/新闻 第1期.txt');
    expect(digest.engine.name).toBe('extractive');
    expect(digest.articles[0].tasks.length).toBeGreaterThanOrEqual(7);
    expect(stdout).toContain('"DocumentsDigested"');
  });

  it('reads a PDF and a Word file with the readers shipped beside the handler', async () => {
    for (const file of ['pdf-reader.mjs', 'docx-reader.mjs', 'html-reader.mjs']) {
      expect(existsSync(join(asset, file))).toBe(true);
      expect(existsSync(join(recorderAsset, file))).toBe(false);
    }
    expect(existsSync(join(asset, 'pdfjs', 'cmaps', 'UniGB-UCS2-H.bcmap'))).toBe(true);
    // Chinese in a predefined encoding: read only with the character maps shipped in the asset.
    const pdf = await invoke('incoming/通知.pdf', {}, readFixture('notice-zh-cmap.pdf'));
    expect(pdf.result).toEqual({ batchItemFailures: [] });
    expect(pdf.digest.source).toMatchObject({ format: 'pdf', textKey: 'texts/通知.pdf.txt' });
    expect(pdf.digest.articles[0].title).toBe('关于加强城市绿化管理的通知');
    expect(pdf.stdout).not.toContain('Warning:');
    const docx = await invoke('incoming/memo.docx', {}, readFixture('memo.docx'));
    expect(docx.digest.articles[0].title).toBe('Product Roadmap Review');
  });

  it('digests with the LLM engine and the tokenizer shipped beside the handler', async () => {
    const { result, digest } = await invoke('incoming/llm.txt', {
      OPENAI_API_KEY: 'sk-test',
      OPENAI_BASE_URL: llm.baseURL,
    });
    expect(result).toEqual({ batchItemFailures: [] });
    expect(digest.engine.name).toBe('openai');
    expect(digest.usage.llmCalls).toBe(1);
    expect(llm.requests).toHaveLength(1);
  });

  it('records a dead letter with the bundled recorder, which ships without the LLM engine', async () => {
    expect(existsSync(join(recorderAsset, 'llm-engine.mjs'))).toBe(false);
    const key = 'incoming/killed.txt';
    await s3.client.send(
      new PutObjectCommand({ Bucket: s3.bucket, Key: key, Body: sampleBytes(SAMPLE_004) }),
    );
    const parked: string[] = [];
    const queue = await startLocalQueue(async (event) => {
      for (const record of event.Records) parked.push(record.body);
    });
    try {
      const body = JSON.stringify({
        Records: [
          {
            eventSource: 'aws:s3',
            eventName: 'ObjectCreated:Put',
            s3: { bucket: { name: s3.bucket }, object: { key: encodeEventKey(key) } },
          },
        ],
      });
      const event = {
        Records: [{ messageId: 'dead', body, eventSource: 'aws:sqs', messageAttributes: {} }],
      };
      const { result, stdout } = await runBundled(recorderAsset, event, {
        CACHE_PREFIX: 'cache/',
        DEAD_LETTER_QUEUE_URL: queue.url,
      });
      expect(result).toEqual({ batchItemFailures: [] });
      const record = await s3.client.send(
        new GetObjectCommand({ Bucket: s3.bucket, Key: 'errors/killed.txt.json' }),
      );
      expect(JSON.parse((await record.Body?.transformToString()) ?? '{}').error.code).toBe(
        'internal',
      );
      expect(parked).toEqual([body]);
      expect(stdout).toContain('"DocumentsRejected"');
    } finally {
      await queue.close();
    }
  });
});
