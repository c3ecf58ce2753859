import * as z from 'zod';
import { DEFAULT_HANDLER_SETTINGS, type HandlerSettings } from './config';
import { DigestError, describeError, TransientError } from './errors';
import { decodeEventKey, encodeEventKey, errorKey } from './keys';
import {
  type ObjectRef,
  type Outcome,
  type PipelineDeps,
  processObject,
  recordFinalFailure,
} from './pipeline';

/** One S3 event notification record, as S3 sends it (keys URL-encoded). */
const S3Record = z.object({
  eventSource: z.literal('aws:s3'),
  eventName: z.string(),
  s3: z.object({
    bucket: z.object({ name: z.string().min(1) }),
    object: z.object({
      key: z.string().min(1),
      size: z.number().int().nonnegative().optional(),
      eTag: z.string().optional(),
      versionId: z.string().optional(),
    }),
  }),
});

const S3Notification = z.object({
  Records: z.array(S3Record),
  /** Set by `article-digest backfill --force`: digest again even if nothing changed. */
  articleDigest: z.object({ force: z.boolean() }).partial().optional(),
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
  attributes: z
    .object({ ApproximateReceiveCount: z.coerce.number().int().positive() })
    .partial()
    .optional(),
});

const SqsEvent = z.object({ Records: z.array(SqsRecord).min(1) });

export type SqsBatchResponse = { batchItemFailures: Array<{ itemIdentifier: string }> };

/** Structured logging as the handler needs it (Powertools' Logger fits). */
export interface Log {
  info(message: string, ...extra: Array<Record<string, unknown>>): void;
  warn(message: string, ...extra: Array<Record<string, unknown>>): void;
  error(message: string, ...extra: Array<Record<string, unknown>>): void;
}

export interface HandlerDeps extends PipelineDeps {
  log: Log;
  /** Receive limit and time reserve; defaults: 5 receives, 60 s. */
  handler?: HandlerSettings;
  /** Called after each object with its outcome and how long it took (milliseconds). */
  onOutcome?: (ref: ObjectRef, outcome: Outcome, elapsedMs: number) => void;
}

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

/** The object references in an SQS message body: an S3 notification, or none for a test event. */
function refsFromBody(body: string): ObjectRef[] {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch (error) {
    throw new Error(`message body is not JSON (${describeError(error)})`);
  }
  if (S3TestEvent.safeParse(json).success) return [];
  const notification = S3Notification.parse(json);
  const force = notification.articleDigest?.force === true;
  return notification.Records.filter((r) => r.eventName.startsWith('ObjectCreated:')).map((r) => ({
    ...toRef(r),
    ...(force ? { force } : {}),
  }));
}

/** The references of a message body, or none when it cannot be read. */
function safeRefs(body: string): ObjectRef[] {
  try {
    return refsFromBody(body);
  } catch {
    return [];
  }
}

/**
 * The Lambda entry point's logic: takes an SQS event whose messages carry S3 notifications (or a
 * direct S3 event), digests each object independently, and reports the SQS messages that failed
 * as partial batch failures so only they are retried. A direct S3 event has no batch, so any
 * failure is thrown for Lambda's own retry.
 */
export function createDigestHandler(deps: HandlerDeps) {
  const pipeline: PipelineDeps = { ...deps, inflight: deps.inflight ?? new Map() };
  const { maxReceiveCount, minRemainingMs } = deps.handler ?? DEFAULT_HANDLER_SETTINGS;

  const run = async (ref: ObjectRef) => {
    const started = performance.now();
    const outcome = await processObject(pipeline, ref);
    const elapsedMs = performance.now() - started;
    deps.onOutcome?.(ref, outcome, elapsedMs);
    const fields = { bucket: ref.bucket, key: ref.key, status: outcome.status, elapsedMs };
    if (outcome.status === 'failed') {
      deps.log.warn('document rejected', { ...fields, code: outcome.record.error.code });
    } else {
      deps.log.info('document processed', fields);
    }
  };

  /** Processes one message; on its last receive a failure is also written as an error record. */
  const runMessage = async (message: z.infer<typeof SqsRecord>) => {
    const receiveCount = message.attributes?.ApproximateReceiveCount ?? 1;
    for (const ref of refsFromBody(message.body)) {
      try {
        await run(ref);
      } catch (error) {
        if (receiveCount >= maxReceiveCount) {
          const record = await recordFinalFailure(pipeline, ref, error).catch(() => null);
          if (record) {
            deps.onOutcome?.(
              ref,
              { status: 'failed', key: errorKey(ref.key, deps.settings), record },
              0,
            );
          }
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

  return async (
    event: unknown,
    context?: InvocationContext,
  ): Promise<SqsBatchResponse | undefined> => {
    const sqs = SqsEvent.safeParse(event);
    if (sqs.success) {
      const failures: SqsBatchResponse['batchItemFailures'] = [];
      for (const message of sqs.data.Records) {
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
            );
            for (const ref of safeRefs(message.body)) {
              const record = await recordFinalFailure(pipeline, ref, tooLate).catch(() => null);
              if (record)
                deps.onOutcome?.(
                  ref,
                  { status: 'failed', key: errorKey(ref.key, deps.settings), record },
                  0,
                );
            }
          }
          continue;
        }
        try {
          await runMessage(message);
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
        if (record.eventName.startsWith('ObjectCreated:')) await run(toRef(record));
      }
      return undefined;
    }
    if (S3TestEvent.safeParse(event).success) return undefined;
    throw new Error(`Unsupported event: ${sqs.error.issues[0]?.message ?? 'unknown shape'}`);
  };
}
