import { createHash } from 'node:crypto';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalSession, type ProcessedRow, startLocalSession } from '../../cli/local/session';
import { parseConfig } from '../../shared/config';
import type { Usage } from '../../shared/contract';
import { createEngine } from '../../shared/engines';
import { s3NotificationFor } from '../../shared/handler';
import { silentLog } from '../../shared/log';
import { sqsMessage } from '../support/events';
import {
  type ChatRequest,
  type FakeOpenAi,
  followSchema,
  type Reply,
  startFakeOpenAi,
} from '../support/fake-openai';

const UNIQUE = 240;
const COPIES = 30;
const REDELIVERED = 25;
/**
 * The client's request timeout. The test server and the client share one process, so on a busy
 * machine the event loop can lag: a timeout near the server's answer time aborts requests whose
 * answer was already written and billed, which no client can put on record. A second is far above
 * any lag seen here, and the injected slow answer waits longer still.
 */
const TIMEOUT_MS = 1000;

function article(i: number): string {
  return `第${i}号通知\n\n会议要求，一是抓好第${i}批项目建设。二是落实第${i}号文件任务。三是做好第${i}季度安全保障。`;
}

/** Faults per document, by a hash of its text: most none, some a few, a few more than every retry. */
function faultsFor(text: string): number {
  const h = createHash('sha256').update(text).digest()[0] ?? 0;
  if (h < 170) return 0;
  if (h < 210) return 1;
  if (h < 230) return 2;
  if (h < 246) return 4;
  return 30;
}

const FAULTS: Reply[] = [
  { status: 429, headers: { 'retry-after-ms': '5' } },
  { status: 500, headers: { 'retry-after-ms': '5' } },
  { delayMs: TIMEOUT_MS + 300, reply: { status: 200 } as Reply },
  { raw: '{"summary": "截断' },
];

/**
 * Hundreds of documents through local mode while the LLM server injects 429s, 500s, timeouts and
 * malformed answers, with duplicate deliveries, copies and bad inputs mixed in. The invariant:
 * every input ends with exactly one digest or error record, and no content is answered twice.
 */
