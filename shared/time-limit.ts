import { DocumentError, TransientError } from './errors';

/**
 * The time one document may take, end to end: decoding, text processing, engine calls and
 * writing. The handler sets it below the function's timeout, so that a document that cannot be
 * finished ends in a record instead of a killed invocation with none.
 *
 * Long-running loops call {@link TimeLimit.check} now and then (it reads the clock, nothing
 * more); waits on the network take {@link TimeLimit.signal} or go through {@link TimeLimit.race}.
 */
export class TimeLimit {
  private controller: AbortController | null = null;

  /**
   * @param endsAt epoch milliseconds after which the document is given up.
   * @param options.clock the time source (epoch milliseconds); tests pass their own.
   * @param options.cutShort the limit is the invocation's remaining time, shorter than the
   *   document's own: running out is then no fault of the document, and is transient (the
   *   message goes back to the queue) rather than a `too_slow` record.
   */
  constructor(
    readonly endsAt: number,
    private readonly options: { clock?: () => number; cutShort?: boolean } = {},
  ) {}

  /** A limit `ms` milliseconds from now. */
  static in(ms: number, options: { clock?: () => number; cutShort?: boolean } = {}): TimeLimit {
    return new TimeLimit((options.clock ?? Date.now)() + ms, options);
  }

  /** No limit at all (evaluation, benchmarks). */
  static none(): TimeLimit {
    return new TimeLimit(Number.POSITIVE_INFINITY);
  }

  private now(): number {
    return (this.options.clock ?? Date.now)();
  }

  remainingMs(): number {
    return Math.max(0, this.endsAt - this.now());
  }

  expired(): boolean {
    return this.now() >= this.endsAt;
  }

  /**
   * @throws {DocumentError} `too_slow`, naming `stage`, once the limit has passed
   *   ({@link TransientError} with that code when the limit was cut short).
   */
  check(stage: string): void {
    if (this.expired()) throw this.error(stage);
  }

  /** What running out of time while at `stage` is. */
  error(stage: string): DocumentError | TransientError {
    const message = `The document was not finished within its time limit (while ${stage}).`;
    return this.options.cutShort
      ? new TransientError(`${message} The invocation had too little time left.`, {
          code: 'too_slow',
        })
      : new DocumentError('too_slow', message);
  }

  /** Aborts when the limit passes, with {@link TimeLimit.error} as its reason. */
  get signal(): AbortSignal {
    if (!this.controller) {
      const controller = new AbortController();
      this.controller = controller;
      if (Number.isFinite(this.endsAt)) {
        const timer = setTimeout(() => controller.abort(this.error('waiting')), this.remainingMs());
        timer.unref?.();
      }
    }
    return this.controller.signal;
  }

  /**
   * Settles as `work` does, or rejects once the limit passes, whichever comes first. Work that
   * heeds the signal gets `graceMs` to end with its own error (which says what it had spent);
   * otherwise the rejection is {@link TimeLimit.error}, and the work is left to finish in the
   * background.
   */
  async race<T>(work: Promise<T>, stage: string, graceMs = 1_000): Promise<T> {
    if (!Number.isFinite(this.endsAt)) return work;
    const sleep = (ms: number) =>
      new Promise<'timeout'>((resolve) => {
        const timer = setTimeout(() => resolve('timeout'), ms);
        settled.finally(() => clearTimeout(timer));
      });
    const settled = work.then(
      (value) => ({ value }),
      (error: unknown) => ({ error }),
    );
    const first = await Promise.race([settled, sleep(this.remainingMs())]);
    const outcome = first === 'timeout' ? await Promise.race([settled, sleep(graceMs)]) : first;
    if (outcome === 'timeout') throw this.error(stage);
    if ('error' in outcome) throw outcome.error;
    return outcome.value;
  }
}
