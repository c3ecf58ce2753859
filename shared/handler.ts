import { DEFAULT_HANDLER_SETTINGS, type HandlerSettings } from './config';
import type { ErrorCode, Usage } from './contract';
import { DigestError, DocumentError, describeError, TransientError, usageOf } from './errors';
import { decodeEventKey, encodeEventKey, errorKey } from './keys';
import {
  type ObjectRef,
  type Outcome,
  type PipelineDeps,
  processObject,
  recordFinalFailure,
} from './pipeline';
import type { DeadLetterQueue } from './queue';
import { TimeLimit } from './time-limit';
import * as z from './zod';

/** Whether an event's key decodes: S3 encodes every "%" of a key, so a bare one is malformed. */
function decodable(key: string): boolean {
  try {
    decodeEventKey(key);
    return true;
  } catch {
    return false;
  }
}

/** One S3 event notification record, as S3 sends it (keys URL-encoded). */
const S3Record = z.object({
  eventSource: z.literal('aws:s3'),
  eventName: z.string(),
  s3: z.object({
    bucket: z.object({ name: z.string().check(z.minLength(1)) }),
    object: z.object({
      key: z
        .string()
        .check(
          z.minLength(1),
          z.refine(
            decodable,
            'must be URL-encoded as S3 encodes keys (a "%" not followed by two hex digits is not)',
          ),
        ),
      size: z.optional(z.int().check(z.nonnegative())),
      eTag: z.optional(z.string()),
      versionId: z.optional(z.string()),
    }),
  }),
});

const S3Notification = z.object({
  Records: z.array(S3Record),
  /** Set by `article-digest backfill --force`: digest again even if nothing changed. */
  articleDigest: z.optional(z.object({ force: z.optional(z.boolean()) })),
});

/**
 * An S3 ObjectCreated notification for one object, as S3 sends it (key URL-encoded), for
 * whoever sends objects through the queue again (backfill) or stands in for S3 (tests).
 */
export function s3NotificationFor(
  bucket: string,
  key: string,
  object: { size?: number; eTag?: string } = {},
  options: { force?: boolean } = {},
) {
  return {
    Records: [
      {
        eventVersion: '2.1',
        eventSource: 'aws:s3' as const,
        eventName: 'ObjectCreated:Put',
        eventTime: new Date().toISOString(),
        s3: { bucket: { name: bucket }, object: { key: encodeEventKey(key), ...object } },
      },
    ],
    ...(options.force ? { articleDigest: { force: true } } : {}),
  };
}

/** The message S3 sends once to check a new notification target. */
const S3TestEvent = z.object({ Event: z.literal('s3:TestEvent') });

const SqsRecord = z.object({
  messageId: z.string(),
  body: z.string(),
  eventSource: z.literal('aws:sqs'),
  attributes: z.optional(
    z.object({
      ApproximateReceiveCount: z.optional(z.pipe(z.coerce.number(), z.int().check(z.positive()))),
    }),
  ),
});

const SqsEvent = z.object({ Records: z.array(SqsRecord).check(z.minLength(1)) });

export type SqsBatchResponse = { batchItemFailures: Array<{ itemIdentifier: string }> };

/** Structured logging as the handler needs it (Powertools' Logger fits). */
export interface Log {
  info(message: string, ...extra: Array<Record<string, unknown>>): void;
  warn(message: string, ...extra: Array<Record<string, unknown>>): void;
  error(message: string, ...extra: Array<Record<string, unknown>>): void;
}

export interface HandlerDeps extends PipelineDeps {
  log: Log;
  /** Receive limit, time reserve, document time limit; defaults: {@link DEFAULT_HANDLER_SETTINGS}. */
  handler?: Partial<HandlerSettings>;
  /** Where a message that is not an S3 notification goes at once; without it, back to the queue. */
  deadLetters?: DeadLetterQueue;
  /** Called after each object with its outcome and how long it took (milliseconds). */
  onOutcome?: (ref: ObjectRef, outcome: Outcome, elapsedMs: number) => void;
  /**
   * Called each time a try of an object fails and its message goes back to the queue for
   * another receive, with what the try spent (on the last receive, the error record says it).
   */
  onTryFailed?: (ref: ObjectRef, code: ErrorCode, spent: Usage | null) => void;
}

