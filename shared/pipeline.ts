import { createHash } from 'node:crypto';
import type { PipelineSettings } from './config';
import { contentIndex, type IndexEntry, isPermanentEngineFailure } from './content-index';
import {
  type Article,
  Digest,
  ErrorRecord,
  type Evidence,
  type Format,
  type KeyPoint,
  SCHEMA_VERSION,
  type Source,
  type Task,
  UNRELIABLE_SHARE,
} from './contract';
import type {
  Checkpoints,
  DraftKeyPoint,
  DraftTask,
  Engine,
  EngineResult,
  PreparedDocument,
  Quoted,
} from './engines/engine';
import { DocumentError, TransientError, usageOf } from './errors';
import { digestKey, errorKey, keyRole, textKey } from './keys';
import { type OcrStep, readableText, readDocument } from './read';
import type { ObjectStore } from './store';
import { detectLanguage } from './text/chars';
import { QuoteLocator } from './text/grounding';
import { instructionFilter, instructionSpans } from './text/injection';
import { normalize } from './text/normalize';
import { type Field, SupportCheck } from './text/support';
import { TimeLimit } from './time-limit';
import * as z from './zod';

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
  inflight?: Map<string, Promise<{ key: string; entry: IndexEntry; outcome: Outcome }>>;
  /** Reads scans and pictures; without one they end with a `needs_ocr` record. */
  ocr?: OcrStep;
}

export type Outcome =
  | { status: 'digested'; key: string; digest: Digest }
  | { status: 'unchanged'; key: string; digest: Digest }
  | { status: 'failed'; key: string; record: ErrorRecord }
  | { status: 'ignored'; reason: string };

/** What a digest says of a content, whatever object it came from: the content-hash index entry. */
export const DigestBody = z.pick(Digest, {
  language: true,
  summary: true,
  articles: true,
  grounding: true,
  engine: true,
  usage: true,
});
export type DigestBody = z.infer<typeof DigestBody>;

const JSON_TYPE = 'application/json; charset=utf-8';
const TEXT_TYPE = 'text/plain; charset=utf-8';
const NOTHING_SPENT = { llmCalls: 0, inputTokens: 0, outputTokens: 0, estimatedCostUsd: 0 };

/**
 * Digests one object: read, decode, normalize, run the engine, ground every quote in the source,
 * validate against the contract and write the digest. A {@link DocumentError} is written as an
 * error record instead, so the object ends with exactly one record (a stale record of the other
 * kind, left by an earlier version of the object, is deleted). A folder marker (an empty object
 * whose key ends with `/`, as the S3 console's "Create folder" makes) is ignored.
 *
 * Nothing billed twice: an engine that costs money keeps what it made of a content, success or
 * permanent failure, in the content-hash index ({@link contentIndex}), and takes the content's
 * lease before paying, so redeliveries, re-uploads, copies under other keys and containers that
 * receive the same content at once pay once. An unchanged digest is not rewritten at all.
 *
 * Newest version wins: a record is written only if the object is still the version that was read
 * (checked just before writing); otherwise the newer version's own event records it.
 *
 * @param timeLimit when the document must be finished; past it, the document ends with a
 *   `too_slow` record (or, when the invocation's time rather than the document's ran out, a
 *   transient error that sends the message back to the queue).
 * @throws {TransientError} (and any unexpected error) when a retry may succeed. Only the
 *   content-hash index entry may have been written by then, so a retry does not pay again.
 */
