import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openLocalCatalog, queryRows, type Row } from '../../scripts/query';
import type { Digest } from '../../shared/contract';
import type { Engine } from '../../shared/engines/engine';
import { createExtractiveEngine } from '../../shared/engines/extractive';
import { DocumentError } from '../../shared/errors';
import { errorRecord } from '../../shared/pipeline';
import { shippedDocuments, writeDigestFolder } from '../support/digest-folder';
import { ROOT } from '../support/fixtures';

const QUERIES = resolve(ROOT, 'sql', 'queries');
const querySql = (name: string) => readFileSync(resolve(QUERIES, `${name}.sql`), 'utf8');

// DuckDB's current_date is the local date: the notice's deadlines are set from it, on the
// month's last day so that they are never past.
const today = new Date();
const year = today.getFullYear();
const month = today.getMonth() + 1;
const pad = (n: number) => String(n).padStart(2, '0');
const lastDay = new Date(year, month, 0).getDate();

/** A notice with owners and deadlines this month, last year and none, as such notices read. */
const NOTICE = `关于做好年度数据平台建设工作的通知

各有关单位：
为做好数据平台建设工作，现就有关事项通知如下。

一、加快平台建设。由信息中心负责，于${year}年${month}月${lastDay}日前完成平台上线。
二、完善数据目录。由统计局负责，于${year - 1}年6月30日前完成目录编制。
三、加强培训宣传。各单位要组织开展培训，做好宣传工作。
四、强化督促落实。由办公室负责，${year}年${month}月底前报送落实情况。
`;

/** Whether a deadline names a year and month (and day) before today: the test's own reading. */
function isPast(deadline: string | null): boolean {
  const m = /(\d{4})\s*[-/.年]\s*(\d{1,2})(?:\s*[-/.月]\s*(\d{1,2}))?/.exec(deadline ?? '');
  if (!m) return false;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), m[3] ? Number(m[3]) : null];
  const due = d === null ? new Date(y, mo, 0) : new Date(y, mo - 1, d);
  return due < new Date(year, month - 1, today.getDate());
}

/** The offline engine, plus one task whose quote the source does not contain. */
function engineQuotingAbsentText(): Engine {
  const base = createExtractiveEngine();
  return {
    info: base.info,
    costly: false,
    async digest(document) {
      const result = await base.digest(document);
      result.articles[0]?.tasks.push({
        task: 'Wire the funds',
        owner: 'Treasury',
        deadline: null,
        quote: 'Wire the funds to the account before Friday.',
      });
      return result;
    },
  };
}

