/**
 * `article-digest`: the command line.
 *   article-digest run [files or folders…] [--watch] [--out DIR]
 */
import { writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { SQSClient } from '@aws-sdk/client-sqs';
import { type Config, ConfigError, parseConfig } from '../shared/config';
import { createEngine, engineInfoFor } from '../shared/engines';
import { priceFor } from '../shared/engines/prices';
import { silentLog } from '../shared/log';
import { backfill } from './backfill/backfill';
import { collectFiles, mirrorObject, mirrorPrefixes, uploadFiles } from './local/files';
import { startLocalQueue } from './local/queue';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from './local/s3';
import { LOCAL_BUCKET, type ProcessedRow, startLocalSession } from './local/session';
import { formatRow, formatTable } from './local/table';
import { renderReview } from './review/render';
import { reviewFromBucket, reviewFromFolder } from './review/sources';
import { createS3Client } from './s3-client';

const USAGE = `Usage:
  article-digest run [files or folders...]   digest files locally (default: the sample articles)
  article-digest run --watch                 keep the local S3 server up and digest what is dropped
  article-digest backfill [options]          send objects already in a bucket through the queue again
  article-digest review [options]            write the review page (HTML, works offline from the file)
Options of run:
  --out DIR         where digests and error records are written (default: out)
  --port N          port of the local S3 server with --watch (default: 4568)
  --queue-port N    port of the local queue with --watch (default: 4569)
  --data DIR        where the watch server keeps the bucket across restarts (default: .local-s3)
Options of backfill:
  --local           against a running \`run --watch\` (its S3 server and queue on loopback)
  --bucket NAME     the bucket (deployed: the stack output BucketName)
  --queue-url URL   the queue (deployed: the stack output QueueUrl)
  --prefix P        only keys under P (default: the input prefix)
  --since ISO       only objects modified at or after this time
  --until ISO       only objects modified at or before this time
  --dry-run         print the count and estimated token cost, send nothing
  --force           send unchanged objects too, and have them digested again
Options of review:
  --from DIR        a folder mirroring the bucket, as local mode writes it (default: out)
  --bucket NAME     read digests and sources from this bucket instead (--local: the watch server's)
  --out FILE        where to write the page (default: DIR/review.html, or review.html)
The engine a digest should have been made with is the one the environment configures
(DIGEST_ENGINE, OPENAI_MODEL, …), as for the function.`;

const SAMPLES = resolve(import.meta.dirname, '..', 'samples');

async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      watch: { type: 'boolean', default: false },
      out: { type: 'string', default: 'out' },
      port: { type: 'string', default: '4568' },
      'queue-port': { type: 'string', default: '4569' },
      data: { type: 'string', default: '.local-s3' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const print = (line: string) => console.log(line);
  const config = parseConfig(process.env);
  const engine = await createEngine(config);
  const outDir = resolve(values.out);
  const rows: ProcessedRow[] = [];

  if (values.watch) {
    const port = Number(values.port);
    const session = await startLocalSession({
      config,
      engine,
      log: silentLog,
      port,
      directory: resolve(values.data),
      onRow: (row) => {
        rows.push(row);
        print(formatRow(row));
        if (row.outcome.status === 'digested' || row.outcome.status === 'failed') {
          const { key } = row.outcome;
          // The record, its source, and the review page with both.
          void Promise.all([
            mirrorObject(session.s3, key, outDir),
            mirrorObject(session.s3, row.key, outDir),
          ])
            .then(() => writeReview(outDir, config))
            .catch((error: unknown) => print(`could not update ${outDir}: ${String(error)}`));
        }
      },
    });
    const queue = await startLocalQueue(session.deliver, Number(values['queue-port']));
    const { endpoint, bucket } = session.s3;
    print(
      `Local S3 server: ${endpoint}  bucket: ${bucket}  engine: ${engine.info.name}${engine.info.model ? ` (${engine.info.model})` : ''}`,
    );
    print(
      `Credentials: access key ${LOCAL_CREDENTIALS.accessKeyId}, secret ${LOCAL_CREDENTIALS.secretAccessKey}, region ${LOCAL_REGION}`,
    );
    print(
      `Drop a file:  AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER aws --endpoint-url ${endpoint} s3 cp article.txt s3://${bucket}/${config.pipeline.inputPrefix}`,
    );
    print(`Queue (for backfill): ${queue.url}`);
    print(`Review page (updated as digests arrive): ${join(outDir, 'review.html')}`);
    print(
      `Digests appear under s3://${bucket}/${config.pipeline.outputPrefix} and in ${outDir}; the bucket is kept in ${resolve(values.data)}. Ctrl-C stops.`,
    );
    await new Promise<void>((resolveStop) => {
      process.once('SIGINT', resolveStop);
      process.once('SIGTERM', resolveStop);
    });
    await queue.close();
    await session.idle();
    await session.close();
    return 0;
  }

  const files = await collectFiles(positionals.length > 0 ? positionals : [SAMPLES]);
  if (files.length === 0) {
    print('No files to digest.');
    return 1;
  }
  const where = config.openai.baseURL ? ` at ${config.openai.baseURL}` : '';
  const model = engine.info.model ? ` (${engine.info.model}${where})` : '';
  print(
    `Digesting ${files.length} file(s) with the ${engine.info.name} engine${model} through a local S3 server…`,
  );
  const session = await startLocalSession({
    config,
    engine,
    log: silentLog,
    onRow: (row) => rows.push(row),
  });
  try {
    const keys = await uploadFiles(session, config.pipeline.inputPrefix, files);
    await session.idle();
    const done = new Set(rows.map((r) => r.key));
    for (const key of keys) {
      if (!done.has(key))
        rows.push({
          key,
          outcome: { status: 'unprocessed', reason: 'failed on every delivery' },
          elapsedMs: 0,
        });
    }
    await mirrorPrefixes(
      session.s3,
      [config.pipeline.inputPrefix, config.pipeline.outputPrefix, config.pipeline.errorPrefix],
      outDir,
    );
  } finally {
    await session.close();
  }
  print(formatTable(rows));
  print(`Digests and error records are in ${outDir}, mirroring their S3 keys.`);
  const review = await writeReview(outDir, config);
  print(`Review page: ${review}`);
  return rows.every((r) => r.outcome.status !== 'unprocessed') ? 0 : 1;
}

async function backfillCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      local: { type: 'boolean', default: false },
      bucket: { type: 'string' },
      'queue-url': { type: 'string' },
      prefix: { type: 'string' },
      since: { type: 'string' },
      until: { type: 'string' },
      'dry-run': { type: 'boolean', default: false },
      force: { type: 'boolean', default: false },
      port: { type: 'string', default: '4568' },
      'queue-port': { type: 'string', default: '4569' },
    },
  });
  const config = parseConfig(process.env);
  const date = (value: string | undefined, name: string) => {
    if (value === undefined) return undefined;
    const parsed = new Date(value);
    if (Number.isNaN(parsed.getTime()))
      throw new ConfigError(`--${name} must be an ISO date, e.g. 2026-11-01`);
    return parsed;
  };
  const local = values.local;
  const bucket = values.bucket ?? (local ? LOCAL_BUCKET : undefined);
  const queueUrl =
    values['queue-url'] ??
    (local ? `http://127.0.0.1:${values['queue-port']}/queue/article-digest-local` : undefined);
  if (!bucket || !queueUrl) {
    throw new ConfigError(
      'backfill needs --bucket and --queue-url (the stack outputs BucketName and QueueUrl), or --local.',
    );
  }
  const region = config.s3.region;
  const s3 = local
    ? createS3Client({
        region: LOCAL_REGION,
        endpoint: `http://127.0.0.1:${values.port}`,
        credentials: LOCAL_CREDENTIALS,
      })
    : createS3Client({ region, endpoint: config.s3.endpoint });
  const sqs = new SQSClient({
    region: local ? LOCAL_REGION : region,
    ...(local ? { endpoint: new URL(queueUrl).origin, credentials: LOCAL_CREDENTIALS } : {}),
  });
  const target = await engineInfoFor(config);
  await backfill({
    s3,
    sqs,
    bucket,
    queueUrl,
    config,
    target,
    prefix: values.prefix ?? config.pipeline.inputPrefix,
    since: date(values.since, 'since'),
    until: date(values.until, 'until'),
    dryRun: values['dry-run'],
    force: values.force,
    price: target.model ? priceFor(target.model, config.llm.prices) : undefined,
    print: (line) => console.log(line),
  });
  return 0;
}