export async function processObject(
  deps: PipelineDeps,
  ref: ObjectRef,
  timeLimit: TimeLimit = TimeLimit.none(),
): Promise<Outcome> {
  const { settings, store } = deps;
  const role = keyRole(ref.key, settings);
  if (role !== 'input') return { status: 'ignored', reason: `key is in the ${role} area` };
  if (ref.key.endsWith('/') && !ref.size) return { status: 'ignored', reason: 'folder marker' };
  const outputKey = digestKey(ref.key, settings);
  const recordKey = errorKey(ref.key, settings);
  const now = () => (deps.now?.() ?? new Date()).toISOString();

  let source: Partial<Source> = {};
  /** Whether the object is still the version that was read (or gone, which changes nothing). */
  const stillCurrent = async () => {
    if (!source.etag) return true;
    const current = await store.head(ref.bucket, ref.key);
    return current === null || current.etag === source.etag;
  };
  const superseded: Outcome = {
    status: 'ignored',
    reason: 'a newer version replaced the object while it was read; its own event records it',
  };
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
    const read = await readDocument(
      { key: ref.key, contentType: object.contentType, bytes: object.body },
      { ocr: deps.ocr, timeLimit },
    );
    source.encoding = read.encoding;
    source.format = read.format;
    // Text read out of a PDF or Word file is kept: evidence offsets index it.
    source.textKey = read.kept ? textKey(ref.key, settings) : null;
    const fullSource = { ...sourceRef(ref, source), ...source } as Source;
    timeLimit.check('decoding');

    const { configHash } = deps.engine.info;
    /** The text kept for the digest being replaced, if any: a digest of text keeps none. */
    let previousTextKey: string | null = null;
    const unchanged = async (): Promise<Outcome | null> => {
      const existing = await readJson(store, ref.bucket, outputKey, Digest);
      previousTextKey = existing?.source.textKey ?? null;
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
      if (!(await stillCurrent())) return superseded;
      // Before the digest, so that a digest never names a text that is not there.
      if (fullSource.textKey) await store.put(ref.bucket, fullSource.textKey, read.text, TEXT_TYPE);
      else if (previousTextKey) await store.delete(ref.bucket, previousTextKey);
      await store.put(ref.bucket, outputKey, `${JSON.stringify(digest, null, 2)}\n`, JSON_TYPE);
      await store.delete(ref.bucket, recordKey);
      return { status: 'digested', key: outputKey, digest };
    };
    /** What an index entry means for this object: its digest, or its remembered failure. */
    const fromEntry = (entry: IndexEntry): Promise<Outcome> | null => {
      if (entry.kind === 'failure') {
        throw new DocumentError(
          entry.code,
          `${entry.message} (remembered from an earlier run on the same content; backfill --force tries again)`,
        );
      }
      const body = DigestBody.safeParse(entry.body);
      return body.success ? write(body.data, false) : null;
    };

    const index = deps.engine.costly
      ? contentIndex(
          store,
          { bucket: ref.bucket, cachePrefix: settings.cachePrefix, configHash },
          { sha256: fullSource.sha256, format: fullSource.format },
        )
      : null;
    const indexed = index && !ref.force ? await index.read() : null;
    const fromIndex = indexed ? fromEntry(indexed) : null;
    if (fromIndex) return fromIndex;

    // The same content may be under way in this process: wait for it rather than for the lease.
    const flightKey = `${configHash}/${fullSource.sha256}.${fullSource.format}`;
    const running = deps.inflight?.get(flightKey);
    if (running) {
      // Its failure is this object's too, but what it spent is on the first run's record only.
      const first = await running.catch((error: unknown) => {
        throw spentElsewhere(error);
      });
      if (first.key === ref.key && first.outcome.status === 'digested') {
        return { status: 'unchanged', key: outputKey, digest: first.outcome.digest };
      }
      const outcome = fromEntry(first.entry);
      if (outcome) return outcome;
    }
    const run = (async () => {
      const lease = index ? await index.acquire(timeLimit, { force: ref.force === true }) : null;
      if (lease && 'entry' in lease) {
        const outcome = fromEntry(lease.entry);
        if (outcome) return { key: ref.key, entry: lease.entry, outcome: await outcome };
      }
      try {
        let body: DigestBody;
        try {
          body = await timeLimit.race(
            digestContent(deps, read.text, fullSource.format, timeLimit, index?.checkpoints),
            'digesting',
          );
        } catch (error) {
          if (index && isPermanentEngineFailure(error)) {
            await index.write({ kind: 'failure', code: error.code, message: error.message });
          }
          throw error;
        }
        const entry: IndexEntry = { kind: 'digest', body };
        if (index) await index.write(entry);
        return { key: ref.key, entry, outcome: await write(body, true) };
      } finally {
        if (lease && 'release' in lease) await lease.release();
      }
    })();
    deps.inflight?.set(flightKey, run);
    try {
      return (await run).outcome;
    } finally {
      deps.inflight?.delete(flightKey);
    }
  } catch (error) {
    if (!(error instanceof DocumentError)) throw error;
    const record = errorRecord(ref, source, error, now());
    if (!(await stillCurrent())) return superseded;
    await store.put(ref.bucket, recordKey, `${JSON.stringify(record, null, 2)}\n`, JSON_TYPE);
    await store.delete(ref.bucket, outputKey);
    await store.delete(ref.bucket, textKey(ref.key, settings));
    return { status: 'failed', key: recordKey, record };
  }
}

