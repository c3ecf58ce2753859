/**
 * The embedded S3-compatible server of local mode (./strict-s3.ts on loopback, answering as AWS
 * S3 does), and the bridge that turns its ObjectCreated notifications into SQS events the way
 * S3 → SQS → Lambda delivers them.
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { S3Client } from '@aws-sdk/client-s3';
import { createS3Client } from '../s3-client';
import {
  type Authorize,
  type S3Call,
  type S3Notification,
  type StrictS3Options,
  startStrictS3,
} from './strict-s3';

/**
 * The fixed credentials of local mode's S3 server; they open nothing outside this loopback
 * server. (The values are those of the server local mode used before, which users' scripts hold.)
 */
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
 * Starts the local S3 server on 127.0.0.1 with one bucket, its objects in memory (and in
 * `directory`, when given). It runs in a child process, off the pipeline's core, unless it needs
 * what lives here: the policy callback or the record of calls (tests). `port` 0 (the default)
 * picks a free port.
 * @throws an Error with `code` EADDRINUSE when the port is taken.
 */
export async function startLocalS3(options: {
  bucket: string;
  port?: number;
  /** Keep objects in this folder across runs. Default: in memory only. */
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
  const listeners: Array<(notification: S3Notification) => void> = [];
  const serverOptions: StrictS3Options = {
    bucket: options.bucket,
    accessKeyIds: [LOCAL_CREDENTIALS.accessKeyId, LOCAL_FUNCTION_CREDENTIALS.accessKeyId],
    functionAccessKeyId: LOCAL_FUNCTION_CREDENTIALS.accessKeyId,
    directory: options.directory,
    port: options.port ?? 0,
    notifyPrefix: options.notifyPrefix ?? '',
    region: LOCAL_REGION,
  };
  const inProcess = options.authorizeFunction !== undefined || options.recordCalls === true;
  const server = inProcess
    ? await startStrictS3({
        ...serverOptions,
        authorize: options.authorizeFunction,
        record: options.recordCalls,
        onObjectCreated: (notification) => {
          for (const listener of listeners) listener(notification);
        },
      })
    : await startChild(serverOptions, (notification) => {
        for (const listener of listeners) listener(notification);
      });
  const { endpoint } = server;
  let sequence = 0;
  return {
    endpoint,
    bucket: options.bucket,
    client: createS3Client({ region: LOCAL_REGION, endpoint, credentials: LOCAL_CREDENTIALS }),
    calls: server.calls,
    onObjectCreated(listener) {
      listeners.push((notification) => {
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
    close: () => server.close(),
  };
}

type ChildMessage =
  | { type: 'ready'; port: number }
  | { type: 'failed'; code: string | null; message: string }
  | { type: 'event'; notification: S3Notification };

const CHILD = fileURLToPath(new URL('./s3-server-child.mjs', import.meta.url));

/** The server in a child process (./s3-server-child.mjs), its notifications passed over IPC. */
async function startChild(
  options: StrictS3Options,
  onObjectCreated: (notification: S3Notification) => void,
): Promise<{ endpoint: string; calls: S3Call[]; close(): Promise<void> }> {
  const child = fork(CHILD, [JSON.stringify(options)], {
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  child.on('message', (message: ChildMessage) => {
    if (message.type === 'event') onObjectCreated(message.notification);
  });
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
  return {
    endpoint: `http://127.0.0.1:${port}`,
    calls: [],
    async close() {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.send({ type: 'close' });
      await exited;
    },
  };
}
