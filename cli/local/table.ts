import { isWide } from '../../shared/text/chars';
import type { ProcessedRow } from './session';

/** Terminal columns a string takes: two for wide (CJK) characters. */
function width(text: string): number {
  let n = 0;
  for (const ch of text) n += isWide(ch) ? 2 : 1;
  return n;
}

function pad(text: string, columns: number): string {
  return text + ' '.repeat(Math.max(0, columns - width(text)));
}

function cells(row: ProcessedRow): string[] {
  const { outcome } = row;
  const ms = `${Math.round(row.elapsedMs)} ms`;
  switch (outcome.status) {
    case 'digested': {
      const { articles, engine } = outcome.digest;
      const tasks = articles.reduce((n, a) => n + a.tasks.length, 0);
      return [row.key, 'digest', String(articles.length), String(tasks), engine.name, ms];
    }
    case 'unchanged': {
      const { articles } = outcome.digest;
      const tasks = articles.reduce((n, a) => n + a.tasks.length, 0);
      return [
        row.key,
        'unchanged',
        String(articles.length),
        String(tasks),
        outcome.digest.engine.name,
        ms,
      ];
    }
    case 'failed':
      return [row.key, `error: ${outcome.record.error.code}`, '-', '-', '-', ms];
    default:
      return [row.key, `${outcome.status}: ${outcome.reason}`, '-', '-', '-', ms];
  }
}

const HEADER = ['file', 'result', 'articles', 'tasks', 'engine', 'time'];

/** The results as an aligned plain-text table. */
export function formatTable(rows: ProcessedRow[]): string {
  const all = [HEADER, ...rows.map(cells)];
  const widths = HEADER.map((_, i) => Math.max(...all.map((r) => width(r[i] ?? ''))));
  const line = (r: string[]) =>
    r
      .map((c, i) => pad(c, widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [
    line(HEADER),
    widths.map((w) => '-'.repeat(w)).join('  '),
    ...rows.map((r) => line(cells(r))),
  ].join('\n');
}

/** One result as a line, for watch mode. */
export function formatRow(row: ProcessedRow): string {
  return cells(row).join('  ');
}
