/**
 * `article-digest`: the command line.
 *   article-digest run [files or folders…] [--watch] [--out DIR]
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigError, parseConfig } from '../shared/config';
import { createEngine } from '../shared/engines';
import { silentLog } from '../shared/log';
import {
  collectFiles,
  mirrorObject,
  mirrorPrefixes,
  type ProcessedRow,
  startLocalSession,
  uploadFiles,
} from './local-run';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from './local-s3';
import { formatRow, formatTable } from './table';

const USAGE = `Usage:
  article-digest run [files or folders...]   digest files locally (default: the sample articles)
  article-digest run --watch                 keep the local S3 server up and digest what is dropped
Options:
  --out DIR     where digests and error records are written (default: out)
  --port N      port of the local S3 server with --watch (default: 4568)`;

const SAMPLES = resolve(import.meta.dirname, '..', 'samples');

async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      watch: { type: 'boolean', default: false },
      out: { type: 'string', default: 'out' },
      port: { type: 'string', default: '4568' },
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
      onRow: (row) => {
        rows.push(row);
        print(formatRow(row));
        if (row.outcome.status === 'digested' || row.outcome.status === 'failed') {
          void mirrorObject(session.s3, row.outcome.key, outDir);
        }
      },
    });
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
    print(
      `Digests appear under s3://${bucket}/${config.pipeline.outputPrefix} and in ${outDir}. Ctrl-C stops.`,
    );
    await new Promise<void>((resolveStop) => {
      process.once('SIGINT', resolveStop);
      process.once('SIGTERM', resolveStop);
    });
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
    const keys = await uploadFiles(session.s3, config.pipeline.inputPrefix, files);
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
      [config.pipeline.outputPrefix, config.pipeline.errorPrefix],
      outDir,
    );
  } finally {
    await session.close();
  }
  print(formatTable(rows));
  print(`Digests and error records are in ${outDir}, mirroring their S3 keys.`);
  return rows.every((r) => r.outcome.status !== 'unprocessed') ? 0 : 1;
}

export async function main(argv: string[]): Promise<number> {
  const [command = 'run', ...rest] = argv;
  try {
    if (command === 'run') return await run(rest);
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