/** Time kept, after a document's time limit, to write its record before the invocation ends. */
const RECORD_RESERVE_MS = 10_000;

/** The part of Lambda's context the handler uses. */
export interface InvocationContext {
  getRemainingTimeInMillis(): number;
}

/** What is safe to log of an error: our own messages, and only the kind of anything else. */
function loggable(error: unknown): string {
  if (error instanceof DigestError) return `${error.name}: ${error.message}`;
  return error instanceof Error ? error.name : typeof error;
}

function toRef(record: z.infer<typeof S3Record>): ObjectRef {
  const { bucket, object } = record.s3;
  return {
    bucket: bucket.name,
    key: decodeEventKey(object.key),
    versionId: object.versionId ?? null,
    etag: object.eTag ?? null,
    size: object.size ?? null,
  };
}

/**
 * The object references in an SQS message body (an S3 notification; none for S3's test event),
 * or why the body is not one: a message that will never succeed, however often it is received.
 */
export function refsFromBody(body: string): { refs: ObjectRef[] } | { malformed: string } {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch (error) {
    return { malformed: `the body is not JSON (${describeError(error)})` };
  }
  if (S3TestEvent.safeParse(json).success) return { refs: [] };
  const notification = S3Notification.safeParse(json);
  if (!notification.success) {
    const issues = notification.error.issues
      .slice(0, 3)
      .map((i) => `${i.path.join('.') || 'body'}: ${i.message}`);
    return { malformed: `the body is not an S3 event notification (${issues.join('; ')})` };
  }
  const force = notification.data.articleDigest?.force === true;
  const refs = notification.data.Records.filter((r) =>
    r.eventName.startsWith('ObjectCreated:'),
  ).map((r) => ({ ...toRef(r), ...(force ? { force } : {}) }));
  return { refs };
}

/** The code an error is counted and recorded under. */
function codeOf(error: unknown): ErrorCode {
  return error instanceof TransientError || error instanceof DocumentError
    ? error.code
    : 'internal';
}

/**
 * The Lambda entry point's logic: takes an SQS event whose messages carry S3 notifications (or a
 * direct S3 event), digests each object independently, and reports the SQS messages that failed
 * as partial batch failures so only they are retried. A direct S3 event has no batch, so any
 * failure is thrown for Lambda's own retry.
 */
