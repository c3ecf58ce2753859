/**
 * The dead-letter recorder: the last step of a message that failed on every receive. The digest
 * handler writes an error record on a message's last receive, but a function killed on that
 * receive (hard timeout, out of memory, a crash) writes nothing, and its message reaches the
 * dead-letter queue without one. The recorder reads each such message, writes the missing
 * record, and passes the message on, unchanged, to the queue where dead letters rest and from
 * which they are redriven.
 */

import type { PipelineSettings } from './config';
import type { ErrorRecord } from './contract';
import { DigestError, DocumentError } from './errors';
import { type Log, refsFromBody, type SqsBatchResponse } from './handler';
import { digestKey, errorKey, keyRole } from './keys';
import { type MetricPoint, outcomeMetrics } from './metrics';
import { errorRecord, type ObjectRef } from './pipeline';
import type { DeadLetterQueue } from './queue';
import { type ObjectStore, PreconditionFailedError } from './store';
import * as z from './zod';

const JSON_TYPE = 'application/json; charset=utf-8';

/** The message of a record the recorder writes; users read it in `errors/<path>.json`. */
export const STOPPED_WITHOUT_RECORD =
  'Processing stopped on every try without recording why (the function was stopped: timeout, out of memory or crash); what it spent is not known. The message is in the dead-letter queue.';

/** One dead-lettered SQS message as the Lambda event source delivers it. */
const DeadLetterMessage = z.object({
  messageId: z.string(),
  body: z.string(),
  eventSource: z.literal('aws:sqs'),
  /** Only `reason` is read: why the message was dead-lettered, when its sender said. */
  messageAttributes: z.optional(
    z.object({ reason: z.optional(z.object({ stringValue: z.optional(z.string()) })) }),
  ),
});

const DeadLetterEvent = z.object({
  Records: z.array(DeadLetterMessage).check(z.minLength(1)),
});

/** What the recorder did for one object of a dead-lettered message. */
export type RecorderOutcome =
  /** No record existed: this one was written. */
  | { status: 'recorded'; key: string; record: ErrorRecord }
  /** A digest or an error record of the key exists (the function's own): left as it is. */
  | { status: 'untouched'; key: string }
  /** Not a document (a key outside the input prefix, a folder marker): no record is due. */
  | { status: 'ignored'; reason: string };

export interface RecorderDeps {
  store: ObjectStore;
  settings: PipelineSettings;
  /**
   * Where each message goes once its objects have a record: the queue dead letters rest in and
   * are redriven from (`DEAD_LETTER_QUEUE_URL`), with the reason as the attribute `reason`.
   */
  deadLetters: DeadLetterQueue;
  log: Log;
  now?: () => Date;
  /** Called for each object with what the recorder did. */
  onOutcome?: (ref: ObjectRef, outcome: RecorderOutcome) => void;
}

/**
 * Makes sure a dead-lettered object has a record: when neither its digest nor its error record
 * exists, writes an error record (`internal`, retryable: a redrive may succeed). The write is
 * conditional (`If-None-Match: *`), so a record written meanwhile is never replaced.
 *
 * @throws {TransientError} when S3 cannot be read or written; the message is retried.
 */
