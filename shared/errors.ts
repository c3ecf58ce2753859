import type { ErrorCode, Usage } from './contract';

/**
 * The pipeline's error taxonomy. What the handler does depends only on which side an error is on:
 * - {@link DocumentError}: this document will never succeed as it is (bad input, over budget, the
 *   model refused). Record it in an error record and acknowledge the message.
 * - {@link TransientError}: it may succeed later (throttling, 5xx, timeouts, S3 hiccups). Let the
 *   message go back to the queue so it is retried, and dead-lettered after the last receive.
 * Anything else is a bug and is treated as transient, so no document is lost to it.
 */
/**
 * Where an error keeps the names of its classes. `Symbol.for` is one symbol per process, shared
 * by every bundle: the LLM engine ships as a bundle of its own beside the handler, with its own
 * copy of these classes, and its errors must still be recognised by the handler's copy.
 */
const KINDS = Symbol.for('article-digest/error-kinds');

export class DigestError extends Error {
  /** The class's name as `instanceof` checks it, across bundles (see {@link KINDS}). */
  static readonly kind: string = 'DigestError';
  override readonly name: string = 'DigestError';
  /** What the failed try had spent (LLM calls, tokens, cost) when it failed; unset if nothing. */
  usage?: Usage;

  constructor(message?: string, options?: ErrorOptions) {
    super(message, options);
    const kinds: string[] = [];
    for (let c = new.target as typeof DigestError | null; c; c = Object.getPrototypeOf(c)) {
      if (Object.hasOwn(c, 'kind')) kinds.push(c.kind);
      if (c === DigestError) break;
    }
    Object.defineProperty(this, KINDS, { value: kinds });
  }

  /**
   * True for an error made by this class or a subclass, whichever bundle's copy made it. A
   * subclass without a `kind` of its own is checked by its prototype chain only.
   */
  static override [Symbol.hasInstance](value: unknown): boolean {
    // biome-ignore lint/complexity/noThisInStatic: the class right of instanceof, maybe a subclass.
    const checked: typeof DigestError = this;
    if (!Object.hasOwn(checked, 'kind')) {
      return Function.prototype[Symbol.hasInstance].call(checked, value);
    }
    if (typeof value !== 'object' || value === null) return false;
    const kinds = (value as { [KINDS]?: unknown })[KINDS];
    return Array.isArray(kinds) && kinds.includes(checked.kind);
  }
}

/** What a thrown value says was spent before it was thrown; null when nothing is known. */
export function usageOf(error: unknown): Usage | null {
  return error instanceof DigestError && error.usage ? error.usage : null;
}

/** The document cannot be digested as it is. `message` is safe to show to users. */
export class DocumentError extends DigestError {
  static override readonly kind: string = 'DocumentError';
  override readonly name = 'DocumentError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** A failure that may go away on retry. `code` names it in the record written after the last try. */
export class TransientError extends DigestError {
  static override readonly kind: string = 'TransientError';
  override readonly name = 'TransientError';
  constructor(message: string, options?: ErrorOptions & { code?: ErrorCode }) {
    super(message, options);
    this.code = options?.code ?? 'internal';
  }
  readonly code: ErrorCode;
}

/** The message of an unknown thrown value, without assuming it is an `Error`. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}