/** The same failure, without the usage: for a run that waited on another run, which paid. */
function spentElsewhere(error: unknown): unknown {
  if (!usageOf(error)) return error;
  if (error instanceof DocumentError) return new DocumentError(error.code, error.message);
  if (error instanceof TransientError)
    return new TransientError(error.message, { code: error.code });
  return error;
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
  const final = new DocumentError(code, message);
  const spent = usageOf(error);
  if (spent) final.usage = spent;
  const record = errorRecord(ref, {}, final, (deps.now?.() ?? new Date()).toISOString(), true);
  await deps.store.put(
    ref.bucket,
    errorKey(ref.key, deps.settings),
    `${JSON.stringify(record, null, 2)}\n`,
    JSON_TYPE,
  );
  // The record says the current version could not be digested: a digest of an earlier one goes.
  await deps.store.delete(ref.bucket, digestKey(ref.key, deps.settings));
  await deps.store.delete(ref.bucket, textKey(ref.key, deps.settings));
  return record;
}

/**
 * The error record of `ref` for `error`, validated against the contract (the dead-letter recorder
 * writes its records with it too).
 * @param retryable default: only `too_slow` (a redrive may be faster).
 * @throws {z.ZodError} when the fields do not make a valid record (a bug).
 */
export function errorRecord(
  ref: ObjectRef,
  source: Partial<Source>,
  error: DocumentError,
  processedAt: string,
  // A document too slow this time may be faster on a redrive; every other document error stays.
  retryable = error.code === 'too_slow',
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
    usage: error.usage ?? NOTHING_SPENT,
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
  checkpoints?: Checkpoints,
): Promise<DigestBody> {
  const document = await prepareDocument(text, format, timeLimit, checkpoints);
  const result = await deps.engine.digest(document);
  const readable = document.source;
  const untrusted = instructionSpans(readable, document.normalized, document.language);
  return DigestBody.parse({
    language: document.language,
    ...ground(result, document, untrusted),
    engine: deps.engine.info,
    usage: result.usage,
  });
}

/**
 * A document as engines take it: read as a reader sees it (HTML and Markdown; evidence offsets
 * still index `text`), normalized, its language told, a locator for quotes. The one place this is
 * done, so that whoever asks an engine (the pipeline, a batch backfill) asks the same thing.
 */
export async function prepareDocument(
  text: string,
  format: Format,
  timeLimit: TimeLimit = TimeLimit.none(),
  checkpoints?: Checkpoints,
): Promise<PreparedDocument> {
  const { text: readable, raw } = await readableText(text, format);
  return {
    source: readable,
    normalized: normalize(readable),
    language: detectLanguage(readable),
    locator: new QuoteLocator(readable, raw),
    timeLimit,
    ...(checkpoints ? { checkpoints } : {}),
  };
}

