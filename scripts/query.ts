/**
 * `npm run query -- <file.sql | SQL>`: runs SQL over local mode's output folder with DuckDB,
 * against the same tables Athena has in the deployed stack (`digests`, `errors`, the `tasks`
 * view), so the queries in `sql/queries/` answer the same questions locally.
 *
 * Options: `--out DIR` (default `out`), `--format table|csv|jsonl` (default `table`), `--setup`
 * (print the statements that create the tables, for the `duckdb` command line, and exit).
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { duckdbSetupSql } from '../shared/catalog';

/** A JSON value as DuckDB's reader renders it (64-bit integers and dates as strings). */
export type Row = Record<string, unknown>;

/**
 * An in-memory DuckDB with `digests`, `errors` and `tasks` over the records under `dir`. Close it
 * with `closeSync()`.
 * @throws {Error} when a record file is not valid JSON or does not fit the contract's types.
 */
export async function openLocalCatalog(dir: string): Promise<DuckDBConnection> {
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  const present = {
    digests: existsSync(resolve(dir, 'digests')),
    errors: existsSync(resolve(dir, 'errors')),
  };
  for (const statement of duckdbSetupSql(resolve(dir), present)) await connection.run(statement);
  return connection;
}

/** Runs one query and returns its rows as JSON values. */
export async function queryRows(connection: DuckDBConnection, sql: string): Promise<Row[]> {
  return (await query(connection, sql)).rows;
}

async function query(connection: DuckDBConnection, sql: string) {
  const reader = await connection.runAndReadAll(sql);
  return { columns: reader.columnNames(), rows: reader.getRowObjectsJson() as Row[] };
}

function render({ columns, rows }: { columns: string[]; rows: Row[] }, format: string): string {
  const text = (v: unknown) => (v === null || v === undefined ? '' : String(v));
  if (format === 'jsonl') return rows.map((r) => JSON.stringify(r)).join('\n');
  if (format === 'csv') {
    const cell = (v: unknown) =>
      /[",\n]/.test(text(v)) ? `"${text(v).replace(/"/g, '""')}"` : text(v);
    return [columns.join(','), ...rows.map((r) => columns.map((c) => cell(r[c])).join(','))].join(
      '\n',
    );
  }
  const widths = columns.map((c) =>
    Math.min(60, Math.max(c.length, ...rows.map((r) => text(r[c]).length))),
  );
  const line = (cells: string[]) =>
    cells.map((cell, i) => cell.slice(0, widths[i]).padEnd(widths[i] ?? 0)).join('  ');
  return [
    line(columns),
    line(widths.map((w) => '-'.repeat(w))),
    ...rows.map((r) => line(columns.map((c) => text(r[c])))),
    `(${rows.length} rows)`,
  ].join('\n');
}

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      out: { type: 'string', default: 'out' },
      format: { type: 'string', default: 'table' },
      setup: { type: 'boolean', default: false },
    },
  });
  if (values.setup) {
    const dir = resolve(values.out);
    const present = {
      digests: existsSync(resolve(dir, 'digests')),
      errors: existsSync(resolve(dir, 'errors')),
    };
    console.log(duckdbSetupSql(dir, present).join(';\n\n'), ';');
    return 0;
  }
  const [text] = positionals;
  if (!text || !['table', 'csv', 'jsonl'].includes(values.format)) {
    console.error(
      'usage: npm run query -- [--out DIR] [--format table|csv|jsonl] <file.sql | SQL>',
    );
    return 2;
  }
  const sql = text.endsWith('.sql') ? readFileSync(text, 'utf8') : text;
  const connection = await openLocalCatalog(values.out);
  try {
    console.log(render(await query(connection, sql), values.format));
    return 0;
  } finally {
    connection.closeSync();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = await main(process.argv.slice(2));
}