export async function ensureRecord(deps: RecorderDeps, ref: ObjectRef): Promise<RecorderOutcome> {
  const { store, settings } = deps;
  // The same objects the pipeline ignores get no record here either.
  const role = keyRole(ref.key, settings);
  if (role !== 'input') return { status: 'ignored', reason: `key is in the ${role} area` };
  if (ref.key.endsWith('/') && !ref.size) return { status: 'ignored', reason: 'folder marker' };

  const outputKey = digestKey(ref.key, settings);
  const recordKey = errorKey(ref.key, settings);
  if (await store.head(ref.bucket, outputKey)) return { status: 'untouched', key: outputKey };
  if (await store.head(ref.bucket, recordKey)) return { status: 'untouched', key: recordKey };

  const record = errorRecord(
    ref,
    {},
    new DocumentError('internal', STOPPED_WITHOUT_RECORD),
    (deps.now?.() ?? new Date()).toISOString(),
    true,
  );
  try {
    await store.put(ref.bucket, recordKey, `${JSON.stringify(record, null, 2)}\n`, JSON_TYPE, {
      ifNoneMatch: '*',
    });
  } catch (error) {
    if (error instanceof PreconditionFailedError) return { status: 'untouched', key: recordKey };
    throw error;
  }
  // A newer version of the object may have been digested between the check and the write; its
  // run deleted the error record before this one existed. The digest wins, as it would have.
  if (await store.head(ref.bucket, outputKey)) {
    await store.delete(ref.bucket, recordKey);
    return { status: 'untouched', key: outputKey };
  }
  return { status: 'recorded', key: recordKey, record };
}

/**
 * The metrics of what the recorder did: `DocumentsRejected` by error code for a record it wrote,
 * as the digest function counts its own records, so the `ErrorRecords-internal` alarm and the
 * dashboard see it. No processing time: nothing was processed.
 */
export function recorderMetrics(outcome: RecorderOutcome): MetricPoint[] {
  if (outcome.status !== 'recorded') return [];
  return outcomeMetrics({ status: 'failed', key: outcome.key, record: outcome.record }, 0).filter(
    (point) => point.name !== 'ProcessingTime',
  );
}

/** What is safe to log of an error: our own messages, and only the kind of anything else. */
function loggable(error: unknown): string {
  if (error instanceof DigestError) return `${error.name}: ${error.message}`;
  return error instanceof Error ? error.name : typeof error;
}

/**
 * The recorder's Lambda logic, for an SQS event from the queue the digest queue dead-letters
 * into: for each message, {@link ensureRecord} for each object its S3 notification names, then
 * the message body, unchanged, goes to {@link RecorderDeps.deadLetters} with a `reason`. A
 * message that is not an S3 notification gets no record (it names no object) and is passed on
 * all the same. A message whose records or hand-over fail is reported as a batch item failure
 * and retried; nothing is acknowledged before it rests in the dead-letter queue.
 *
 * @throws {Error} when the event is not an SQS event (a wiring error).
 */
export function createDeadLetterRecorder(deps: RecorderDeps) {
  return async (event: unknown): Promise<SqsBatchResponse> => {
    const parsed = DeadLetterEvent.safeParse(event);
    if (!parsed.success) {
      throw new Error(`Unsupported event: ${parsed.error.issues[0]?.message ?? 'unknown shape'}`);
    }
    const failures: SqsBatchResponse['batchItemFailures'] = [];
    for (const message of parsed.data.Records) {
      try {
        const given = message.messageAttributes?.reason?.stringValue;
        const body = refsFromBody(message.body);
        let reason: string;
        if ('malformed' in body) {
          reason = given ?? body.malformed;
          deps.log.warn('malformed dead letter passed on without a record', {
            messageId: message.messageId,
            reason,
          });
        } else {
          const records: string[] = [];
          for (const ref of body.refs) {
            const outcome = await ensureRecord(deps, ref);
            deps.onOutcome?.(ref, outcome);
            const fields = { messageId: message.messageId, key: ref.key, status: outcome.status };
            if (outcome.status === 'recorded') {
              deps.log.error('dead letter had no record; error record written', {
                ...fields,
                record: outcome.key,
              });
            } else {
              deps.log.info('dead letter checked', fields);
            }
            if (outcome.status !== 'ignored') records.push(outcome.key);
          }
          reason =
            given ??
            `failed on every receive${records.length ? `; see ${records.join(', ')}` : ''}`;
        }
        await deps.deadLetters.send(message.body, reason);
      } catch (error) {
        deps.log.error('dead letter not handled; it will be retried', {
          messageId: message.messageId,
          error: loggable(error),
        });
        failures.push({ itemIdentifier: message.messageId });
      }
    }
    return { batchItemFailures: failures };
  };
}
