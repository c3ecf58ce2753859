/**
 * The embedded S3-compatible server of local mode (s3rver on loopback, behind the strict front of
 * ./strict-s3.ts that answers as AWS S3 where s3rver is lenient), and the bridge that turns its
 * ObjectCreated notifications into SQS events the way S3 → SQS → Lambda delivers them.
 */
import { fork } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { S3Client } from '@aws-sdk/client-s3';
import { encodeEventKey } from '../../shared/keys';
import { createS3Client } from '../s3-client';
import { type Authorize, type S3Call, startStrictS3 } from './strict-s3';

/** s3rver accepts these fixed credentials; they open nothing outside this loopback server. */
export const LOCAL_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };
export const LOCAL_REGION = 'us-east-1';
/**
 * The function's credentials in local runs: requests signed with them are checked against the
 * policy `startLocalS3` was given (`authorizeFunction`), as the function's role would be on AWS.
 */
export const LOCAL_FUNCTION_CREDENTIALS = {
  accessKeyId: 'S3RVER-FUNCTION',
  secretAccessKey: LOCAL_CREDENTIALS.secretAccessKey,
};

interface RawNotification {
  Records: Array<{ eventName: string; s3: { object: { key: string } } }>;
}

export interface LocalS3 {
  endpoint: string;
  bucket: string;
  client: S3Client;
  /** The calls answered so far, when started with `recordCalls`. */
  readonly calls: S3Call[];
  /**
   * Calls `listener` with an SQS event for every object created under the `notifyPrefix` the
   * server was started with (the server filters, as an S3 notification filter would), keys
   * URL-encoded as S3 does.
   */
  onObjectCreated(listener: (sqsEvent: SqsEventLike) => void): void;
  close(): Promise<void>;
}

export interface SqsEventLike {
  Records: Array<{
    messageId: string;
    body: string;
    eventSource: 'aws:sqs';
    attributes?: { ApproximateReceiveCount: string };
  }>;
}

/**
 * Starts s3rver on 127.0.0.1 with one bucket, in a child process, storing objects in a fresh
 * temporary folder (in memory where /dev/shm exists) that is removed on close, behind the strict
 * front, whose endpoint is the one returned. `port` 0 (the default) picks a free port for the
 * front.
 */
export async function startLocalS3(options: {
  bucket: string;
  port?: number;
  /** Keep objects in this folder across runs instead of a temporary one. */
  directory?: string;
  /** Only ObjectCreated events under this prefix are reported (the notification filter). */
  notifyPrefix?: string;
  /**
   * Checks requests signed with {@link LOCAL_FUNCTION_CREDENTIALS} (an IAM policy simulator in
   * tests). Without it they are not restricted; requests with {@link LOCAL_CREDENTIALS} never are.
   */
  authorizeFunction?: Authorize;
  /** Keep every call in `calls` (for tests; memory grows per request). Default false. */
  recordCalls?: boolean;
}): Promise<LocalS3> {
  const directory =
    options.directory ??
    (await mkdtemp(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'article-digest-s3-')));
  if (options.directory) await mkdir(options.directory, { recursive: true });
  // The front runs beside s3rver in the child, off the pipeline's core and with no second HTTP
  // hop, unless it needs what lives here: the policy callback, or the record of calls.
  const frontHere = options.authorizeFunction !== undefined || options.recordCalls === true;
  const args = [directory, options.bucket, '0', options.notifyPrefix ?? ''];
  if (!frontHere) {
    args.push(
      String(options.port ?? 0),
      LOCAL_CREDENTIALS.accessKeyId,
      LOCAL_FUNCTION_CREDENTIALS.accessKeyId,
    );
  }
  const child = fork(CHILD, args, { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  const port = await new Promise<number>((resolve, reject) => {
    const onMessage = (message: ChildMessage) => {
      if (message.type === 'ready') {
        child.off('exit', onExit);
        resolve(message.port);
      } else if (message.type === 'failed') {
        child.off('exit', onExit);
        reject(Object.assign(new Error(message.message), { code: message.code }));
      }
    };
    const onExit = (code: number | null) =>
      reject(new Error(`the local S3 server exited (${code})`));
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
  const front = frontHere
    ? await startStrictS3({
        upstream: `http://127.0.0.1:${port}`,
        upstreamAccessKeyId: LOCAL_CREDENTIALS.accessKeyId,
        functionAccessKeyId: LOCAL_FUNCTION_CREDENTIALS.accessKeyId,
        authorize: options.authorizeFunction,
        record: options.recordCalls,
        port: options.port,
      }).catch(async (error: unknown) => {
        child.kill();
        throw error;
      })
    : { endpoint: `http://127.0.0.1:${port}`, calls: [] as S3Call[], close: async () => {} };
  const { endpoint } = front;
  let sequence = 0;
  return {
    endpoint,
    bucket: options.bucket,
    client: createS3Client({ region: LOCAL_REGION, endpoint, credentials: LOCAL_CREDENTIALS }),
    calls: front.calls,
    onObjectCreated(listener) {
      child.on('message', (message: ChildMessage) => {
        if (message.type !== 'event') return;
        const { notification } = message;
        // s3rver puts raw keys in its events; S3 URL-encodes them. Deliver what S3 would.
        for (const record of notification.Records) {
          record.s3.object.key = encodeEventKey(record.s3.object.key);
        }
        sequence++;
        listener({
          Records: [
            {
              messageId: `local-${sequence}`,
              body: JSON.stringify(notification),
              eventSource: 'aws:sqs',
            },
          ],
        });
      });
    },
    async close() {
      await front.close();
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.send({ type: 'close' });
        await exited;
      }
      if (!options.directory) await rm(directory, { recursive: true, force: true });
    },
  };
}

type ChildMessage =
  | { type: 'ready'; port: number }
  | { type: 'failed'; code: string | null; message: string }
  | { type: 'event'; notification: RawNotification };

const CHILD = fileURLToPath(new URL('./s3-server-child.mjs', import.meta.url));
