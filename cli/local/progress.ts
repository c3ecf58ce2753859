/**
 * Progress of a local run while documents are in flight, and its totals at the end. On a terminal
 * one live line is redrawn in place; elsewhere (a pipe, a log file, CI) plain lines are printed.
 */
import type { Usage } from '../../shared/contract';
import { count, counted } from '../count';
import type { ProcessedRow } from './session';

/** What a run has done so far. */
export interface Totals {
  /** Documents expected; null in watch mode, where there is no end. */
  total: number | null;
  done: number;
  digested: number;
  unchanged: number;
  /** Documents that ended in an error record, or that no receive could finish. */
  errors: number;
  /** Tries that failed and went back to the queue. */
  retries: number;
  tasks: number;
  inputTokens: number;
  outputTokens: number;
  /** USD; null once a document's spend had no known price. */
  costUsd: number | null;
  elapsedMs: number;
}

/** Where progress goes: `isTTY` chooses the live line. */
export interface ProgressStream {
  write(text: string): unknown;
  isTTY?: boolean | undefined;
  columns?: number | undefined;
}

export interface ProgressOptions {
  /** Documents expected; omit in watch mode. */
  total?: number;
  stream: ProgressStream;
  /** Whether to report tokens and cost (the LLM engine). */
  showSpend: boolean;
  /** Shortest time between two plain progress lines (milliseconds). Default 1,000. */
  plainIntervalMs?: number;
  /** Time between redraws of the live line (milliseconds). Default 100. */
  liveIntervalMs?: number;
  now?: () => number;
}

export interface Progress {
  /** Counts a document's outcome. */
  record(row: ProcessedRow): void;
  /** Counts a failed try that will be received again, with what it spent. */
  retried(spent: Usage | null): void;
  /** Stops drawing (the live line is cleared) and returns the totals. */
  finish(): Totals;
  /** The totals so far. */
  totals(): Totals;
}

function duration(ms: number): string {
  return ms < 60_000
    ? `${(ms / 1000).toFixed(1)} s`
    : `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

function spend(t: Totals): string {
  const cost = t.costUsd === null ? 'cost unknown' : `$${t.costUsd.toFixed(4)}`;
  return `${counted(t.inputTokens + t.outputTokens, 'token')}, ${cost}`;
}

/** "12/200 done, 1 error, 2.4 s" (and tokens and cost with the LLM engine). */
export function formatProgress(t: Totals, showSpend: boolean): string {
  const parts = [
    t.total === null ? `${count(t.done)} done` : `${count(t.done)}/${count(t.total)} done`,
    counted(t.errors, 'error'),
    duration(t.elapsedMs),
  ];
  if (showSpend) parts.push(spend(t));
  return parts.join(', ');
}

/** The line printed after the table: what the run did and what it cost. */
export function formatTotals(t: Totals, showSpend: boolean): string {
  const documents = counted(t.done, 'document');
  const outcomes = [
    `${count(t.digested)} digested`,
    `${count(t.unchanged)} unchanged`,
    counted(t.errors, 'error'),
  ];
  const line = `Totals: ${documents} in ${duration(t.elapsedMs)}: ${outcomes.join(', ')}; ${counted(t.tasks, 'task')}`;
  const tokens = showSpend
    ? `; ${count(t.inputTokens)} input and ${counted(t.outputTokens, 'output token')}, ${t.costUsd === null ? 'cost unknown' : `about $${t.costUsd.toFixed(4)}`}`
    : '';
  const retries = t.retries > 0 ? `; ${counted(t.retries, 'try', 'tries')} retried` : '';
  return `${line}${tokens}${retries}.`;
}

function bar(done: number, total: number, width: number): string {
  const filled = total === 0 ? width : Math.round((done / total) * width);
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}]`;
}

/**
 * Starts reporting. On a terminal, a line redrawn every `liveIntervalMs` (elapsed time moves on
 * even while a slow engine has nothing to report); otherwise a plain line whenever a document
 * ends, at most one every `plainIntervalMs`, and always for the last one.
 */
export function startProgress(options: ProgressOptions): Progress {
  const now = options.now ?? (() => performance.now());
  const started = now();
  const t: Totals = {
    total: options.total ?? null,
    done: 0,
    digested: 0,
    unchanged: 0,
    errors: 0,
    retries: 0,
    tasks: 0,
    inputTokens: 0,
    outputTokens: 0,
    costUsd: 0,
    elapsedMs: 0,
  };
  const { stream } = options;
  const live = stream.isTTY === true;
  const plainInterval = options.plainIntervalMs ?? 1000;
  let lastPlain = Number.NEGATIVE_INFINITY;
  let drawn = false;
  let finished = false;

  const snapshot = () => ({ ...t, elapsedMs: now() - started });
  const add = (usage: Usage | null | undefined) => {
    if (!usage) return;
    t.inputTokens += usage.inputTokens;
    t.outputTokens += usage.outputTokens;
    if (t.costUsd !== null) {
      t.costUsd = usage.estimatedCostUsd === null ? null : t.costUsd + usage.estimatedCostUsd;
    }
  };
  const draw = () => {
    if (finished) return;
    const s = snapshot();
    const text = formatProgress(s, options.showSpend);
    const line = s.total === null ? text : `${bar(s.done, s.total, 20)} ${text}`;
    // Cut to the terminal's width: a wrapped line can no longer be redrawn in place.
    const columns = stream.columns ?? 80;
    stream.write(`\r\x1b[2K${line.slice(0, Math.max(10, columns - 1))}`);
    drawn = true;
  };
  const timer = live ? setInterval(draw, options.liveIntervalMs ?? 100) : undefined;
  timer?.unref();
  if (live && t.total !== null) draw();

  return {
    record(row) {
      t.done++;
      const { outcome } = row;
      if (outcome.status === 'digested' || outcome.status === 'unchanged') {
        if (outcome.status === 'digested') {
          t.digested++;
          add(outcome.digest.usage);
        } else t.unchanged++;
        t.tasks += outcome.digest.articles.reduce((n, a) => n + a.tasks.length, 0);
      } else if (outcome.status === 'failed') {
        t.errors++;
        add(outcome.record.usage);
      } else if (outcome.status === 'unprocessed') {
        t.errors++;
      }
      if (live || finished) return;
      const at = now();
      const last = t.total !== null && t.done >= t.total;
      if (last || at - lastPlain >= plainInterval) {
        lastPlain = at;
        stream.write(`progress: ${formatProgress(snapshot(), options.showSpend)}\n`);
      }
    },
    retried(spent) {
      t.retries++;
      add(spent);
    },
    totals: snapshot,
    finish() {
      const s = snapshot();
      if (timer) clearInterval(timer);
      if (drawn) stream.write('\r\x1b[2K');
      finished = true;
      return s;
    },
  };
}
