/**
 * `article-digest run`: local mode. Digests files once through the embedded S3 server and the
 * handler (progress while they are in flight, a table and totals at the end), or with `--watch`
 * keeps the server up and digests whatever is dropped into it.
 */
import { join, resolve } from 'node:path';
import type { Config } from '../../shared/config';
import { parseConfig } from '../../shared/config';
import { createEngine } from '../../shared/engines';
import type { Engine } from '../../shared/engines/engine';
import { silentLog } from '../../shared/log';
import { counted } from '../count';
import { writeFolderReview } from '../review/write';
import {
  hasErrorCode,
  onlyWith,
  parseCommandLine,
  portOption,
  prepareFolder,
  UsageError,
} from '../usage';
import {
  clearPreviousRun,
  collectFiles,
  mirrorObject,
  mirrorPrefixes,
  uploadFiles,
  writeRunManifest,
} from './files';
import { formatTotals, type ProgressStream, startProgress, type Totals } from './progress';
import { startLocalQueue } from './queue';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from './s3';
import { type LocalSession, type ProcessedRow, startLocalSession } from './session';
import { formatRow, formatTable } from './table';

export const RUN_USAGE = `Usage: article-digest run [files or folders...] [options]

Digests files through a local S3 server and the function's handler, prints a table and totals,
and writes the results and a review page under --out. One folder: keys keep the paths inside
it; several paths: each folder's name stays in front of its files' paths.

Options:
  --out DIR         where digests, error records, sources and review.html go (default: out);
                    the previous run's files there are removed first
  --watch           keep the local S3 server up and digest what is dropped into it (Ctrl-C stops)
  --port N          port of the local S3 server with --watch (default: 4568)
  --queue-port N    port of the local queue with --watch, for backfill (default: 4569)
  --data DIR        where --watch keeps the bucket across restarts (default: .local-s3)
  -h, --help        this help

Exit codes: 0 every document digested (or unchanged); 1 a document ended in an error record;
2 a usage or configuration mistake, nothing to digest included (the message says what to change).
The engine is the one the environment configures (DIGEST_ENGINE, OPENAI_API_KEY, OPENAI_MODEL...).`;

const SAMPLES = resolve(import.meta.dirname, '..', '..', 'samples');