/** Reads and validates a JSON object; null when it is missing or not valid (then it is remade). */
async function readJson<T>(
  store: ObjectStore,
  bucket: string,
  key: string,
  schema: z.ZodMiniType<T>,
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

/**
 * Keeps the first of items that say the same (`text`, compared without case, spaces and
 * punctuation) on the same evidence span; several items on one span that say different things
 * (tasks of one sentence) are all kept. `repeated` counts what was left out.
 */
function unique<T extends { evidence: Evidence }>(
  items: T[],
  text: (item: T) => string,
  repeated: { count: number },
): T[] {
  const seen = new Set<string>();
  return items.filter((item) => {
    const said = text(item)
      .toLowerCase()
      .replace(/[\s\p{P}]+/gu, '');
    const key = `${item.evidence.start}:${item.evidence.end}:${said}`;
    if (seen.has(key)) {
      repeated.count++;
      return false;
    }
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
 * Replaces every engine quote with the source text it stands for and its offsets, and checks
 * what the engine says about it. Items whose quote is not in the source, or lies in text that
 * tries to instruct the model, are dropped (`dropped`); summary sentences that address the model
 * or repeat such text are taken out, and the source's sentences addressed to the model are
 * counted (`addressedToModel`). A task or key point whose text its quote
 * does not support is dropped too (`unsupported`); an owner or deadline the quote's passage does
 * not state is set to null (`unsupportedFields`), keeping the task, which its quote does support,
 * without the part that is not. An item saying what another says on the same evidence is kept
 * once (`duplicates`); a digest that lost more than {@link UNRELIABLE_SHARE} of its items to
 * the checks says so (`unreliable`).
 */
function ground(
  result: EngineResult,
  document: Pick<PreparedDocument, 'source' | 'locator' | 'normalized' | 'language'>,
  untrusted: ReadonlyArray<{ from: number; to: number }>,
) {
  const told = untrusted.map((span) => document.source.slice(span.from, span.to));
  const filter = instructionFilter(told, document.language);
  const clean = (summary: string) => filter(summary).text;
  let checked = 0;
  let dropped = 0;
  let unsupported = 0;
  let unsupportedFields = 0;
  const duplicates = { count: 0 };
  const support = new SupportCheck(document.normalized, {
    translated: result.translated === true,
    sourceLanguage: document.language,
  });
  const locate = <T extends Quoted>(item: T) => {
    checked++;
    const found = document.locator.locate(item.quote, item.near, item.within);
    if (!found || untrusted.some((span) => found.from < span.to && found.to > span.from)) {
      dropped++;
      return null;
    }
    const { quote: _quote, near: _near, within: _within, ...rest } = item;
    return { item: rest, evidence: found.evidence, around: support.around(found.from, found.to) };
  };
  const keyPoint = (draft: DraftKeyPoint): KeyPoint | null => {
    const located = locate(draft);
    if (!located) return null;
    if (!support.text(located.item.point, located.around)) {
      unsupported++;
      return null;
    }
    return { ...located.item, evidence: located.evidence };
  };
  const task = (draft: DraftTask): Task | null => {
    const located = locate(draft);
    if (!located) return null;
    const { item, around } = located;
    if (!support.text(item.task, around)) {
      unsupported++;
      return null;
    }
    const field = (value: string | null, kind: Field) => {
      // A blank owner or deadline is the model's way of saying none: nothing to count.
      if (value === null || value.trim() === '') return null;
      if (support.field(value, kind, around)) return value;
      unsupportedFields++;
      return null;
    };
    return {
      ...item,
      owner: field(item.owner, 'owner'),
      deadline: field(item.deadline, 'deadline'),
      evidence: located.evidence,
    };
  };
  const articles: Article[] = result.articles.map((a) => ({
    title: a.title,
    byline: a.byline,
    summary: clean(a.summary),
    keyPoints: unique(
      a.keyPoints.map(keyPoint).filter((x) => x !== null),
      (k) => k.point,
      duplicates,
    ),
    tasks: unique(
      a.tasks.map(task).filter((x) => x !== null),
      (t) => t.task,
      duplicates,
    ),
  }));
  return {
    summary: clean(result.summary),
    articles,
    grounding: {
      checked,
      dropped,
      unsupported,
      unsupportedFields,
      addressedToModel: untrusted.length,
      duplicates: duplicates.count,
      unreliable: checked > 0 && (dropped + unsupported) / checked > UNRELIABLE_SHARE,
    },
  };
}
