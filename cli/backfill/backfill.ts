/**
 * `article-digest backfill`: sends objects already in the bucket through the queue again, as if
 * they had just been dropped, for a reprocess after a model or prompt change, or a backfill of
 * documents dropped before the stack existed. Objects whose digest was made from the same
 * content (ETag) with the same engine configuration are skipped unless forced.
 */
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { Config } from '../../shared/config';
import { Digest, type EngineInfo } from '../../shared/contract';
import { s3NotificationFor } from '../../shared/handler';
import { digestKey } from '../../shared/keys';
import { counted } from '../count';
import { type BatchBackfillOptions, type BatchOutcome, batchBackfill } from './batch';

export interface BackfillOptions {
  s3: S3Client;
  sqs: SQSClient;
  bucket: string;
  queueUrl: string;
  config: Config;
  /** The engine configuration digests should have been made with. */
  target: EngineInfo;
  prefix: string;
  since?: Date | undefined;
  until?: Date | undefined;
  dryRun: boolean;
  force: boolean;
  /** USD per million tokens for the target model, if known. */
  price?: { input: number; output: number } | undefined;
  /** Batch price as a share of the on-demand one (`LLM_BATCH_DISCOUNT`), for the dry run's estimate. */
  batchDiscount?: number | undefined;
  /** `--batch`: the part calls go through the OpenAI Batch API before the objects are sent. */
  batch?: Pick<BatchBackfillOptions, 'client' | 'discount' | 'pollMs' | 'sleep'> | undefined;
  print: (line: string) => void;
}

export interface BackfillPlan {
  listed: number;
  toSend: Array<{ key: string; size: number; etag: string | null }>;
  unchanged: number;
  estimatedInputTokens: number;
  estimatedCostUsd: number | null;
  /** With `--batch`: what the batch did. */
  batch?: BatchOutcome;
}

/** Input tokens an object is expected to cost: text tokens (about 3 bytes each) plus prompt. */
function tokensFor(bytes: number, config: Config): number {
  const text = Math.ceil(bytes / 3);
  const calls = Math.max(1, Math.ceil(text / config.llm.chunkTokens));
  return text + calls * 450;
}

async function existingDigest(s3: S3Client, bucket: string, key: string): Promise<Digest | null> {
  try {
    const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    const parsed = Digest.safeParse(JSON.parse((await out.Body?.transformToString()) ?? ''));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

/** Lists the objects under the prefix and decides which to send. */
export async function planBackfill(options: BackfillOptions): Promise<BackfillPlan> {
  const { s3, bucket, config } = options;
  const plan: BackfillPlan = {
    listed: 0,
    toSend: [],
    unchanged: 0,
    estimatedInputTokens: 0,
    estimatedCostUsd: null,
  };
  let token: string | undefined;
  do {
    const page = await s3.send(
      new ListObjectsV2Command({
        Bucket: bucket,
        Prefix: options.prefix,
        ContinuationToken: token,
      }),
    );
    for (const object of page.Contents ?? []) {
      const key = object.Key ?? '';
      if (!key.startsWith(config.pipeline.inputPrefix) || key.endsWith('/')) continue;
      const modified = object.LastModified;
      if (options.since && modified && modified < options.since) continue;
      if (options.until && modified && modified > options.until) continue;
      plan.listed++;
      const etag = object.ETag?.replace(/^"|"$/g, '') ?? null;
      if (!options.force) {
        const digest = await existingDigest(s3, bucket, digestKey(key, config.pipeline));
        if (
          digest &&
          digest.source.etag === etag &&
          digest.engine.configHash === options.target.configHash
        ) {
          plan.unchanged++;
          continue;
        }
      }
      plan.toSend.push({ key, size: object.Size ?? 0, etag });
    }
    token = page.NextContinuationToken;
  } while (token);
  if (options.target.name === 'openai') {
    plan.estimatedInputTokens = plan.toSend.reduce((n, o) => n + tokensFor(o.size, config), 0);
    // Output is bounded by the answer size; a digest answer is about a fifth of its input.
    plan.estimatedCostUsd = options.price
      ? Math.round(
          ((plan.estimatedInputTokens * options.price.input +
            (plan.estimatedInputTokens / 5) * options.price.output) /
            1_000_000) *
            1e4,
        ) / 1e4
      : null;
  }
  return plan;
}

/** Plans, prints the plan, and unless it is a dry run sends the messages in batches of ten. */
export async function backfill(options: BackfillOptions): Promise<BackfillPlan> {
  const { print } = options;
  const plan = await planBackfill(options);
  const engine = `${options.target.name}${options.target.model ? ` ${options.target.model}` : ''} (${options.target.promptVersion}, config ${options.target.configHash})`;
  print(`Objects under s3://${options.bucket}/${options.prefix}: ${plan.listed}`);
  print(
    `Unchanged (same content, digest made by ${engine}): ${plan.unchanged}${options.force ? ' (forced: none skipped)' : ''}`,
  );
  print(`To send: ${plan.toSend.length}`);
  if (options.target.name === 'openai') {
    const cost =
      plan.estimatedCostUsd === null
        ? 'unknown (model not in the price table)'
        : `about $${plan.estimatedCostUsd.toFixed(4)} on demand` +
          (options.batchDiscount === undefined
            ? ''
            : `; about $${(plan.estimatedCostUsd * options.batchDiscount).toFixed(4)} with --batch`);
    print(`Estimated input tokens: about ${plan.estimatedInputTokens}; estimated cost: ${cost}`);
  } else {
    print('Estimated cost: none (offline engine)');
  }
  if (options.dryRun) {
    print('Dry run: nothing sent.');
    return plan;
  }
  if (options.batch && plan.toSend.length > 0) {
    plan.batch = await batchBackfill({
      ...options.batch,
      s3: options.s3,
      bucket: options.bucket,
      config: options.config,
      target: options.target,
      objects: plan.toSend,
      force: options.force,
      print,
    });
  }
  let sent = 0;
  for (let i = 0; i < plan.toSend.length; i += 10) {
    const batch = plan.toSend.slice(i, i + 10);
    const result = await options.sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: options.queueUrl,
        Entries: batch.map((object, j) => ({
          Id: String(j),
          MessageBody: JSON.stringify(
            s3NotificationFor(
              options.bucket,
              object.key,
              { size: object.size, ...(object.etag ? { eTag: object.etag } : {}) },
              { force: options.force },
            ),
          ),
        })),
      }),
    );
    if (result.Failed && result.Failed.length > 0) {
      throw new Error(
        `The queue refused ${counted(result.Failed.length, 'message')}: ${result.Failed[0]?.Message ?? 'no reason given'}`,
      );
    }
    sent += batch.length;
    print(`sent ${sent}/${plan.toSend.length}`);
  }
  print(
    `Done: ${counted(sent, 'object')} queued; digests are written as the function works through them.`,
  );
  return plan;
}
