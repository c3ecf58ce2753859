import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_CREDENTIALS, LOCAL_REGION, type LocalS3, startLocalS3 } from '../../cli/local/s3';
import { parseConfig } from '../../shared/config';
import type { Digest, Evidence } from '../../shared/contract';
import { createExtractiveEngine } from '../../shared/engines/extractive';
import { type Outcome, processObject } from '../../shared/pipeline';
import { createS3Store } from '../../shared/store';
import { codePointSlice, ROOT, squash } from '../support/fixtures';
import { committedValidators } from '../support/schema';

const BUCKET = 'read-formats';
const settings = parseConfig({}).pipeline;
const validate = committedValidators();
const fixture = (name: string) => readFileSync(resolve(ROOT, 'test', 'fixtures', 'read', name));

/** Every quote of a digest with its evidence. */
const evidenceOf = (digest: Digest): Evidence[] =>
  digest.articles.flatMap((a) => [
    ...a.keyPoints.map((k) => k.evidence),
    ...a.tasks.map((t) => t.evidence),
  ]);

/** The span's text once markup is removed (HTML tags and entities, Markdown emphasis and markers). */
const unmarked = (span: string) =>
  span
    .replace(/<[^>]+>/g, '')
    .replace(/&amp;/g, '&')
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/[*_`]|^#+ |^[-+] /gm, '');

describe('PDF, Word, legacy encodings, web pages and Markdown through the pipeline', () => {
  let s3: LocalS3;
  const store = () =>
    createS3Store({ region: LOCAL_REGION, endpoint: s3.endpoint, credentials: LOCAL_CREDENTIALS });

  beforeAll(async () => {
    s3 = await startLocalS3({ bucket: BUCKET });
  });
  afterAll(() => s3?.close());

  async function drop(
    name: string,
    body: Uint8Array | string = fixture(name),
    folder = '',
  ): Promise<Outcome> {
    const key = `incoming/${folder}${name}`;
    await s3.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body }));
    return processObject(
      { store: store(), engine: createExtractiveEngine(), settings },
      { bucket: BUCKET, key },
    );
  }

  async function text(key: string): Promise<string | null> {
    try {
      const out = await s3.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
      return (await out.Body?.transformToString('utf-8')) ?? null;
    } catch {
      return null;
    }
  }

  const digestOf = (outcome: Outcome): Digest => {
    expect(outcome.status).toBe('digested');
    const { digest } = outcome as { digest: Digest };
    expect(validate.digest(digest), JSON.stringify(validate.digest.errors)).toBe(true);
    return digest;
  };

  /** Checks every quote against the code points it names in `indexed`. */
  const expectEvidenceIn = (digest: Digest, indexed: string) => {
    const evidence = evidenceOf(digest);
    expect(evidence.length).toBeGreaterThan(0);
    for (const { quote, start, end } of evidence) {
      expect(squash(unmarked(codePointSlice(indexed, start, end)))).toBe(squash(quote));
    }
  };

  it.each([
    ['report-en.pdf', 'Quarterly Operations Update', 'By Maria Santos'],
    ['two-column.pdf', 'Riverside Library Renovation', null],
    ['two-column-chromium.pdf', 'Regional Transport Annual Review', null],
    ['notice-zh.pdf', '关于做好春季防汛工作的通知', '本报讯（记者 李明）'],
    ['notice-zh-cmap.pdf', '关于加强城市绿化管理的通知', '本报讯（记者 王芳）'],
    ['memo.docx', 'Product Roadmap Review', 'By Priya Natarajan'],
  ])(
    'digests %s from the text it keeps, which its evidence indexes',
    async (name, title, byline) => {
      const digest = digestOf(await drop(name));
      const format = name.endsWith('.docx') ? 'docx' : 'pdf';
      expect(digest.source).toMatchObject({
        format,
        encoding: null,
        textKey: `texts/${name}.txt`,
      });
      expect(digest.articles[0]).toMatchObject({ title, byline });
      const kept = await text(`texts/${name}.txt`);
      expect(kept).not.toBeNull();
      expectEvidenceIn(digest, kept ?? '');
    },
  );

  it('finds the tasks of the English PDF and the Word memo in their lists', async () => {
    const pdf = digestOf(await drop('report-en.pdf', fixture('report-en.pdf'), 'again/'));
    expect(pdf.articles[0]?.tasks.map((t) => [t.task, t.deadline])).toEqual(
      expect.arrayContaining([
        [
          'The port engineering team will repair the east breakwater by March 2026',
          'by March 2026',
        ],
        [
          'The finance office must publish the revised tariff schedule before the end of November',
          'before the end of November',
        ],
        ['Harbor operations should install new radar equipment at the southern entrance', null],
      ]),
    );
    const docx = digestOf(await drop('memo.docx', fixture('memo.docx'), 'again/'));
    expect(docx.articles[0]?.tasks.map((t) => [t.task, t.deadline])).toEqual(
      expect.arrayContaining([
        [
          'The platform team will ship shared workspaces to beta customers by September 30',
          'by September 30',
        ],
        [
          'Design must deliver the new permissions screens before the end of July',
          'before the end of July',
        ],
      ]),
    );
  });

  it('keeps the Chinese credit out of the summary and key points of the PDF', async () => {
    const digest = digestOf(await drop('notice-zh.pdf', fixture('notice-zh.pdf'), 'again/'));
    const article = digest.articles[0];
    expect(article?.summary.startsWith('市防汛抗旱指挥部昨天召开')).toBe(true);
    for (const point of article?.keyPoints ?? []) expect(point.point).not.toMatch(/本报讯|记者/);
  });

  it('digests Windows-1252 text, the issue reproduction that was undecodable', async () => {
    const digest = digestOf(await drop('notes-cp1252.txt'));
    expect(digest.source).toMatchObject({
      encoding: 'windows-1252',
      format: 'text',
      textKey: null,
    });
    expect(digest.summary).toBe(
      'Notes from the café meeting on Tuesday. The committee will publish the final budget by March 31.',
    );
  });

  it('digests a news page from its story under its own title and byline, offsets into the page', async () => {
    const page = fixture('news-page.html').toString('utf8');
    const digest = digestOf(await drop('news-page.html'));
    expect(digest.source).toMatchObject({ format: 'html', textKey: null });
    expect(digest.articles).toHaveLength(1);
    expect(digest.articles[0]).toMatchObject({
      title: 'Quarterly Operations Update',
      byline: 'By Maria Santos',
    });
    expect(JSON.stringify(digest)).not.toMatch(/Home \||doctype|Most read|4471/);
    expectEvidenceIn(digest, page);
  });

  it.each([
    ['news-page-section.html', 'Council approves new flood defences for the river district'],
    ['news-page-zh.html', '市水务局部署防汛工作'],
  ])("titles %s after its <h1>, not the site's <title>", async (name, title) => {
    const digest = digestOf(await drop(name));
    expect(digest.articles.map((a) => a.title)).toEqual([title]);
    expectEvidenceIn(digest, fixture(name).toString('utf8'));
  });

  it('digests Markdown with titles from headings and no markup in what it writes', async () => {
    const markdown = fixture('retrospective.md').toString('utf8');
    const digest = digestOf(await drop('retrospective.md'));
    const article = digest.articles[0];
    expect(article).toMatchObject({
      title: 'Product Launch Retrospective',
      byline: 'Posted by Sam Lee on March 3, 2025',
    });
    const written = [
      digest.summary,
      ...digest.articles.flatMap((a) => [
        a.title ?? '',
        a.summary,
        ...a.keyPoints.map((k) => k.point),
        ...a.tasks.map((t) => t.task),
      ]),
    ];
    for (const field of written) expect(field).not.toMatch(/\*\*|^[-*+#>] |^\d+\. |\]\(/);
    expect(article?.tasks.map((t) => t.task)).toContain(
      'The design team will simplify the onboarding screens by April 15',
    );
    expectEvidenceIn(digest, markdown);
  });

  it('digests Markdown notes with Setext headings and a numbered list after bullets', async () => {
    const digest = digestOf(await drop('weekly-sync.md'));
    const article = digest.articles[0];
    expect(article?.title).toBe('Weekly sync');
    expect(article?.tasks.map((t) => [t.task, t.owner])).toEqual(
      expect.arrayContaining([
        ['Tom will schedule the review meeting with the auditors by Friday', 'Tom'],
        ['Ana must send the revised minutes to the board before Monday', 'Ana'],
      ]),
    );
    for (const task of article?.tasks ?? [])
      expect(task.evidence.quote).not.toMatch(/^[-*+] |^\d+\. /);
    expectEvidenceIn(digest, fixture('weekly-sync.md').toString('utf8'));
  });

  it('records a scan as needing OCR and removes the text kept for an earlier version', async () => {
    digestOf(await drop('later-scanned.pdf', fixture('report-en.pdf')));
    expect(await text('texts/later-scanned.pdf.txt')).not.toBeNull();
    const outcome = await drop('later-scanned.pdf', fixture('scanned.pdf'));
    expect(outcome.status).toBe('failed');
    const { record } = outcome as Extract<Outcome, { status: 'failed' }>;
    expect(validate.error(record)).toBe(true);
    expect(record.error).toMatchObject({ code: 'needs_ocr', retryable: false });
    expect(await text('texts/later-scanned.pdf.txt')).toBeNull();
    expect(await text('digests/later-scanned.pdf.json')).toBeNull();
  });

  it('removes the kept text when a later version of the key is text', async () => {
    digestOf(await drop('later-text.pdf', fixture('memo.docx')));
    expect(await text('texts/later-text.pdf.txt')).not.toBeNull();
    const digest = digestOf(await drop('later-text.pdf', 'The committee will publish the budget.'));
    expect(digest.source).toMatchObject({ format: 'text', textKey: null });
    expect(await text('texts/later-text.pdf.txt')).toBeNull();
  });

  it('records a legacy Word file with what to convert it to', async () => {
    const doc = Buffer.concat([
      Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]),
      Buffer.alloc(504),
      Buffer.from('WordDocument', 'utf16le'),
    ]);
    const outcome = await drop('minutes.doc', doc);
    const { record } = outcome as Extract<Outcome, { status: 'failed' }>;
    expect(record.error.code).toBe('unsupported_format');
    expect(record.error.message).toContain('save it as .docx (Word) or PDF');
  });
});
