import { DocumentError } from './errors';

/**
 * The time one document may take, end to end: decoding, text processing, engine calls and
 * writing. The handler sets it below the function's timeout, so that a document that cannot be
 * finished ends in a `too_slow` error record instead of a killed invocation with no record.
 *
 * Long-running loops call {@link TimeLimit.check} now and then (it reads the clock, nothing
 * more); waits on the network take {@link TimeLimit.signal} or {@link TimeLimit.remainingMs}.
 */
export class TimeLimit {
  private controller: AbortController | null = null;

  /**
   * @param endsAt epoch milliseconds after which the document is given up.
   * @param clock the time source (epoch milliseconds); tests pass their own.
   */
  constructor(
    readonly endsAt: number,
    private readonly clock: () => number = Date.now,
  ) {}

  /** A limit `ms` milliseconds from now. */
  static in(ms: number, clock: () => number = Date.now): TimeLimit {
    return new TimeLimit(clock() + ms, clock);
  }

  /** No limit at all (evaluation, benchmarks). */
  static none(): TimeLimit {
    return new TimeLimit(Number.POSITIVE_INFINITY);
  }

  remainingMs(): number {
    return Math.max(0, this.endsAt - this.clock());
  }

  expired(): boolean {
    return this.clock() >= this.endsAt;
  }

  /**
   * @throws {DocumentError} `too_slow`, naming `stage`, once the limit has passed.
   */
  check(stage: string): void {
    if (this.expired()) throw tooSlow(stage);
  }

  /** Aborts when the limit passes: for fetch and the LLM client. */
  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      const remaining = this.remainingMs();
      if (Number.isFinite(this.endsAt)) {
        const timer = setTimeout(() => this.controller?.abort(tooSlow('waiting')), remaining);
        timer.unref?.();
      }
    }
    return this.controller.signal;
  }
}

/** The record's error for a document that did not finish within its time. */
export function tooSlow(stage: string): DocumentError {
  return new DocumentError(
    'too_slow',
    `The document was not finished within its time limit (while ${stage}).`,
    {},
  );
}