describe('fault soak', () => {
  let llm: FakeOpenAi;
  let session: LocalSession;
  const rows: ProcessedRow[] = [];
  const attempts = new Map<string, number>();
  const answered = new Map<string, number>();
  const inputs: string[] = [];
  const retried: Array<Usage | null> = [];

  beforeAll(async () => {
    llm = await startFakeOpenAi((request: ChatRequest, n: number) => {
      const text = request.document;
      const attempt = (attempts.get(text) ?? 0) + 1;
      attempts.set(text, attempt);
      if (attempt <= faultsFor(text)) {
        const fault = FAULTS[attempt % FAULTS.length] as Reply;
        if ('delayMs' in fault) return { delayMs: fault.delayMs, reply: followSchema(request, n) };
        return fault;
      }
      answered.set(text, (answered.get(text) ?? 0) + 1);
      return followSchema(request, n);
    });
    const config = parseConfig({
      OPENAI_API_KEY: 'sk-soak',
      OPENAI_BASE_URL: llm.baseURL,
      OPENAI_TIMEOUT_MS: String(TIMEOUT_MS),
      OPENAI_MAX_RETRIES: '2',
      MAX_OBJECT_BYTES: '20000',
    });
    session = await startLocalSession({
      config,
      engine: await createEngine(config),
      log: silentLog,
      concurrency: 8,
      maxReceives: 3,
      retryDelayMs: 20,
      onRow: (row) => rows.push(row),
      onRetry: (_key, _code, spent) => retried.push(spent),
    });
    const put = async (key: string, body: string | Uint8Array) => {
      inputs.push(key);
      await session.put(key, body);
    };
    for (let i = 0; i < UNIQUE; i++) await put(`incoming/batch/doc-${i}.txt`, article(i));
    for (let i = 0; i < COPIES; i++) await put(`incoming/copies/副本 ${i}.txt`, article(i));
    const bad: Array<[string, string | Uint8Array]> = [
      ['incoming/bad/empty.txt', ''],
      ['incoming/bad/blank.txt', ' \n\u3000\n'],
      [
        'incoming/bad/image.png',
        new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0]),
      ],
      ['incoming/bad/report.pdf', '%PDF-1.7\n%\u00e2\u00e3\n1 0 obj'],
      ['incoming/bad/huge.txt', '长'.repeat(10_000)],
      [
        'incoming/bad/noise.bin',
        new Uint8Array(Array.from({ length: 300 }, (_, i) => (i * 53) % 256)),
      ],
    ];
    for (const [key, body] of bad) await put(key, body);
    // A folder marker (the console's "Create folder") is not a document: it gets no record.
    await session.put('incoming/bad/folder/', '');
    // At-least-once delivery: the same events again, while the first deliveries are under way.
    for (let i = 0; i < REDELIVERED; i++) {
      const key = `incoming/batch/doc-${i}.txt`;
      void session.deliver({
        Records: [sqsMessage(`again-${i}`, s3NotificationFor(session.s3.bucket, key))],
      });
    }
    await session.idle();
  }, 120_000);

  afterAll(async () => {
    await session.close();
    await llm.close();
  });

  async function keysUnder(prefix: string): Promise<string[]> {
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const page = await session.s3.client.send(
        new ListObjectsV2Command({
          Bucket: session.s3.bucket,
          Prefix: prefix,
          ContinuationToken: token,
        }),
      );
      keys.push(...(page.Contents ?? []).map((c) => c.Key ?? ''));
      token = page.NextContinuationToken;
    } while (token);
    return keys;
  }

  it('ends every input with exactly one digest or error record', async () => {
    expect(inputs.length).toBeGreaterThanOrEqual(270);
    const digests = new Set(
      (await keysUnder('digests/')).map((k) =>
        k.replace(/^digests\//, 'incoming/').replace(/\.json$/, ''),
      ),
    );
    const errors = new Set(
      (await keysUnder('errors/')).map((k) =>
        k.replace(/^errors\//, 'incoming/').replace(/\.json$/, ''),
      ),
    );
    const lost = inputs.filter((k) => !digests.has(k) && !errors.has(k));
    const both = inputs.filter((k) => digests.has(k) && errors.has(k));
    expect(lost).toEqual([]);
    expect(both).toEqual([]);
    expect(errors.has('incoming/bad/folder/') || digests.has('incoming/bad/folder/')).toBe(false);
    expect(digests.size + errors.size).toBe(inputs.length);
  });

  it('never takes an answer for the same content twice', () => {
    const twice = [...answered.entries()].filter(([, count]) => count > 1);
    expect(twice).toEqual([]);
    expect(answered.size).toBeGreaterThan(UNIQUE * 0.9);
  });

  it('puts on record every token the server billed: in digests, error records and failed tries', () => {
    // What each try spent, counted once: a digest or record written by the try that paid (a
    // reused or unchanged result spent nothing), and the tries that failed and went back.
    const spent = [
      ...rows.flatMap((r) =>
        r.outcome.status === 'digested'
          ? [r.outcome.digest.usage]
          : r.outcome.status === 'failed'
            ? [r.outcome.record.usage]
            : [],
      ),
      ...retried,
    ];
    const total = (field: 'inputTokens' | 'outputTokens') =>
      spent.reduce((n, usage) => n + (usage?.[field] ?? 0), 0);
    expect(llm.billed.calls).toBeGreaterThan(UNIQUE);
    expect(total('inputTokens')).toBe(llm.billed.inputTokens);
    expect(total('outputTokens')).toBe(llm.billed.outputTokens);
  });

  it('records bad input permanently and exhausted retries as retryable', () => {
    const failed = rows.flatMap((r) =>
      r.outcome.status === 'failed' ? ([[r.key, r.outcome.record.error]] as const) : [],
    );
    const codes = Object.fromEntries(failed.map(([key, error]) => [key, error.code]));
    expect(codes).toMatchObject({
      'incoming/bad/empty.txt': 'empty_input',
      'incoming/bad/blank.txt': 'empty_input',
      'incoming/bad/image.png': 'needs_ocr',
      'incoming/bad/report.pdf': 'unreadable_document',
      'incoming/bad/huge.txt': 'too_large',
      'incoming/bad/noise.bin': 'binary_input',
    });
    const exhausted = failed.filter(([, error]) => error.code === 'llm_unavailable');
    expect(exhausted.length).toBeGreaterThan(0);
    for (const [, error] of exhausted) expect(error.retryable).toBe(true);
  });
});
