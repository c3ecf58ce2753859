import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalSession, type ProcessedRow, startLocalSession } from '../../cli/local/session';
import { parseConfig } from '../../shared/config';
import type { Digest, ErrorRecord } from '../../shared/contract';
import { createExtractiveEngine } from '../../shared/engines/extractive';
import { silentLog } from '../../shared/log';
import { codePointSlice, SAMPLE_000, SAMPLE_004, sampleBytes, squash } from '../support/fixtures';
import { committedValidators } from '../support/schema';

const config = parseConfig({});
const validate = committedValidators();

const inputs: Record<string, Uint8Array> = {
  [`incoming/${SAMPLE_000}`]: sampleBytes(SAMPLE_000),
  [`incoming/${SAMPLE_004}`]: sampleBytes(SAMPLE_004),
  'incoming/新闻 稿 (1).txt': Buffer.from('一是加强组织领导。二是严格责任落实。三是营造良好环境。'),
  'incoming/photo.png': Buffer.from([
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 73, 72,
  ]),
  'incoming/empty.txt': new Uint8Array(),
};

describe('local pipeline (embedded S3 server, handler, offline engine)', () => {
  let session: LocalSession;
  const rows: ProcessedRow[] = [];

  const getJson = async <T>(key: string): Promise<T> => {
    const out = await session.s3.client.send(
      new GetObjectCommand({ Bucket: session.s3.bucket, Key: key }),
    );
    return JSON.parse((await out.Body?.transformToString()) ?? '') as T;
  };

  beforeAll(async () => {
    session = await startLocalSession({
      config,
      engine: createExtractiveEngine(),
      log: silentLog,
      onRow: (row) => rows.push(row),
    });
    for (const [key, body] of Object.entries(inputs)) {
      await session.put(key, body);
    }
    // Objects outside the input prefix never reach the handler.
    await session.s3.client.send(
      new PutObjectCommand({ Bucket: session.s3.bucket, Key: 'digests/stray.json', Body: '{}' }),
    );
    await session.idle();
  });

  afterAll(() => session.close());

  it('ends every input object with exactly one digest or error record', () => {
    expect(rows.map((r) => r.key).sort()).toEqual(Object.keys(inputs).sort());
    expect(rows.filter((r) => r.outcome.status === 'digested')).toHaveLength(3);
    expect(rows.filter((r) => r.outcome.status === 'failed')).toHaveLength(2);
  });

  it('writes digests that validate against the committed JSON Schema', async () => {
    for (const name of [SAMPLE_000, SAMPLE_004, '新闻 稿 (1).txt']) {
      const digest = await getJson<Digest>(`digests/${name}.json`);
      expect(validate.digest(digest), JSON.stringify(validate.digest.errors)).toBe(true);
      expect(digest.source).toMatchObject({ key: `incoming/${name}`, encoding: 'utf-8' });
      expect(digest.engine.name).toBe('extractive');
    }
  });

  it('backs every task and key point with a quote found in the source at its offsets', async () => {
    for (const name of [SAMPLE_000, SAMPLE_004]) {
      const source = sampleBytes(name).toString('utf8');
      const digest = await getJson<Digest>(`digests/${name}.json`);
      const items = digest.articles.flatMap((a) => [...a.tasks, ...a.keyPoints]);
      expect(items.length).toBeGreaterThan(5);
      for (const { evidence } of items) {
        expect(squash(codePointSlice(source, evidence.start, evidence.end))).toBe(
          squash(evidence.quote),
        );
      }
      expect(digest.grounding.dropped).toBe(0);
    }
  });

  it('decodes a Chinese key with spaces from its URL-encoded event', async () => {
    const digest = await getJson<Digest>('digests/新闻 稿 (1).txt.json');
    expect(digest.articles[0]?.tasks.map((t) => t.task)).toEqual([
      '加强组织领导',
      '严格责任落实',
      '营造良好环境',
    ]);
  });

  it('records a picture and an empty file as error records with their codes', async () => {
    const png = await getJson<ErrorRecord>('errors/photo.png.json');
    const empty = await getJson<ErrorRecord>('errors/empty.txt.json');
    for (const record of [png, empty]) {
      expect(validate.error(record), JSON.stringify(validate.error.errors)).toBe(true);
    }
    expect(png.error).toMatchObject({ code: 'needs_ocr', retryable: false });
    expect(empty.error).toMatchObject({ code: 'empty_input', retryable: false });
  });
});