const OPTIONS = {
  watch: { type: 'boolean', default: false },
  out: { type: 'string', default: 'out' },
  // No parse-time defaults: given without --watch, they are refused rather than ignored.
  port: { type: 'string' },
  'queue-port': { type: 'string' },
  data: { type: 'string' },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

/** Where the command writes: stdout in the CLI, a buffer in tests. */
export interface Output extends ProgressStream {
  write(text: string): unknown;
}

/** Runs `article-digest run` with the arguments after `run`; returns the exit code. */
export async function runCommand(
  argv: string[],
  env: NodeJS.ProcessEnv = process.env,
  output: Output = process.stdout,
): Promise<number> {
  const { values, positionals } = parseCommandLine('run', argv, OPTIONS, true);
  const print = (line: string) => output.write(`${line}\n`);
  if (values.help) {
    print(RUN_USAGE);
    return 0;
  }
  onlyWith(values, ['port', 'queue-port', 'data'], 'watch');
  const port = portOption('port', values.port ?? '4568');
  const queuePort = portOption('queue-port', values['queue-port'] ?? '4569');
  const data = values.data ?? '.local-s3';
  if (values.watch && positionals.length > 0) {
    throw new UsageError(
      `--watch digests what is dropped into its S3 server, not ${positionals[0]}: leave the files out, or drop --watch`,
    );
  }
  const config = parseConfig(env);
  const outDir = resolve(values.out);
  if (values.watch) {
    await prepareFolder(data, `--data ${data}`);
    await prepareFolder(outDir, `--out ${values.out}`);
    const engine = await createEngine(config);
    return watch({ config, engine, outDir, port, queuePort, data: resolve(data), print });
  }
  // Every input is checked before anything starts, so a mistake costs nothing.
  const files = await collectFiles(positionals.length > 0 ? positionals : [SAMPLES], { outDir });
  // Nothing to do is a mistake in the command (the wrong folder), not a document's error.
  if (files.length === 0) {
    throw new UsageError(
      `no files to digest in ${positionals.join(', ')} (hidden files and output folders are skipped): pass files, or folders that hold some`,
    );
  }
  await prepareFolder(outDir, `--out ${values.out}`);
  const engine = await createEngine(config);
  return runOnce({ config, engine, files, outDir, print, output });
}

function engineLabel(config: Config, engine: Engine): string {
  const where = config.openai.baseURL ? ` at ${config.openai.baseURL}` : '';
  const model = engine.info.model ? ` (${engine.info.model}${where})` : '';
  return `the ${engine.info.name} engine${model}`;
}

async function runOnce(options: {
  config: Config;
  engine: Engine;
  files: Array<{ path: string; name: string }>;
  outDir: string;
  print: (line: string) => void;
  output: Output;
}): Promise<number> {
  const { config, engine, files, outDir, print } = options;
  const { inputPrefix, outputPrefix, errorPrefix, textPrefix } = config.pipeline;
  print(
    `Digesting ${counted(files.length, 'file')} with ${engineLabel(config, engine)} through a local S3 server…`,
  );
  await clearPreviousRun(outDir);
  const showSpend = engine.info.name !== 'extractive';
  const progress = startProgress({ total: files.length, stream: options.output, showSpend });
  const rows: ProcessedRow[] = [];
  const session = await startLocalSession({
    config,
    engine,
    log: silentLog,
    onRow: (row) => {
      rows.push(row);
      progress.record(row);
    },
    onRetry: (_key, _code, spent) => progress.retried(spent),
  });
  let written: string[];
  try {
    const keys = await uploadFiles(session, inputPrefix, files);
    await session.idle();
    const done = new Set(rows.map((r) => r.key));
    for (const key of keys) {
      if (done.has(key)) continue;
      const row: ProcessedRow = {
        key,
        outcome: { status: 'unprocessed', reason: 'failed on every delivery' },
        elapsedMs: 0,
      };
      rows.push(row);
      progress.record(row);
    }
    // The text kept of a PDF or Word file too: its evidence offsets index that text.
    written = await mirrorPrefixes(
      session.s3,
      [inputPrefix, outputPrefix, errorPrefix, textPrefix],
      outDir,
    );
  } finally {
    await session.close();
  }
  const totals = progress.finish();
  rows.sort((a, b) => a.key.localeCompare(b.key));
  print(formatTable(rows));
  print(formatTotals(totals, showSpend));
  print(`Digests and error records are in ${outDir}, mirroring their S3 keys.`);
  const review = await writeFolderReview(outDir, config.pipeline, {
    keys: new Set(rows.map((r) => r.key)),
  });
  await writeRunManifest(outDir, [...written, review]);
  print(`Review page: ${review}`);
  return exitCode(totals);
}

/** 1 when any document ended in an error record (or was never finished), else 0. */
export function exitCode(totals: Totals): number {
  return totals.errors > 0 ? 1 : 0;
}

async function watch(options: {
  config: Config;
  engine: Engine;
  outDir: string;
  port: number;
  queuePort: number;
  data: string;
  print: (line: string) => void;
}): Promise<number> {
  const { config, engine, outDir, print } = options;
  await clearPreviousRun(outDir);
  const showSpend = engine.info.name !== 'extractive';
  const written = new Set<string>();
  const keys = new Set<string>();
  // One mirror-and-rewrite at a time: the review page and the manifest are rewritten whole.
  let updates = Promise.resolve();
  let session: LocalSession | undefined;
  // Each document gets its own line here; the progress only counts, for the totals at the end.
  const progress = startProgress({ stream: { write: () => true }, showSpend });
  const update = (row: ProcessedRow) => {
    const { outcome } = row;
    if (!session || (outcome.status !== 'digested' && outcome.status !== 'failed')) return;
    const s3 = session.s3;
    keys.add(row.key);
    updates = updates
      .then(async () => {
        const kept = outcome.status === 'digested' ? outcome.digest.source.textKey : null;
        for (const key of [outcome.key, row.key, ...(kept ? [kept] : [])]) {
          written.add(await mirrorObject(s3, key, outDir));
        }
        written.add(await writeFolderReview(outDir, config.pipeline, { keys }));
        await writeRunManifest(outDir, written);
      })
      .catch((error: unknown) =>
        print(`could not update ${outDir}: ${error instanceof Error ? error.message : error}`),
      );
  };
  try {
    session = await startLocalSession({
      config,
      engine,
      log: silentLog,
      port: options.port,
      directory: options.data,
      onRow: (row) => {
        progress.record(row);
        print(formatRow(row));
        update(row);
      },
      onRetry: (_key, _code, spent) => progress.retried(spent),
    });
  } catch (error) {
    if (hasErrorCode(error, 'EADDRINUSE')) {
      throw new UsageError(
        `port ${options.port} is already in use (is another "article-digest run --watch" running?): stop it, or pass --port N`,
        { cause: error },
      );
    }
    throw error;
  }
  const queue = await startLocalQueue(session.deliver, options.queuePort).catch(
    async (error: unknown) => {
      await session?.close();
      if (hasErrorCode(error, 'EADDRINUSE')) {
        throw new UsageError(
          `port ${options.queuePort} (the queue) is already in use (is another "article-digest run --watch" running?): stop it, or pass --queue-port N`,
          { cause: error },
        );
      }
      throw error;
    },
  );
  const { endpoint, bucket } = session.s3;
  print(
    `Local S3 server: ${endpoint}  bucket: ${bucket}  engine: ${engine.info.name}${engine.info.model ? ` (${engine.info.model})` : ''}`,
  );
  print(
    `Credentials: access key ${LOCAL_CREDENTIALS.accessKeyId}, secret ${LOCAL_CREDENTIALS.secretAccessKey}, region ${LOCAL_REGION}`,
  );
  print(
    `Drop a file:  AWS_ACCESS_KEY_ID=${LOCAL_CREDENTIALS.accessKeyId} AWS_SECRET_ACCESS_KEY=${LOCAL_CREDENTIALS.secretAccessKey} aws --endpoint-url ${endpoint} s3 cp article.txt s3://${bucket}/${config.pipeline.inputPrefix}`,
  );
  print(`Queue (for backfill): ${queue.url}`);
  print(`Review page (updated as digests arrive): ${join(outDir, 'review.html')}`);
  print(
    `Digests appear under s3://${bucket}/${config.pipeline.outputPrefix} and in ${outDir}; the bucket is kept in ${options.data}. Ctrl-C stops.`,
  );
  await new Promise<void>((resolveStop) => {
    process.once('SIGINT', resolveStop);
    process.once('SIGTERM', resolveStop);
  });
  await queue.close();
  await session.idle();
  await session.close();
  await updates;
  print(formatTotals(progress.finish(), showSpend));
  // Stopped on purpose: the documents' errors are in the table above and in their records.
  return 0;
}
