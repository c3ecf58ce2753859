import { createHash } from 'node:crypto';
import type { PipelineSettings } from './config';
import {
  type Article,
  Digest,
  ErrorRecord,
  type Evidence,
  SCHEMA_VERSION,
  type Source,
} from './contract';
import type { Engine, EngineResult, PreparedDocument, Quoted } from './engines/engine';
import { DocumentError } from './errors';
import { digestKey, errorKey, keyRole } from './keys';
import type { ObjectStore } from './store';
import { detectLanguage } from './text/chars';
import { decodeText } from './text/decode';
import { QuoteLocator } from './text/grounding';
import { instructionSpans } from './text/injection';
import { normalize } from './text/normalize';

/** An object named by an event: where it is and what the event says of it. */
export interface ObjectRef {
  bucket: string;
  key: string;
  versionId?: string | null;
  etag?: string | null;
  /** Size from the event, checked against the limit before downloading. */
  size?: number | null;
}

export interface PipelineDeps {
  store: ObjectStore;
  engine: Engine;
  settings: PipelineSettings;
  now?: () => Date;
}

export type Outcome =
  | { status: 'digested'; key: string; digest: Digest }
  | { status: 'failed'; key: string; record: ErrorRecord }
  | { status: 'ignored'; reason: string };

const JSON_TYPE = 'application/json; charset=utf-8';

/**
 * Digests one object: read, decode, normalize, run the engine, ground every quote in the source,
 * validate against the contract and write the digest. A {@link DocumentError} is written as an
 * error record instead, so the object still ends with exactly one record.
 *
 * @throws {TransientError} (and any unexpected error) when a retry may succeed; nothing is
 *   written in that case, so the retry starts clean.
 */
export async function processObject(deps: PipelineDeps, ref: ObjectRef): Promise<Outcome> {
  const { settings } = deps;
  const role = keyRole(ref.key, settings);
  if (role !== 'input') return { status: 'ignored', reason: `key is in the ${role} area` };

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
    const object = await deps.store.get(ref);
    if (object === null) {
      throw new DocumentError('object_missing', 'The object was deleted before it was processed.');
    }
    source = {
      bytes: object.body.length,
      sha256: createHash('sha256').update(object.body).digest('hex'),
      etag: object.etag ?? ref.etag ?? null,
      versionId: object.versionId ?? ref.versionId ?? null,
    };
    if (object.body.length > settings.maxObjectBytes) {
      throw new DocumentError(
        'too_large',
        `The object has ${object.body.length} bytes; the limit is ${settings.maxObjectBytes}.`,
      );
    }
    const decoded = decodeText(object.body);
    source.encoding = decoded.encoding;
    const document: PreparedDocument = {
      source: decoded.text,
      normalized: normalize(decoded.text),
      language: detectLanguage(decoded.text),
      locator: new QuoteLocator(decoded.text),
    };
    const result = await deps.engine.digest(document);
    const untrusted = instructionSpans(decoded.text, document.normalized, document.language);
    const digest = Digest.parse({
      kind: 'digest',
      schemaVersion: SCHEMA_VERSION,
      source: { ...sourceRef(ref, source), ...source },
      language: document.language,
      ...ground(result, document.locator, untrusted),
      engine: deps.engine.info,
      usage: result.usage,
      processedAt: (deps.now?.() ?? new Date()).toISOString(),
    });
    const key = digestKey(ref.key, settings);
    await deps.store.put(ref.bucket, key, `${JSON.stringify(digest, null, 2)}\n`, JSON_TYPE);
    return { status: 'digested', key, digest };
  } catch (error) {
    if (!(error instanceof DocumentError)) throw error;
    const record = ErrorRecord.parse({
      kind: 'error',
      schemaVersion: SCHEMA_VERSION,
      source: {
        ...sourceRef(ref, source),
        bytes: source.bytes ?? ref.size ?? null,
        sha256: source.sha256 ?? null,
        encoding: source.encoding ?? null,
      },
      error: { code: error.code, message: error.message, retryable: false },
      processedAt: (deps.now?.() ?? new Date()).toISOString(),
    });
    const key = errorKey(ref.key, settings);
    await deps.store.put(ref.bucket, key, `${JSON.stringify(record, null, 2)}\n`, JSON_TYPE);
    return { status: 'failed', key, record };
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
