/**
 * Local mode: the deployed path (S3 → SQS message → handler → S3) on this machine, with the
 * embedded S3 server in place of AWS and the same handler code the Lambda function runs.
 */
import type { Config } from '../../shared/config';
import type { ErrorCode, Usage } from '../../shared/contract';
import type { Engine } from '../../shared/engines/engine';
import { createDigestHandler, type Log } from '../../shared/handler';
import { decodeEventKey } from '../../shared/keys';
import type { ObjectRef, Outcome } from '../../shared/pipeline';
import { createS3Store } from '../../shared/store';
import {
  LOCAL_CREDENTIALS,
  LOCAL_REGION,
  type LocalS3,
  type SqsEventLike,
  startLocalS3,
} from './s3';

export const LOCAL_BUCKET = 'article-digest-local';

export interface ProcessedRow {
  key: string;
  outcome: Outcome | { status: 'unprocessed'; reason: string };
  elapsedMs: number;
}

export interface LocalSession {
  s3: LocalS3;
  /**
   * Uploads an object and resolves once its notification has reached the session (S3 events
   * arrive a little after the upload), so that a following `idle()` waits for its digest.
   */
  put(key: string, body: string | Uint8Array): Promise<void>;
  /** Delivers an SQS event to the handler as the queue would, retries included. */
  deliver(event: SqsEventLike): Promise<void>;
  /** Resolves when every delivery so far has finished, retries included. */
  idle(): Promise<void>;
  close(): Promise<void>;
}

export interface LocalSessionOptions {
  config: Config;
  engine: Engine;
  log: Log;
  port?: number;
  /** Keep the bucket's objects in this folder across runs (watch mode). */
  directory?: string;
  /** Messages processed at once, like the event source's maximum concurrency. Default 4. */
  concurrency?: number;
  /** Receives before a message counts as dead-lettered. Default 3. */
  maxReceives?: number;
  /** Delay before the first redelivery, doubled each time (milliseconds). Default 200. */
  retryDelayMs?: number;
  onRow: (row: ProcessedRow) => void;
  /** Called when a try fails and the message will be received again, with what it spent. */
  onRetry?: (key: string, code: ErrorCode, spent: Usage | null) => void;
}

/**
 * Starts the embedded S3 server and wires its notifications to the digest handler, as an SQS
 * queue with a redrive policy would: at most `concurrency` messages at once, a failed message
 * received again after a backoff, up to `maxReceives` receives (the handler writes the error
 * record on the last one).
 */
export async function startLocalSession(options: LocalSessionOptions): Promise<LocalSession> {
  const maxReceives = options.maxReceives ?? 3;
  const retryDelayMs = options.retryDelayMs ?? 200;
  const s3 = await startLocalS3({
    bucket: LOCAL_BUCKET,
    port: options.port ?? 0,
    notifyPrefix: options.config.pipeline.inputPrefix,
    ...(options.directory ? { directory: options.directory } : {}),
  });
  // The local credentials are a user's: the same store uploads the inputs, as any client would.
  const store = createS3Store({
    region: LOCAL_REGION,
    endpoint: s3.endpoint,
    credentials: LOCAL_CREDENTIALS,
  });
  const handler = createDigestHandler({
    store,
    engine: options.engine,
    settings: options.config.pipeline,
    handler: {
      maxReceiveCount: maxReceives,
      minRemainingMs: options.config.handler.minRemainingMs,
      documentTimeLimitMs: options.config.handler.documentTimeLimitMs,
    },
    log: options.log,
    onOutcome: (ref: ObjectRef, outcome: Outcome, elapsedMs: number) =>
      options.onRow({ key: ref.key, outcome, elapsedMs }),
    onTryFailed: (ref, code, spent) => options.onRetry?.(ref.key, code, spent),
  });
  const slots = limit(options.concurrency ?? 4);
  const pending = new Set<Promise<void>>();
  const deliver = async (event: SqsEventLike) => {
    for (let receive = 1; receive <= maxReceives; receive++) {
      const received = {
        Records: event.Records.map((r) => ({
          ...r,
          attributes: { ApproximateReceiveCount: String(receive) },
        })),
      };
      const response = await slots(() => handler(received));
      if (!response || response.batchItemFailures.length === 0) return;
      await new Promise((r) => setTimeout(r, retryDelayMs * 2 ** (receive - 1)));
    }
    options.log.error('message failed on every receive', {
      messageId: event.Records[0]?.messageId,
    });
  };
  const track = (event: SqsEventLike) => {
    const p = deliver(event).finally(() => pending.delete(p));
    pending.add(p);
    return p;
  };
  const waiting = new Map<string, Array<() => void>>();
  s3.onObjectCreated((event) => {
    void track(event);
    for (const record of event.Records) {
      const notification = JSON.parse(record.body) as {
        Records: Array<{ s3: { object: { key: string } } }>;
      };
      for (const { s3: entry } of notification.Records) {
        const key = decodeEventKey(entry.object.key);
        for (const resolve of waiting.get(key) ?? []) resolve();
        waiting.delete(key);
      }
    }
  });
  return {
    s3,
    async put(key, body) {
      const notified = new Promise<void>((resolve) =>
        waiting.set(key, [...(waiting.get(key) ?? []), resolve]),
      );
      // No type of its own, as S3 stores an upload that names none.
      await store.put(s3.bucket, key, body, 'binary/octet-stream');
      if (key.startsWith(options.config.pipeline.inputPrefix)) await notified;
      else waiting.delete(key);
    },
    deliver: track,
    async idle() {
      while (pending.size > 0) await Promise.allSettled([...pending]);
    },
    close: async () => {
      await s3.close();
    },
  };
}

/** Runs at most `n` tasks at once; the others wait their turn in order. */
function limit(n: number) {
  let active = 0;
  const waiting: Array<() => void> = [];
  return async <T>(task: () => Promise<T>): Promise<T> => {
    if (active >= n) await new Promise<void>((resolve) => waiting.push(resolve));
    active++;
    try {
      return await task();
    } finally {
      active--;
      waiting.shift()?.();
    }
  };
}
