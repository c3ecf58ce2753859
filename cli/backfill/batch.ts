/**
 * `article-digest backfill --batch`: the LLM's part calls of every object to send go through the
 * OpenAI Batch API (half the on-demand price, answers within 24 hours), and their answers are kept
 * as the content-hash index's part checkpoints, exactly where the engine looks for paid parts.
 * The objects are then sent through the queue as by a plain backfill: the function reads each
 * document again, finds every part answered, and grounds, validates, indexes and writes the
 * digest as it always does, with the batch's tokens on record at the batch's price.
 *
 * A long document's reduce call is not batched: it needs the parts' answers, so a second batch
 * would add up to another 24 hours for a call of a few hundred tokens; it goes on demand when the
 * function digests the document. A request the batch failed, expired or answered unusably leaves
 * no checkpoint, so the function asks it on demand (and records an error as it would otherwise).
 */
import { createHash } from 'node:crypto';
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type OpenAI from 'openai';
import { toFile } from 'openai';
import * as z from 'zod';
import type { Config } from '../../shared/config';
import { contentIndex } from '../../shared/content-index';
import type { EngineInfo } from '../../shared/contract';
import { batchCheckpoint, openAiPartRequests } from '../../shared/engines/openai';
import { priceFor } from '../../shared/engines/prices';
import { DocumentError } from '../../shared/errors';
import { prepareDocument } from '../../shared/pipeline';
import { readDocument } from '../../shared/read';
import type { ObjectStore } from '../../shared/store';
import { counted } from '../count';
import { UsageError } from '../usage';

/** OpenAI's batch price as a share of the on-demand price (`LLM_BATCH_DISCOUNT`). */
export const DEFAULT_BATCH_DISCOUNT = 0.5;

/** OpenAI's limits on one batch's input file: 50,000 requests and 200 MB (kept under). */
const MAX_REQUESTS = 50_000;
const MAX_FILE_BYTES = 190 * 1024 * 1024;

/** Statuses after which a batch changes no more. */
const FINAL = new Set(['completed', 'failed', 'expired', 'cancelled']);

/**
 * `LLM_BATCH_DISCOUNT`: the batch price as a share of the on-demand one (default 0.5, OpenAI's).
 * @throws {UsageError} when it is not a number in (0, 1].
 */
export function batchDiscountFrom(env: NodeJS.ProcessEnv): number {
  const raw = env.LLM_BATCH_DISCOUNT;
  if (raw === undefined || raw === '') return DEFAULT_BATCH_DISCOUNT;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0 || value > 1) {
    throw new UsageError(
      `LLM_BATCH_DISCOUNT must be a number above 0 and at most 1 (got "${raw}")`,
    );
  }
  return value;
}

export interface BatchBackfillOptions {
  s3: S3Client;
  bucket: string;
  config: Config;
  /** The engine configuration the function digests with (its hash names the index entries). */
  target: EngineInfo;
  /** A client for the OpenAI API (files and batches). */
  client: OpenAI;
  objects: Array<{ key: string }>;
  /** Take no index entry as done (`--force`): every part is asked again. */
  force: boolean;
  /** Batch price as a share of the on-demand price. */
  discount: number;
  /** Time between two looks at a batch, in milliseconds. */
  pollMs: number;
  print: (line: string) => void;
  /** Waits between looks; injectable so tests need not sleep. */
  sleep?: (ms: number) => Promise<void>;
}

export interface BatchOutcome {
  /** Requests sent in batches (one per part call; the same content is asked once). */
  requests: number;
  /** Answers kept as checkpoints: the function pays nothing more for these parts. */
  kept: number;
  /** Requests that failed or expired, or answers the engine would not take: asked on demand. */
  onDemand: number;
  inputTokens: number;
  outputTokens: number;
  /** What the batch tokens cost at batch prices; null when the model is not in the price table. */
  costUsd: number | null;
}

/** One line of a batch's output or error file, as OpenAI documents it. */
const OutputLine = z.object({
  custom_id: z.string(),
  response: z.object({ status_code: z.number(), body: z.unknown() }).nullable().optional(),
  error: z.object({ code: z.string().nullish(), message: z.string().nullish() }).nullish(),
});

