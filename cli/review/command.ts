/** `article-digest review`: writes the review page from a folder or from a bucket. */
import { stat, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { parseConfig } from '../../shared/config';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../local/s3';
import { LOCAL_BUCKET } from '../local/session';
import { createS3Client } from '../s3-client';
import { onlyWith, parseCommandLine, portOption, prepareFolder, UsageError } from '../usage';
import { renderReview } from './render';
import { reviewFromBucket } from './sources';
import { writeFolderReview } from './write';

export const REVIEW_USAGE = `Usage: article-digest review [options]

Writes the review page: one HTML file that works offline, listing documents with their
summaries, tasks and key points next to their sources, and a table of every task.

Options:
  --from DIR        a folder mirroring the bucket, as local mode writes it (default: out)
  --bucket NAME     read digests and sources from this bucket instead (your AWS credentials)
  --local           read them from a running "article-digest run --watch" instead
  --port N          the watch server's port, with --local (default: 4568)
  --out FILE        where to write the page (default: DIR/review.html, or review.html)
  -h, --help        this help`;

const OPTIONS = {
  from: { type: 'string' },
  bucket: { type: 'string' },
  local: { type: 'boolean', default: false },
  // No parse-time default: given without --local, it is refused rather than ignored.
  port: { type: 'string' },
  out: { type: 'string' },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

/** Runs `article-digest review` with the arguments after `review`; returns the exit code. */
export async function reviewCommand(
  argv: string[],
  env: NodeJS.ProcessEnv = process.env,
  print: (line: string) => void = (line) => console.log(line),
): Promise<number> {
  const { values } = parseCommandLine('review', argv, OPTIONS);
  if (values.help) {
    print(REVIEW_USAGE);
    return 0;
  }
  if (values.from && (values.bucket || values.local)) {
    throw new UsageError(
      '--from reads a folder and --bucket or --local a bucket: pass one of them',
    );
  }
  onlyWith(values, ['port'], 'local');
  const port = portOption('port', values.port ?? '4568');
  const config = parseConfig(env);
  if (!values.bucket && !values.local) {
    const dir = resolve(values.from ?? 'out');
    const file = resolve(values.out ?? join(dir, 'review.html'));
    if (values.out !== undefined) await checkPageFile(file, values.out);
    const written = await writeFolderReview(dir, config.pipeline, {
      file,
      requireDocuments: true,
    });
    print(`Review page: ${written}`);
    return 0;
  }
  const s3 = values.local
    ? createS3Client({
        region: LOCAL_REGION,
        endpoint: `http://127.0.0.1:${port}`,
        credentials: LOCAL_CREDENTIALS,
      })
    : createS3Client({ region: config.s3.region, endpoint: config.s3.endpoint });
  const bucket = values.bucket ?? LOCAL_BUCKET;
  const file = resolve(values.out ?? 'review.html');
  await checkPageFile(file, values.out ?? 'review.html');
  const documents = await reviewFromBucket(s3, bucket, config.pipeline).catch((error: unknown) => {
    throw bucketError(error, bucket, values.local, port);
  });
  if (documents.length === 0) {
    const where = `s3://${bucket} under ${config.pipeline.outputPrefix} or ${config.pipeline.errorPrefix}`;
    const fix = values.local ? 'drop a file into the watch server first' : 'check --bucket';
    throw new UsageError(
      `no digests or error records in ${where} yet: ${fix}, or check the prefixes (OUTPUT_PREFIX, ERROR_PREFIX)`,
    );
  }
  await writeFile(file, await renderReview(documents, `Article digests: ${bucket}`));
  print(`Review page: ${file}`);
  return 0;
}

/**
 * Makes sure the page can be written at `file` before anything is read: its folder is created if
 * missing.
 * @param named the path as the user gave it, for the message.
 * @throws {UsageError} when `file` is a folder, or its folder cannot be made or written.
 */
async function checkPageFile(file: string, named: string): Promise<void> {
  if ((await stat(file).catch(() => null))?.isDirectory()) {
    throw new UsageError(
      `--out ${named} is a folder: pass a file name, such as ${join(named, 'review.html')}`,
    );
  }
  await prepareFolder(dirname(file), `--out ${named}`);
}

/** A bucket that cannot be read, as a line naming what to check. */
export function bucketError(error: unknown, bucket: string, local: boolean, port: number): Error {
  const code = (error as { code?: unknown; name?: unknown }).code ?? (error as Error).name;
  if (local && (code === 'ECONNREFUSED' || hasRefusal(error))) {
    return new UsageError(
      `no local S3 server on 127.0.0.1:${port}: start "article-digest run --watch" first (or pass --port N)`,
      { cause: error },
    );
  }
  if (code === 'NoSuchBucket') {
    return new UsageError(
      `there is no bucket ${bucket}: check --bucket (the stack output BucketName)`,
      {
        cause: error,
      },
    );
  }
  if (code === 'CredentialsProviderError' || code === 'AccessDenied') {
    return new UsageError(
      `could not read s3://${bucket} (${String(code)}): check your AWS credentials and region`,
      { cause: error },
    );
  }
  return error instanceof Error ? error : new Error(String(error));
}

function hasRefusal(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e && depth < 5; depth++) {
    if ((e as { code?: unknown }).code === 'ECONNREFUSED') return true;
    const nested = (e as { errors?: unknown[] }).errors;
    if (
      Array.isArray(nested) &&
      nested.some((n) => (n as { code?: unknown }).code === 'ECONNREFUSED')
    ) {
      return true;
    }
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}
