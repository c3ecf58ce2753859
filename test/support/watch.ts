import { type ChildProcess, spawn } from 'node:child_process';
import { resolve } from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import { LOCAL_CREDENTIALS } from '../../cli/local/s3';
import { createS3Client } from '../../cli/s3-client';
import { ROOT } from './fixtures';
import { poll } from './poll';

const BIN = resolve(ROOT, 'bin', 'article-digest.mjs');

/** A running `article-digest run --watch`, as a user starts it. */
export interface Watch {
  child: ChildProcess;
  /** The local S3 server's endpoint, as the command printed it. */
  endpoint: string;
  /** Its port, and the port of the queue it takes backfills on (`--port`, `--queue-port`). */
  port: string;
  queuePort: string;
  /** An S3 client of any user's kind, pointed at it. */
  client: S3Client;
}

/**
 * Starts `article-digest run --watch` on ports the system picks (the S3 server's and the
 * queue's), with `args` after those, and waits until it prints its S3 endpoint and its queue.
 */
export async function startWatch(
  args: string[],
  options: { cwd: string; env: NodeJS.ProcessEnv },
): Promise<Watch> {
  const child = spawn(
    process.execPath,
    [BIN, 'run', '--watch', '--port', '0', '--queue-port', '0', ...args],
    options,
  );
  let stdout = '';
  child.stdout?.on('data', (chunk) => {
    stdout += String(chunk);
  });
  const { endpoint, port, queuePort } = await poll(() => {
    const s3 = /Local S3 server: (http:\/\/127\.0\.0\.1:(\d+))/.exec(stdout);
    const queue = /Queue \(for backfill\): http:\/\/127\.0\.0\.1:(\d+)/.exec(stdout)?.[1];
    return s3?.[1] && s3[2] && queue
      ? { endpoint: s3[1], port: s3[2], queuePort: queue }
      : undefined;
  });
  const client = createS3Client({ region: 'us-east-1', endpoint, credentials: LOCAL_CREDENTIALS });
  return { child, endpoint, port, queuePort, client };
}

/**
 * Stops a watch with Ctrl-C and waits for it to exit, so that it writes nothing into a folder
 * being removed. Nothing to do for one that has ended or was never started.
 */
export async function stopWatch(watch: Watch | undefined): Promise<void> {
  const child = watch?.child;
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGINT');
  await exited;
}
