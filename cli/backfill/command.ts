/** `article-digest backfill`: sends objects already in a bucket through the queue again. */
import { parseConfig } from '../../shared/config';
import { engineInfoFor } from '../../shared/engines';
import { createOpenAiClient } from '../../shared/engines/openai';
import { priceFor } from '../../shared/engines/prices';
import { isListening } from '../local/probe';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../local/s3';
import { LOCAL_BUCKET } from '../local/session';
import { bucketError } from '../review/command';
import { createS3Client, createSqsClient } from '../s3-client';
import { dateOption, onlyWith, parseCommandLine, portOption, UsageError } from '../usage';
import { backfill } from './backfill';
import { batchDiscountFrom } from './batch';

export const BACKFILL_USAGE = `Usage: article-digest backfill [options]

Sends objects already in the bucket through the queue again, as if they had just been dropped
(after a model or prompt change, or for documents dropped before the stack existed). Objects
whose digest was made from the same content by the same engine configuration are skipped.

Options:
  --bucket NAME     the bucket (deployed: the stack output BucketName)
  --queue-url URL   the queue (deployed: the stack output QueueUrl)
  --local           against a running "article-digest run --watch" (its S3 server and queue)
  --port N          the watch server's S3 port, with --local (default: 4568)
  --queue-port N    the watch server's queue port, with --local (default: 4569)
  --prefix P        only keys under P (default: the input prefix)
  --since ISO       only objects modified at or after this time
  --until ISO       only objects modified at or before this time
  --dry-run         print the count and estimated token cost, send nothing
  --force           send unchanged objects too, and have them digested again
  --batch           send the LLM's part calls through the OpenAI Batch API first (half price,
                    answers within 24 hours; the command waits), then the objects
  --poll-seconds N  with --batch, how often to look at the batch (default: 60)
  -h, --help        this help

The engine configuration digests should have been made with is the one the environment
configures (DIGEST_ENGINE, OPENAI_MODEL...), as for the function. LLM_BATCH_DISCOUNT is the
batch price as a share of the on-demand one (default: 0.5, OpenAI's).`;

const OPTIONS = {
  local: { type: 'boolean', default: false },
  bucket: { type: 'string' },
  'queue-url': { type: 'string' },
  prefix: { type: 'string' },
  since: { type: 'string' },
  until: { type: 'string' },
  'dry-run': { type: 'boolean', default: false },
  force: { type: 'boolean', default: false },
  batch: { type: 'boolean', default: false },
  // No parse-time defaults: given without --batch or --local, they are refused rather than ignored.
  'poll-seconds': { type: 'string' },
  port: { type: 'string' },
  'queue-port': { type: 'string' },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

/** Runs `article-digest backfill` with the arguments after `backfill`; returns the exit code. */
export async function backfillCommand(
  argv: string[],
  env: NodeJS.ProcessEnv = process.env,
  print: (line: string) => void = (line) => console.log(line),
): Promise<number> {
  const { values } = parseCommandLine('backfill', argv, OPTIONS);
  if (values.help) {
    print(BACKFILL_USAGE);
    return 0;
  }
  onlyWith(values, ['port', 'queue-port'], 'local');
  onlyWith(values, ['poll-seconds'], 'batch');
  const port = portOption('port', values.port ?? '4568');
  const queuePort = portOption('queue-port', values['queue-port'] ?? '4569');
  const since = dateOption('since', values.since);
  const until = dateOption('until', values.until);
  const config = parseConfig(env);
  const batchDiscount = batchDiscountFrom(env);
  const pollSeconds = Number(values['poll-seconds'] ?? '60');
  if (!Number.isFinite(pollSeconds) || pollSeconds <= 0) {
    throw new UsageError(
      '--poll-seconds needs a number of seconds above 0, e.g. --poll-seconds 60',
    );
  }
  // The Batch API is OpenAI's own: other servers (Azure included, which batches per deployment)
  // are not sent batches.
  if (
    values.batch &&
    (config.engine !== 'openai' || (config.llm.provider ?? 'openai') !== 'openai')
  ) {
    throw new UsageError(
      '--batch needs the LLM engine on OpenAI (OPENAI_API_KEY set; LLM_PROVIDER openai or unset)',
    );
  }
  const local = values.local;
  const bucket = values.bucket ?? (local ? LOCAL_BUCKET : undefined);
  const queueUrl =
    values['queue-url'] ??
    (local ? `http://127.0.0.1:${queuePort}/queue/article-digest-local` : undefined);
  if (!bucket || !queueUrl) {
    throw new UsageError(
      'backfill needs --bucket and --queue-url (the stack outputs BucketName and QueueUrl), or --local',
    );
  }
  if (local) {
    for (const [p, what] of [
      [port, '--port'],
      [queuePort, '--queue-port'],
    ] as const) {
      if (!(await isListening(p))) {
        throw new UsageError(
          `nothing listens on 127.0.0.1:${p}: start "article-digest run --watch" in another terminal first (or pass ${what} N)`,
        );
      }
    }
  }
  const region = config.s3.region;
  const s3 = local
    ? createS3Client({
        region: LOCAL_REGION,
        endpoint: `http://127.0.0.1:${port}`,
        credentials: LOCAL_CREDENTIALS,
      })
    : createS3Client({ region, endpoint: config.s3.endpoint });
  const sqs = local
    ? createSqsClient({
        region: LOCAL_REGION,
        endpoint: new URL(queueUrl).origin,
        credentials: LOCAL_CREDENTIALS,
      })
    : createSqsClient({ region });
  const target = await engineInfoFor(config);
  await backfill({
    s3,
    sqs,
    bucket,
    queueUrl,
    config,
    target,
    prefix: values.prefix ?? config.pipeline.inputPrefix,
    since,
    until,
    dryRun: values['dry-run'],
    force: values.force,
    price: target.model ? priceFor(target.model, config.llm.prices) : undefined,
    batchDiscount: config.engine === 'openai' ? batchDiscount : undefined,
    batch:
      values.batch && config.openai.apiKey
        ? {
            // Batch requests wait in OpenAI's queue, not in this client: the calls themselves
            // (upload, create, look, download) are short, with the SDK's own retries.
            client: createOpenAiClient({
              apiKey: config.openai.apiKey,
              baseURL: config.openai.baseURL,
              timeoutMs: 120_000,
              maxRetries: config.openai.maxRetries,
            }),
            discount: batchDiscount,
            pollMs: pollSeconds * 1000,
          }
        : undefined,
    print,
  }).catch((error: unknown) => {
    throw bucketError(error, bucket, local, port);
  });
  return 0;
}
