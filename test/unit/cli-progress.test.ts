import { describe, expect, it } from 'vitest';
import { formatTotals, startProgress } from '../../cli/local/progress';
import type { ProcessedRow } from '../../cli/local/session';
import type { Digest, ErrorRecord } from '../../shared/contract';

const usage = (inputTokens: number, outputTokens: number, cost: number | null) => ({
  llmCalls: 1,
  inputTokens,
  outputTokens,
  estimatedCostUsd: cost,
});

function digested(key: string, tasks: number, spent = usage(0, 0, 0)): ProcessedRow {
  const digest = {
    articles: [{ tasks: Array.from({ length: tasks }, () => ({})) }],
    usage: spent,
  } as unknown as Digest;
  return { key, outcome: { status: 'digested', key: `digests/${key}`, digest }, elapsedMs: 5 };
}

function failed(key: string, spent = usage(0, 0, 0)): ProcessedRow {
  const record = { error: { code: 'too_slow' }, usage: spent } as unknown as ErrorRecord;
  return { key, outcome: { status: 'failed', key: `errors/${key}`, record }, elapsedMs: 5 };
}

/** Back to the line's start, and erase it. */
const ERASE_LINE = '\r\x1b[2K';

/** A stream that keeps what is written, as a terminal or as a pipe. */
function stream(isTTY: boolean) {
  const chunks: string[] = [];
  return { chunks, isTTY, columns: 120, write: (text: string) => chunks.push(text) };
}

describe('progress of a local run', () => {
  it('prints plain lines at most once per interval, and the last one, when not on a terminal', () => {
    let clock = 0;
    const out = stream(false);
    const progress = startProgress({ total: 4, stream: out, showSpend: false, now: () => clock });
    clock = 100;
    progress.record(digested('a', 2));
    clock = 300;
    progress.record(failed('b'));
    clock = 1200;
    progress.record(digested('c', 1));
    clock = 1300;
    progress.record(digested('d', 0));
    expect(out.chunks).toEqual([
      'progress: 1/4 done, 0 errors, 0.1 s\n',
      'progress: 3/4 done, 1 error, 1.2 s\n',
      'progress: 4/4 done, 1 error, 1.3 s\n',
    ]);
    expect(progress.finish()).toMatchObject({ done: 4, digested: 3, errors: 1, tasks: 3 });
  });

  it('redraws one line in place on a terminal, with tokens and cost, and clears it at the end', async () => {
    const out = stream(true);
    const progress = startProgress({ total: 2, stream: out, showSpend: true, liveIntervalMs: 10 });
    progress.record(digested('a', 1, usage(1000, 200, 0.0012)));
    progress.retried(usage(500, 0, 0.0002));
    await new Promise((resolve) => setTimeout(resolve, 40));
    const totals = progress.finish();
    const drawn = out.chunks.slice(0, -1);
    expect(drawn.length).toBeGreaterThanOrEqual(2);
    for (const chunk of drawn) expect(chunk.startsWith(ERASE_LINE)).toBe(true);
    expect(drawn.at(-1)?.slice(ERASE_LINE.length)).toMatch(
      /^\[##########----------\] 1\/2 done, 0 errors, \d+\.\d s, 1,700 tokens, \$0\.0014$/,
    );
    // Nothing of the live line is left for the table that follows.
    expect(out.chunks.at(-1)).toBe(ERASE_LINE);
    expect(out.chunks.join('')).not.toContain('\n');
    expect(totals).toMatchObject({ inputTokens: 1500, outputTokens: 200, retries: 1 });
  });

  it('says the cost is unknown once a document had no known price', () => {
    const progress = startProgress({ total: 2, stream: stream(false), showSpend: true });
    progress.record(digested('a', 1, usage(10, 5, 0.001)));
    progress.record(digested('b', 1, usage(10, 5, null)));
    const line = formatTotals(progress.finish(), true);
    expect(line).toMatch(
      /^Totals: 2 documents in \d+\.\d s: 2 digested, 0 unchanged, 0 errors; 2 tasks; 20 input and 10 output tokens, cost unknown\.$/,
    );
  });

  it('says every count of one in the singular', () => {
    const progress = startProgress({ total: 1, stream: stream(false), showSpend: true });
    progress.retried(usage(0, 0, 0));
    progress.record(failed('a', usage(1, 1, 0)));
    const totals = progress.finish();
    expect(formatTotals({ ...totals, tasks: 1 }, true)).toMatch(
      /^Totals: 1 document in \d+\.\d s: 0 digested, 0 unchanged, 1 error; 1 task; 1 input and 1 output token, about \$0\.0000; 1 try retried\.$/,
    );
  });
});
