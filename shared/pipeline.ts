import { createHash } from 'node:crypto';
import type * as z from 'zod';
import type { PipelineSettings } from './config';
import {
  type Article,
  Digest,
  ErrorRecord,
  type Evidence,
  type Format,
  SCHEMA_VERSION,
  type Source,
} from './contract';
import type { Engine, EngineResult, PreparedDocument, Quoted } from './engines/engine';
import { DocumentError, TransientError } from './errors';
import { digestKey, errorKey, keyRole } from './keys';
import type { ObjectStore } from './store';
import { detectLanguage } from './text/chars';
import { decodeText } from './text/decode';
import { QuoteLocator } from './text/grounding';
import { detectFormat, htmlToText } from './text/html';
import { instructionSpans } from './text/injection';
import { normalize } from './text/normalize';
import { TimeLimit } from './time-limit';

/** An object named by an event: where it is and what the event says of it. */
export interface ObjectRef {
  bucket: string;
  key: string;
  versionId?: string | null;
  etag?: string | null;
  /** Size from the event, checked against the limit before downloading. */
  size?: number | null;
  /** Digest again even when the content and engine configuration are unchanged. */
  force?: boolean;
}

export interface PipelineDeps {
  store: ObjectStore;
  engine: Engine;
  settings: PipelineSettings;
  now?: () => Date;
  /**
   * Engine runs under way in this process, by content-hash index key: a duplicate delivery
   * arriving meanwhile waits for the first run instead of paying the LLM again.
   */
  inflight?: Map<string, Promise<{ key: string; body: DigestBody; digest: Digest }>>;
}

export type Outcome =
  | { status: 'digested'; key: string; digest: Digest }
  | { status: 'unchanged'; key: string; digest: Digest }
  | { status: 'failed'; key: string; record: ErrorRecord }
  | { status: 'ignored'; reason: string };

/** What a digest says of a content, whatever object it came from: the content-hash index entry. */
export const DigestBody = Digest.pick({
  language: true,
  summary: true,
  articles: true,
  grounding: true,
  engine: true,
  usage: true,
});
export type DigestBody = z.infer<typeof DigestBody>;

const JSON_TYPE = 'application/json; charset=utf-8';
const NOTHING_SPENT = { llmCalls: 0, inputTokens: 0, outputTokens: 0, estimatedCostUsd: 0 };

/**
 * Digests one object: read, decode, normalize, run the engine, ground every quote in the source,
 * validate against the contract and write the digest. A {@link DocumentError} is written as an
 * error record instead, so the object ends with exactly one record (a stale record of the other
 * kind, left by an earlier version of the object, is deleted).
 *
 * Idempotency: the grounded result is kept in a content-hash index
 * (`<cachePrefix><configHash>/<sha256>.json`). The same content under the same engine
 * configuration, whether a redelivered event, a re-upload or a copy under another key, reuses it
 * without calling the engine; an unchanged digest is not rewritten at all.
 *
 * @throws {TransientError} (and any unexpected error) when a retry may succeed. Only the
 *   content-hash index entry may have been written by then, so a retry does not pay again.
 *   Not solved here: a newer version uploaded while an older one is being digested can be
 *   overtaken by it (each run reads the newest version it can see when it starts).
 */