/** Writes the review page of a folder mirroring the bucket; returns its path. */
async function writeReview(
  dir: string,
  config: Config,
  file = join(dir, 'review.html'),
): Promise<string> {
  await writeFile(file, renderReview(await reviewFromFolder(dir, config.pipeline)));
  return file;
}

async function reviewCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      from: { type: 'string' },
      bucket: { type: 'string' },
      local: { type: 'boolean', default: false },
      port: { type: 'string', default: '4568' },
      out: { type: 'string' },
    },
  });
  const config = parseConfig(process.env);
  if (values.from || (!values.bucket && !values.local)) {
    const dir = resolve(values.from ?? 'out');
    console.log(
      `Review page: ${await writeReview(dir, config, resolve(values.out ?? join(dir, 'review.html')))}`,
    );
    return 0;
  }
  const s3 = values.local
    ? createS3Client({
        region: LOCAL_REGION,
        endpoint: `http://127.0.0.1:${values.port}`,
        credentials: LOCAL_CREDENTIALS,
      })
    : createS3Client({ region: config.s3.region, endpoint: config.s3.endpoint });
  const bucket = values.bucket ?? LOCAL_BUCKET;
  const file = resolve(values.out ?? 'review.html');
  await writeFile(
    file,
    renderReview(await reviewFromBucket(s3, bucket, config.pipeline), `Article digests: ${bucket}`),
  );
  console.log(`Review page: ${file}`);
  return 0;
}

export async function main(argv: string[]): Promise<number> {
  const [command = 'run', ...rest] = argv;
  try {
    if (command === 'run') return await run(rest);
    if (command === 'backfill') return await backfillCommand(rest);
    if (command === 'review') return await reviewCommand(rest);
    if (command === 'help' || command === '--help' || command === '-h') {
      console.log(USAGE);
      return 0;
    }
    console.error(`Unknown command "${command}".\n${USAGE}`);
    return 2;
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      return 2;
    }
    throw error;
  }
}
