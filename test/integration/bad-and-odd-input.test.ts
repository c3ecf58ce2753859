import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import iconv from 'iconv-lite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalSession, type ProcessedRow, startLocalSession } from '../../cli/local/session';
import { parseConfig } from '../../shared/config';
import type { Digest, ErrorRecord } from '../../shared/contract';
import { createExtractiveEngine } from '../../shared/engines/extractive';
import { s3NotificationFor } from '../../shared/handler';
import { createJsonLog } from '../../shared/log';
import { sqsMessage } from '../support/events';
import { codePointSlice, SAMPLE_000, sampleText, squash } from '../support/fixtures';
import { committedValidators } from '../support/schema';

const validate = committedValidators();
const TASKS = '会议要求：一是抓好春耕生产。二是做好防汛准备。';

describe('odd inputs, re-uploads and duplicate deliveries through local mode', () => {
  let session: LocalSession;
  const rows: ProcessedRow[] = [];
  const logLines: string[] = [];

  beforeAll(async () => {
    session = await startLocalSession({
      config: parseConfig({}),
      engine: createExtractiveEngine(),
      log: createJsonLog('test', (line) => logLines.push(line)),
      onRow: (row) => rows.push(row),
    });
  });
  afterAll(() => session.close());

  async function drop(key: string, body: string | Uint8Array) {
    await session.put(key, body);
    await session.idle();
    return rows.filter((r) => r.key === key).at(-1)?.outcome;
  }

  async function read<T>(key: string): Promise<T | null> {
    try {
      const out = await session.s3.client.send(
        new GetObjectCommand({ Bucket: session.s3.bucket, Key: key }),
      );
      return JSON.parse((await out.Body?.transformToString()) ?? '') as T;
    } catch {
      return null;
    }
  }

  it.each([
    ['GB18030', 'gb18030', iconv.encode(sampleText(SAMPLE_000), 'gb18030')],
    ['GBK', 'gb18030', iconv.encode(sampleText(SAMPLE_000), 'gbk')],
    [
      'UTF-16LE with BOM',
      'utf-16le',
      iconv.encode(sampleText(SAMPLE_000), 'utf-16le', { addBOM: true }),
    ],
    ['UTF-16BE without BOM', 'utf-16be', iconv.encode(sampleText(SAMPLE_000), 'utf-16be')],
    [
      'UTF-8 with BOM and CRLF',
      'utf-8',
      Buffer.from(`\ufeff${sampleText(SAMPLE_000).replace(/\n/g, '\r\n')}`),
    ],
  ])('digests %s text and records the encoding', async (name, encoding, bytes) => {
    const outcome = await drop(`incoming/enc/${name}.txt`, bytes);
    expect(outcome?.status).toBe('digested');
    const digest = (outcome as { digest: Digest }).digest;
    expect(digest.source.encoding).toBe(encoding);
    expect(digest.articles.flatMap((a) => a.tasks).length).toBeGreaterThanOrEqual(8);
  });

  it('digests Big5 text', async () => {
    const traditional =
      '會議強調，一是加強組織領導，明確責任分工。二是由市財政局負責，年底前落實配套資金。三是做好宣傳引導。';
    const outcome = await drop('incoming/enc/big5.txt', iconv.encode(traditional, 'big5'));
    const digest = (outcome as { digest: Digest }).digest;
    expect(digest.source.encoding).toBe('big5');
    expect(digest.articles[0]?.tasks.map((t) => t.task)).toContain('做好宣傳引導');
  });

  it('digests HTML by its text, with evidence offsets into the page', async () => {
    const html = `<!DOCTYPE html><html><head><title>春耕通知</title><style>p{color:red}</style><script>var x = "一是不要读我。";</script></head>
<body><h1>春耕通知</h1><p>会议要求：一是抓好<b>春耕</b>生产。二是做好防汛&amp;抗旱准备。</p><p>图为会议现场。</p></body></html>`;
    const outcome = await drop('incoming/web/notice.html', html);
    const digest = (outcome as { digest: Digest }).digest;
    expect(validate.digest(digest)).toBe(true);
    expect(digest.source.format).toBe('html');
    const tasks = digest.articles[0]?.tasks ?? [];
    expect(tasks.map((t) => t.task)).toEqual(['抓好春耕生产', '做好防汛&抗旱准备']);
    for (const { evidence } of tasks) {
      const span = codePointSlice(html, evidence.start, evidence.end)
        .replace(/<[^>]+>/g, '')
        .replace(/&amp;/g, '&');
      expect(squash(span)).toBe(squash(evidence.quote));
    }
  });

  it('digests Markdown as text', async () => {
    const outcome = await drop(
      'incoming/notes/plan.md',
      `# Plan\n\nThe board agreed on Monday.\n\n1. The council will repair the bridge by March.\n2. Residents must register for alerts.\n`,
    );
    const digest = (outcome as { digest: Digest }).digest;
    expect(digest.source.format).toBe('markdown');
    expect(digest.articles[0]?.tasks.map((t) => t.task)).toEqual([
      'The council will repair the bridge by March',
      'Residents must register for alerts',
    ]);
  });

  it('does not rewrite a digest when the same event is delivered again', async () => {
    const key = 'incoming/dup/once.txt';
    const first = await drop(key, TASKS);
    expect(first?.status).toBe('digested');
    const before = await read<Digest>('digests/dup/once.txt.json');
    await session.deliver({
      Records: [sqsMessage('again', s3NotificationFor(session.s3.bucket, key))],
    });
    expect(rows.filter((r) => r.key === key).at(-1)?.outcome.status).toBe('unchanged');
    expect(await read<Digest>('digests/dup/once.txt.json')).toEqual(before);
  });

  it('re-digests a changed file, and keeps one record per object across versions', async () => {
    const key = 'incoming/versions/report.txt';
    expect((await drop(key, new Uint8Array([0x50, 0x4b, 0x03, 0x04, 1, 2])))?.status).toBe(
      'failed',
    );
    expect(await read<ErrorRecord>('errors/versions/report.txt.json')).not.toBeNull();

    const fixed = await drop(key, TASKS);
    expect(fixed?.status).toBe('digested');
    expect(await read('errors/versions/report.txt.json')).toBeNull();

    const changed = await drop(key, `${TASKS}三是做好宣传引导。`);
    expect(changed?.status).toBe('digested');
    const digest = await read<Digest>('digests/versions/report.txt.json');
    expect(digest?.articles[0]?.tasks).toHaveLength(3);

    expect((await drop(key, ''))?.status).toBe('failed');
    expect(await read('digests/versions/report.txt.json')).toBeNull();
  });

  it('removes a stale error record when the digest is already current', async () => {
    const key = 'incoming/stale/record.txt';
    expect((await drop(key, TASKS))?.status).toBe('digested');
    // As if an earlier version's record had survived a failed deletion.
    await session.s3.client.send(
      new PutObjectCommand({
        Bucket: session.s3.bucket,
        Key: 'errors/stale/record.txt.json',
        Body: '{}',
      }),
    );
    await session.deliver({
      Records: [sqsMessage('again', s3NotificationFor(session.s3.bucket, key))],
    });
    expect(rows.filter((r) => r.key === key).at(-1)?.outcome.status).toBe('unchanged');
    expect(await read('errors/stale/record.txt.json')).toBeNull();
  });

  it('digests the newest version, whatever version a late event names', async () => {
    const key = 'incoming/versions/late.txt';
    await drop(key, '一是旧任务。二是旧办法。');
    await drop(key, TASKS);
    const late = s3NotificationFor(session.s3.bucket, key);
    Object.assign(late.Records[0]?.s3.object ?? {}, { versionId: 'an-older-version' });
    await session.deliver({ Records: [sqsMessage('late-version', late)] });
    const digest = await read<Digest>('digests/versions/late.txt.json');
    expect(digest?.articles[0]?.tasks.map((t) => t.task)).toEqual(['抓好春耕生产', '做好防汛准备']);
  });

  it('records an object deleted before its event is handled', async () => {
    const key = 'incoming/gone/late.txt';
    await session.s3.client.send(
      new PutObjectCommand({
        Bucket: session.s3.bucket,
        Key: 'incoming/gone/other.txt',
        Body: TASKS,
      }),
    );
    await session.idle();
    await session.s3.client.send(new DeleteObjectCommand({ Bucket: session.s3.bucket, Key: key }));
    await session.deliver({
      Records: [sqsMessage('late', s3NotificationFor(session.s3.bucket, key))],
    });
    const record = await read<ErrorRecord>('errors/gone/late.txt.json');
    expect(record?.error).toMatchObject({ code: 'object_missing', retryable: false });
  });

  it('logs keys, outcomes and timings, never article text', () => {
    expect(logLines.length).toBeGreaterThan(5);
    const text = sampleText(SAMPLE_000).replace(/\s+/g, '');
    for (const line of logLines) {
      for (let i = 0; i + 12 <= text.length; i += 50)
        expect(line).not.toContain(text.slice(i, i + 12));
      expect(line).not.toContain('抓好春耕生产');
    }
  });
});