export async function processObject(deps: PipelineDeps, ref: ObjectRef): Promise<Outcome> {
  const { settings, store } = deps;
  const role = keyRole(ref.key, settings);
  if (role !== 'input') return { status: 'ignored', reason: `key is in the ${role} area` };
  const outputKey = digestKey(ref.key, settings);
  const recordKey = errorKey(ref.key, settings);
  const now = () => (deps.now?.() ?? new Date()).toISOString();

  let source: Partial<Source> = {};
  try {
    if (ref.key.endsWith('/')) {
      throw new DocumentError('not_a_document', 'The key is a folder marker, not a document.');
    }
    if (ref.size != null && ref.size > settings.maxObjectBytes) {
      throw new DocumentError(
        'too_large',
        `The object has ${ref.size} bytes; the limit is ${settings.maxObjectBytes}.`,
      );
    }
    // The newest version, not the one the event names: a late retry of an older version's event
    // must not replace the digest of a newer one.
    const object = await store.get({ bucket: ref.bucket, key: ref.key });
    if (object === null) {
      throw new DocumentError('object_missing', 'The object was deleted before it was processed.');
    }
    source = {
      bytes: object.body.length,
      sha256: createHash('sha256').update(object.body).digest('hex'),
      etag: object.etag ?? null,
      versionId: object.versionId ?? null,
    };
    if (object.body.length > settings.maxObjectBytes) {
      throw new DocumentError(
        'too_large',
        `The object has ${object.body.length} bytes; the limit is ${settings.maxObjectBytes}.`,
      );
    }
    const decoded = decodeText(object.body);
    source.encoding = decoded.encoding;
    source.format = detectFormat(ref.key, object.contentType, decoded.text);
    const fullSource = { ...sourceRef(ref, source), ...source } as Source;

    const { configHash } = deps.engine.info;
    const unchanged = async (): Promise<Outcome | null> => {
      const existing = await readJson(store, ref.bucket, outputKey, Digest);
      const same =
        existing?.source.sha256 === fullSource.sha256 &&
        existing.source.format === fullSource.format &&
        existing.engine.configHash === configHash;
      if (!existing || !same) return null;
      // A record of a failed earlier version may be left if its deletion failed last time.
      await store.delete(ref.bucket, recordKey);
      return { status: 'unchanged', key: outputKey, digest: existing };
    };
    const already = ref.force ? null : await unchanged();
    if (already) return already;

    const write = async (body: DigestBody, spent: boolean): Promise<Outcome> => {
      const digest = Digest.parse({
        kind: 'digest',
        schemaVersion: SCHEMA_VERSION,
        source: fullSource,
        ...body,
        usage: spent ? body.usage : NOTHING_SPENT,
        processedAt: now(),
      });
      await store.put(ref.bucket, outputKey, `${JSON.stringify(digest, null, 2)}\n`, JSON_TYPE);
      await store.delete(ref.bucket, recordKey);
      return { status: 'digested', key: outputKey, digest };
    };

    // Engines that spend money keep every result in the content-hash index, by configuration,
    // content and the way the content was read.
    const indexKey = `${settings.cachePrefix}${configHash}/${fullSource.sha256}.${fullSource.format}.json`;
    const indexed =
      deps.engine.costly && !ref.force
        ? await readJson(store, ref.bucket, indexKey, DigestBody)
        : null;
    if (indexed) return write(indexed, false);

    const running = deps.inflight?.get(indexKey);
    if (running) {
      // The same content is being digested right now; its run ends once its digest is written.
      const first = await running;
      return first.key === ref.key
        ? { status: 'unchanged', key: outputKey, digest: first.digest }
        : write(first.body, false);
    }
    const run = (async () => {
      const body = await digestContent(deps, decoded.text, fullSource.format);
      if (deps.engine.costly)
        await store.put(ref.bucket, indexKey, JSON.stringify(body), JSON_TYPE);
      const outcome = await write(body, true);
      return { key: ref.key, body, digest: (outcome as { digest: Digest }).digest };
    })();
    deps.inflight?.set(indexKey, run);
    try {
      const { digest } = await run;
      return { status: 'digested', key: outputKey, digest };
    } finally {
      deps.inflight?.delete(indexKey);
    }
  } catch (error) {
    if (!(error instanceof DocumentError)) throw error;
    const record = errorRecord(ref, source, error, now());
    await store.put(ref.bucket, recordKey, `${JSON.stringify(record, null, 2)}\n`, JSON_TYPE);
    await store.delete(ref.bucket, outputKey);
    return { status: 'failed', key: recordKey, record };
  }
}

/**
 * Writes the error record of an object whose every try failed with `error` (retryable: it may
 * succeed when the dead-letter queue is redriven). Nothing about the error but its code and our
 * own message goes into the record.
 */
export async function recordFinalFailure(
  deps: PipelineDeps,
  ref: ObjectRef,
  error: unknown,
): Promise<ErrorRecord> {
  const code =
    error instanceof TransientError || error instanceof DocumentError ? error.code : 'internal';
  const message =
    error instanceof TransientError
      ? `${error.message} (on every try; the message is in the dead-letter queue)`
      : 'Processing failed on every try; the message is in the dead-letter queue.';
  const record = errorRecord(
    ref,
    {},
    new DocumentError(code, message),
    (deps.now?.() ?? new Date()).toISOString(),
    true,
  );
  await deps.store.put(
    ref.bucket,
    errorKey(ref.key, deps.settings),
    `${JSON.stringify(record, null, 2)}\n`,
    JSON_TYPE,
  );
  // The record says the current version could not be digested: a digest of an earlier one goes.
  await deps.store.delete(ref.bucket, digestKey(ref.key, deps.settings));
  return record;
}