const Completion = z.object({
  choices: z.array(z.unknown()),
  usage: z
    .object({ prompt_tokens: z.number(), completion_tokens: z.number() })
    .partial()
    .optional(),
});

interface Planned {
  customId: string;
  line: string;
  write: (value: unknown) => Promise<void>;
}

/**
 * Batches the part calls of `objects`, waits for the batches and keeps their answers as
 * checkpoints; the caller then sends the objects through the queue.
 * @throws {Error} when a batch ends `failed` or `cancelled` (nothing of it is kept), and any
 *   error of the OpenAI client (its own retries done) or of S3.
 */
export async function batchBackfill(options: BatchBackfillOptions): Promise<BatchOutcome> {
  const { config, target, print, client } = options;
  const sleep = options.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
  const model = target.model ?? config.openai.model;
  const store = s3ObjectStore(options.s3);
  const planned = new Map<string, Planned>();
  let skipped = 0;
  for (const object of options.objects) {
    const requests = await partRequests(options, store, object.key, model);
    if (!requests) {
      skipped++;
      continue;
    }
    for (const request of requests) planned.set(request.customId, request);
  }
  const outcome: BatchOutcome = {
    requests: planned.size,
    kept: 0,
    onDemand: 0,
    inputTokens: 0,
    outputTokens: 0,
    costUsd: null,
  };
  print(
    `Batch: ${counted(planned.size, 'request')} for ${counted(options.objects.length - skipped, 'object')}` +
      (skipped
        ? ` (${skipped} left to the normal path: already indexed, paid, or unreadable)`
        : ''),
  );
  const price = priceFor(model, config.llm.prices);
  let cost = 0;
  for (const chunk of chunks([...planned.values()])) {
    const file = await client.files.create({
      file: await toFile(Buffer.from(chunk.map((r) => r.line).join('')), 'backfill.jsonl'),
      purpose: 'batch',
    });
    let batch = await client.batches.create({
      input_file_id: file.id,
      endpoint: '/v1/chat/completions',
      completion_window: '24h',
      metadata: { source: 'article-digest backfill' },
    });
    print(`batch ${batch.id}: ${batch.status}, ${counted(chunk.length, 'request')}`);
    let shown = '';
    while (!FINAL.has(batch.status)) {
      await sleep(options.pollMs);
      batch = await client.batches.retrieve(batch.id);
      const counts = batch.request_counts;
      const line = `batch ${batch.id}: ${batch.status}${counts ? `, ${counts.completed}/${counts.total} done, ${counts.failed} failed` : ''}`;
      if (line !== shown) print(line);
      shown = line;
    }
    if (batch.status === 'failed' || batch.status === 'cancelled') {
      const why = batch.errors?.data?.map((e) => e.message).join('; ');
      throw new Error(
        `batch ${batch.id} ${batch.status}${why ? `: ${why}` : ''}; nothing was sent`,
      );
    }
    // Expired: what was answered before the window closed is kept; the rest is asked on demand.
    const answered = new Set<string>();
    for (const fileId of [batch.output_file_id, batch.error_file_id]) {
      if (!fileId) continue;
      const text = await (await client.files.content(fileId)).text();
      for (const raw of text.split('\n')) {
        if (!raw.trim()) continue;
        const line = OutputLine.safeParse(safeJson(raw));
        const request = line.success ? planned.get(line.data.custom_id) : undefined;
        if (!line.success || !request || answered.has(request.customId)) continue;
        const response = line.data.response;
        if (response?.status_code !== 200) continue;
        const body = Completion.safeParse(response.body);
        if (!body.success) continue;
        answered.add(request.customId);
        const inputTokens = body.data.usage?.prompt_tokens ?? 0;
        const outputTokens = body.data.usage?.completion_tokens ?? 0;
        const costUsd = price
          ? ((inputTokens * price.input + outputTokens * price.output) / 1_000_000) *
            options.discount
          : null;
        outcome.inputTokens += inputTokens;
        outcome.outputTokens += outputTokens;
        cost += costUsd ?? 0;
        const checkpoint = batchCheckpoint(
          response.body as OpenAI.Chat.Completions.ChatCompletion,
          { inputTokens, outputTokens, costUsd },
        );
        if (checkpoint) {
          await request.write(checkpoint);
          outcome.kept++;
        }
      }
    }
  }
  // Failed, expired, or answered but not usable (paid in the batch, and asked again on demand).
  outcome.onDemand = outcome.requests - outcome.kept;
  outcome.costUsd = price ? Math.round(cost * 1e6) / 1e6 : null;
  const costText =
    outcome.costUsd === null
      ? 'cost unknown (model not in the price table)'
      : `$${outcome.costUsd.toFixed(4)} at batch prices`;
  print(
    `Batch done: ${counted(outcome.kept, 'answer')} kept, ${outcome.onDemand} left to on-demand calls; ${outcome.inputTokens} input and ${outcome.outputTokens} output tokens, ${costText}`,
  );
  return outcome;
}