export function createDigestHandler(deps: HandlerDeps) {
  const pipeline: PipelineDeps = { ...deps, inflight: deps.inflight ?? new Map() };
  const { maxReceiveCount, minRemainingMs, documentTimeLimitMs } = {
    ...DEFAULT_HANDLER_SETTINGS,
    ...deps.handler,
  };

  /**
   * The document's own time limit, or what is left of the invocation (less the time to write a
   * record) when that is shorter: then running out is transient, not the document's fault.
   */
  const timeLimitFor = (context: InvocationContext | undefined) => {
    const available = context
      ? context.getRemainingTimeInMillis() - RECORD_RESERVE_MS
      : Number.POSITIVE_INFINITY;
    return available < documentTimeLimitMs
      ? TimeLimit.in(Math.max(0, available), { cutShort: true })
      : TimeLimit.in(documentTimeLimitMs);
  };

  const run = async (ref: ObjectRef, context?: InvocationContext) => {
    const started = performance.now();
    const outcome = await processObject(pipeline, ref, timeLimitFor(context));
    const elapsedMs = performance.now() - started;
    deps.onOutcome?.(ref, outcome, elapsedMs);
    const fields = { bucket: ref.bucket, key: ref.key, status: outcome.status, elapsedMs };
    if (outcome.status === 'failed') {
      deps.log.warn('document rejected', { ...fields, code: outcome.record.error.code });
    } else {
      deps.log.info('document processed', fields);
    }
  };

  /** Writes the record of a message that goes to the dead-letter queue after this receive. */
  const recordLast = async (ref: ObjectRef, error: unknown) => {
    const record = await recordFinalFailure(pipeline, ref, error).catch(() => null);
    if (record) {
      deps.onOutcome?.(ref, { status: 'failed', key: errorKey(ref.key, deps.settings), record }, 0);
    }
    return record;
  };

  /** Processes one message; on its last receive a failure is also written as an error record. */
  const runMessage = async (
    message: z.infer<typeof SqsRecord>,
    refs: ObjectRef[],
    context?: InvocationContext,
  ) => {
    const receiveCount = message.attributes?.ApproximateReceiveCount ?? 1;
    for (const ref of refs) {
      try {
        await run(ref, context);
      } catch (error) {
        if (receiveCount < maxReceiveCount) deps.onTryFailed?.(ref, codeOf(error), usageOf(error));
        else {
          const record = await recordLast(ref, error);
          deps.log.error('document failed on its last receive', {
            key: ref.key,
            receiveCount,
            recorded: record !== null,
          });
        }
        throw error;
      }
    }
  };

  /** Sends a message that can never succeed to the dead-letter queue; false if it cannot. */
  const deadLetter = async (message: z.infer<typeof SqsRecord>, reason: string) => {
    if (!deps.deadLetters) {
      deps.log.error('malformed message; it goes back to the queue', {
        messageId: message.messageId,
        reason,
      });
      return false;
    }
    try {
      await deps.deadLetters.send(message.body, reason);
      deps.log.error('malformed message sent to the dead-letter queue', {
        messageId: message.messageId,
        reason,
      });
      return true;
    } catch (error) {
      deps.log.error('malformed message could not be dead-lettered; it goes back to the queue', {
        messageId: message.messageId,
        reason,
        error: loggable(error),
      });
      return false;
    }
  };

  return async (
    event: unknown,
    context?: InvocationContext,
  ): Promise<SqsBatchResponse | undefined> => {
    const sqs = SqsEvent.safeParse(event);
    if (sqs.success) {
      const failures: SqsBatchResponse['batchItemFailures'] = [];
      for (const message of sqs.data.Records) {
        const parsed = refsFromBody(message.body);
        if ('malformed' in parsed) {
          if (!(await deadLetter(message, parsed.malformed))) {
            failures.push({ itemIdentifier: message.messageId });
          }
          continue;
        }
        // Never run into the function's hard timeout: what cannot be finished goes back.
        if (context && context.getRemainingTimeInMillis() < minRemainingMs) {
          deps.log.warn('too little time left; message returned to the queue', {
            messageId: message.messageId,
          });
          failures.push({ itemIdentifier: message.messageId });
          // On its last receive it goes to the dead-letter queue: say so in its records.
          if ((message.attributes?.ApproximateReceiveCount ?? 1) >= maxReceiveCount) {
            const tooLate = new TransientError(
              'Not processed: too little time was left on its last receive.',
              { code: 'too_slow' },
            );
            for (const ref of parsed.refs) await recordLast(ref, tooLate);
          }
          continue;
        }
        try {
          await runMessage(message, parsed.refs, context);
        } catch (error) {
          deps.log.error('message failed; it goes back to the queue', {
            messageId: message.messageId,
            error: loggable(error),
          });
          failures.push({ itemIdentifier: message.messageId });
        }
      }
      return { batchItemFailures: failures };
    }
    const s3 = S3Notification.safeParse(event);
    if (s3.success) {
      for (const record of s3.data.Records) {
        if (record.eventName.startsWith('ObjectCreated:')) await run(toRef(record), context);
      }
      return undefined;
    }
    if (S3TestEvent.safeParse(event).success) return undefined;
    throw new Error(`Unsupported event: ${sqs.error.issues[0]?.message ?? 'unknown shape'}`);
  };
}
