import type { ErrorCode, Usage } from './contract';

/**
 * The pipeline's error taxonomy. What the handler does depends only on which side an error is on:
 * - {@link DocumentError}: this document will never succeed as it is (bad input, over budget, the
 *   model refused). Record it in an error record and acknowledge the message.
 * - {@link TransientError}: it may succeed later (throttling, 5xx, timeouts, S3 hiccups). Let the
 *   message go back to the queue so it is retried, and dead-lettered after the last receive.
 * Anything else is a bug and is treated as transient, so no document is lost to it.
 */
export class DigestError extends Error {
  override readonly name: string = 'DigestError';
  /** What the failed try had spent (LLM calls, tokens, cost) when it failed; unset if nothing. */
  usage?: Usage;
}

/** What a thrown value says was spent before it was thrown; null when nothing is known. */
export function usageOf(error: unknown): Usage | null {
  return error instanceof DigestError && error.usage ? error.usage : null;
}

/** The document cannot be digested as it is. `message` is safe to show to users. */
export class DocumentError extends DigestError {
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
