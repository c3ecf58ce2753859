import * as z from 'zod';
import { describeError } from './errors';
import { decodeEventKey } from './keys';
import { type ObjectRef, type Outcome, type PipelineDeps, processObject } from './pipeline';

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

const S3Notification = z.object({ Records: z.array(S3Record) });

/** The message S3 sends once to check a new notification target. */
const S3TestEvent = z.object({ Event: z.literal('s3:TestEvent') });

const SqsRecord = z.object({
  messageId: z.string(),
  body: z.string(),
  eventSource: z.literal('aws:sqs'),
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
  /** Called after each object with its outcome and how long it took (milliseconds). */
  onOutcome?: (ref: ObjectRef, outcome: Outcome, elapsedMs: number) => void;
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
  return S3Notification.parse(json)
    .Records.filter((r) => r.eventName.startsWith('ObjectCreated:'))
    .map(toRef);
}

/**
 * The Lambda entry point's logic: takes an SQS event whose messages carry S3 notifications (or a
 * direct S3 event), digests each object independently, and reports the SQS messages that failed
 * as partial batch failures so only they are retried. A direct S3 event has no batch, so any
 * failure is thrown for Lambda's own retry.
 */
export function createDigestHandler(deps: HandlerDeps) {
  const run = async (ref: ObjectRef) => {
    const started = performance.now();
    const outcome = await processObject(deps, ref);
    const elapsedMs = performance.now() - started;
    deps.onOutcome?.(ref, outcome, elapsedMs);
    const fields = { bucket: ref.bucket, key: ref.key, status: outcome.status, elapsedMs };
    if (outcome.status === 'failed') {
      deps.log.warn('document rejected', { ...fields, code: outcome.record.error.code });
    } else {
      deps.log.info('document processed', fields);
    }
  };

  return async (event: unknown): Promise<SqsBatchResponse | undefined> => {
    const sqs = SqsEvent.safeParse(event);
    if (sqs.success) {
      const failures: SqsBatchResponse['batchItemFailures'] = [];
      for (const message of sqs.data.Records) {
        try {
          for (const ref of refsFromBody(message.body)) await run(ref);
        } catch (error) {
          deps.log.error('message failed; it goes back to the queue', {
            messageId: message.messageId,
            error: describeError(error),
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