/**
 * The batch requests of one object, or null when the normal path is what it needs: the content
 * is already in the index (nothing would be paid), or it cannot be read or is over budget (the
 * function records that, at no cost). Parts answered by an earlier batch are not asked again.
 */
async function partRequests(
  options: BatchBackfillOptions,
  store: ObjectStore,
  key: string,
  model: string,
): Promise<Planned[] | null> {
  const { config, target, bucket } = options;
  const object = await store.get({ bucket, key });
  if (!object) return null;
  try {
    const read = await readDocument({ key, contentType: object.contentType, bytes: object.body });
    const sha256 = createHash('sha256').update(object.body).digest('hex');
    const index = contentIndex(
      store,
      { bucket, cachePrefix: config.pipeline.cachePrefix, configHash: target.configHash },
      { sha256, format: read.format },
    );
    if (!options.force && (await index.read())) return null;
    // The document as the pipeline prepares it, so the calls are the same.
    const document = await prepareDocument(read.text, read.format);
    const requests = await openAiPartRequests(document, model, config.llm);
    const planned: Planned[] = [];
    for (const { checkpoint, body } of requests) {
      if (!options.force && (await index.checkpoints.read(checkpoint)) !== null) continue;
      // Stable: the same content, configuration and part give the same id on every run.
      const customId = `${target.configHash}/${sha256}.${read.format}/${checkpoint}`;
      planned.push({
        customId,
        line: `${JSON.stringify({ custom_id: customId, method: 'POST', url: '/v1/chat/completions', body })}\n`,
        write: (value) => index.checkpoints.write(checkpoint, value),
      });
    }
    return planned.length > 0 ? planned : null;
  } catch (error) {
    if (error instanceof DocumentError) return null;
    throw error;
  }
}

/** Requests in input files within OpenAI's limits. */
function chunks(requests: Planned[]): Planned[][] {
  const out: Planned[][] = [];
  let current: Planned[] = [];
  let bytes = 0;
  for (const request of requests) {
    const size = Buffer.byteLength(request.line);
    if (current.length >= MAX_REQUESTS || (current.length > 0 && bytes + size > MAX_FILE_BYTES)) {
      out.push(current);
      current = [];
      bytes = 0;
    }
    current.push(request);
    bytes += size;
  }
  if (current.length > 0) out.push(current);
  return out;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

/**
 * The index's reads and writes over the command line's S3 client (which takes the user's
 * credentials as the SDK finds them); the batch only reads objects and writes checkpoints.
 */
function s3ObjectStore(s3: S3Client): ObjectStore {
  return {
    async get({ bucket, key }) {
      try {
        const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
        const body = await out.Body?.transformToByteArray();
        return {
          body: body ?? new Uint8Array(),
          etag: out.ETag?.replace(/^"|"$/g, '') ?? null,
          versionId: out.VersionId ?? null,
          contentType: out.ContentType ?? null,
        };
      } catch (error) {
        if (error instanceof Error && (error.name === 'NoSuchKey' || error.name === 'NotFound')) {
          return null;
        }
        throw error;
      }
    },
    async put(bucket, key, body, contentType) {
      const out = await s3.send(
        new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: contentType }),
      );
      return { etag: out.ETag?.replace(/^"|"$/g, '') ?? null };
    },
    head: () => Promise.reject(new Error('not used by a batch backfill')),
    delete: () => Promise.reject(new Error('not used by a batch backfill')),
  };
}