describe('local SQL over the output folder', () => {
  let dir: string;
  let db: DuckDBConnection;
  let digests: Digest[];
  const rows = (sql: string): Promise<Row[]> => queryRows(db, sql);

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'article-digest-sql-'));
    digests = [
      ...(await writeDigestFolder(dir, [
        ...shippedDocuments(),
        { path: 'notices/平台 建设.txt', text: NOTICE },
      ])),
      ...(await writeDigestFolder(dir, [{ path: 'notices/injected.txt', text: NOTICE }], {
        engine: engineQuotingAbsentText(),
      })),
    ];
    const record = errorRecord(
      { bucket: 'article-digest-local', key: 'incoming/empty.txt' },
      {},
      new DocumentError('empty_input', 'The object is empty.'),
      new Date().toISOString(),
    );
    const file = join(dir, 'errors', 'empty.txt.json');
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, `${JSON.stringify(record, null, 2)}\n`);
    db = await openLocalCatalog(dir);
  }, 120_000);

  afterAll(() => {
    db?.closeSync();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('has one tasks row per task of every digest, with its document, article and evidence', async () => {
    const expected = digests.flatMap((d) =>
      d.articles.flatMap((a, i) =>
        a.tasks.map((t) => ({
          document: d.source.key,
          article: String(i + 1),
          task: t.task,
          owner: t.owner,
          deadline: t.deadline,
          quote: t.evidence.quote,
          quote_start: String(t.evidence.start),
          quote_end: String(t.evidence.end),
        })),
      ),
    );
    expect(digests.length).toBe(10);
    expect(expected.length).toBeGreaterThan(50);
    const actual = await rows(
      'SELECT document, article, task, owner, deadline, quote, quote_start, quote_end FROM tasks',
    );
    const order = (r: Row) => `${r.document}\u0000${r.quote_start}\u0000${r.task}`;
    const sort = (list: Row[]) => [...list].sort((a, b) => (order(a) < order(b) ? -1 : 1));
    expect(sort(actual)).toEqual(sort(expected));
  });

  it('reads a due date from deadlines that name a day or a month, and none from others', async () => {
    const due = await rows(
      `SELECT deadline, CAST(due_date AS VARCHAR) AS due FROM tasks
       WHERE document = 'incoming/notices/平台 建设.txt' AND deadline IS NOT NULL ORDER BY deadline`,
    );
    expect(due).toEqual([
      { deadline: `${year - 1}年6月30日前`, due: `${year - 1}-06-30` },
      {
        deadline: `${year}年${month}月${lastDay}日前`,
        due: `${year}-${pad(month)}-${pad(lastDay)}`,
      },
      { deadline: `${year}年${month}月底前`, due: `${year}-${pad(month)}-${pad(lastDay)}` },
    ]);
  });

  it('answers "open tasks by owner" without the tasks past their date', async () => {
    const result = await rows(querySql('open-tasks-by-owner'));
    const byOwner = new Map(result.map((r) => [r.owner, r]));
    // The statistics bureau's only task was due last year, twice (both notices).
    expect(byOwner.has('统计局')).toBe(false);
    expect(byOwner.get('信息中心')).toEqual({
      owner: '信息中心',
      open_tasks: '2',
      with_due_date: '2',
      next_due: `${year}-${pad(month)}-${pad(lastDay)}`,
    });
    // The injected task's quote is not in the source: it never reached a digest.
    expect(byOwner.has('Treasury')).toBe(false);
    const owned = digests.flatMap((d) => d.articles.flatMap((a) => a.tasks)).filter((t) => t.owner);
    const total = result.reduce((sum, r) => sum + Number(r.open_tasks), 0);
    expect(total).toBe(owned.filter((t) => !isPast(t.deadline)).length);
    expect(owned.filter((t) => isPast(t.deadline)).length).toBeGreaterThanOrEqual(2);
  });

  it('answers "tasks due this month" with the tasks dated this month only', async () => {
    const result = await rows(querySql('tasks-due-this-month'));
    const due = `${year}-${pad(month)}-${pad(lastDay)}`;
    expect(result.map((r) => [r.due_date, r.owner, r.document])).toEqual([
      [due, '信息中心', 'incoming/notices/injected.txt'],
      [due, '办公室', 'incoming/notices/injected.txt'],
      [due, '信息中心', 'incoming/notices/平台 建设.txt'],
      [due, '办公室', 'incoming/notices/平台 建设.txt'],
    ]);
  });

  it('answers "documents with dropped quotes" with the document whose quote was not found', async () => {
    const result = await rows(querySql('documents-with-dropped-quotes'));
    expect(result.map((r) => [r.document, r.dropped, r.engine])).toEqual([
      ['incoming/notices/injected.txt', '1', 'extractive'],
    ]);
  });

  it('reads error records into errors', async () => {
    expect(
      await rows(
        'SELECT source.key AS document, error.code AS code, error.retryable AS retryable FROM errors',
      ),
    ).toEqual([{ document: 'incoming/empty.txt', code: 'empty_input', retryable: false }]);
  });

  it('shows in the README exactly the queries the suite runs', () => {
    const readme = readFileSync(resolve(ROOT, 'README.md'), 'utf8');
    for (const name of [
      'open-tasks-by-owner',
      'tasks-due-this-month',
      'documents-with-dropped-quotes',
    ]) {
      expect(readme, `README lacks sql/queries/${name}.sql`).toContain(
        `\`\`\`sql\n${querySql(name)}\`\`\``,
      );
    }
  });
});

describe('local SQL over a folder without records', () => {
  it('has empty tables when local mode wrote nothing yet', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'article-digest-sql-'));
    const db = await openLocalCatalog(dir);
    try {
      expect(await queryRows(db, 'SELECT count(*) AS n FROM tasks')).toEqual([{ n: '0' }]);
      expect(await queryRows(db, 'SELECT count(*) AS n FROM errors')).toEqual([{ n: '0' }]);
    } finally {
      db.closeSync();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