function errorRecord(
  ref: ObjectRef,
  source: Partial<Source>,
  error: DocumentError,
  processedAt: string,
  retryable = false,
): ErrorRecord {
  return ErrorRecord.parse({
    kind: 'error',
    schemaVersion: SCHEMA_VERSION,
    source: {
      ...sourceRef(ref, source),
      bytes: source.bytes ?? ref.size ?? null,
      sha256: source.sha256 ?? null,
      encoding: source.encoding ?? null,
    },
    error: { code: error.code, message: error.message, retryable },
    processedAt,
  });
}

/**
 * Runs the engine on decoded text and grounds what it returns: the pipeline's work on one
 * content, without storage (the evaluation harness and the benchmarks call it directly).
 */
export async function digestContent(
  deps: Pick<PipelineDeps, 'engine'>,
  text: string,
  format: Format,
  timeLimit: TimeLimit = TimeLimit.none(),
): Promise<DigestBody> {
  const html = format === 'html' ? htmlToText(text) : null;
  const readable = html ? html.text : text;
  const document: PreparedDocument = {
    source: readable,
    normalized: normalize(readable),
    language: detectLanguage(readable),
    locator: new QuoteLocator(
      readable,
      html ? { text, start: html.rawStart, end: html.rawEnd } : undefined,
    ),
    timeLimit,
  };
  const result = await deps.engine.digest(document);
  const untrusted = instructionSpans(readable, document.normalized, document.language);
  return DigestBody.parse({
    language: document.language,
    ...ground(result, document.locator, untrusted),
    engine: deps.engine.info,
    usage: result.usage,
  });
}

/** Reads and validates a JSON object; null when it is missing or not valid (then it is remade). */
async function readJson<T>(
  store: ObjectStore,
  bucket: string,
  key: string,
  schema: z.ZodType<T>,
): Promise<T | null> {
  const object = await store.get({ bucket, key });
  if (!object) return null;
  try {
    const parsed = schema.safeParse(JSON.parse(new TextDecoder().decode(object.body)));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

/** Keeps the first of items that share the same evidence span. */
function unique<T extends { evidence: Evidence }>(items: T[]): T[] {
  const seen = new Set<string>();
  return items.filter(({ evidence }) => {
    const key = `${evidence.start}:${evidence.end}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function sourceRef(ref: ObjectRef, source: Partial<Source>) {
  return {
    bucket: ref.bucket,
    key: ref.key,
    versionId: source.versionId ?? ref.versionId ?? null,
    etag: source.etag ?? ref.etag ?? null,
  };
}

/**
 * Replaces every engine quote with the source text it stands for and its offsets. Items whose
 * quote is not in the source, or lies in text that tries to instruct the model, are dropped and
 * counted, never passed on; an item repeating another's evidence is kept once.
 */
function ground(
  result: EngineResult,
  locator: QuoteLocator,
  untrusted: ReadonlyArray<{ from: number; to: number }>,
) {
  let checked = 0;
  let dropped = 0;
  const locate = <T extends Quoted>(
    item: T,
  ): (Omit<T, 'quote' | 'near' | 'within'> & { evidence: Evidence }) | null => {
    checked++;
    const found = locator.locate(item.quote, item.near, item.within);
    if (!found || untrusted.some((span) => found.from < span.to && found.to > span.from)) {
      dropped++;
      return null;
    }
    const { quote: _quote, near: _near, within: _within, ...rest } = item;
    return { ...rest, evidence: found.evidence };
  };
  const articles: Article[] = result.articles.map((a) => ({
    title: a.title,
    byline: a.byline,
    summary: a.summary,
    keyPoints: a.keyPoints.map(locate).filter((x) => x !== null),
    tasks: unique(a.tasks.map(locate).filter((x) => x !== null)),
  }));
  return { summary: result.summary, articles, grounding: { checked, dropped } };
}
