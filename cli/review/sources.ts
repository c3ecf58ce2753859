/** Collects digests, error records and their sources for the review page. */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import type { PipelineSettings } from '../../shared/config';
import { Digest, ErrorRecord } from '../../shared/contract';
import { decodeText } from '../../shared/text/decode';
import { type HtmlText, htmlToText } from '../../shared/text/html';
import { UsageError } from '../usage';
import type { ReviewDocument } from './render';

function parseRecord(text: string): { digest?: Digest; error?: ErrorRecord } | null {
  try {
    const json: unknown = JSON.parse(text);
    const digest = Digest.safeParse(json);
    if (digest.success) return { digest: digest.data };
    const error = ErrorRecord.safeParse(json);
    return error.success ? { error: error.data } : null;
  } catch {
    return null;
  }
}

/**
 * What the page shows of a source. For a PDF or Word file (evidence offsets index the text read
 * out of it, kept at `source.textKey`), that kept text as stored; for an HTML page, the text
 * read from it instead of its markup, with a copy of the digest whose evidence offsets (counted
 * in the markup) are re-counted in that text; otherwise the decoded object. `source` is null
 * when there is nothing to show (no object, no kept text, or bytes that are not text).
 * @param bytes the source object, or null when it could not be read.
 * @param kept the kept text (UTF-8), read from `digest.source.textKey`; null when missing.
 */
export function sourceView(
  bytes: Uint8Array | null,
  digest?: Digest,
  kept: Uint8Array | null = null,
): { source: string | null; digest?: Digest; stored?: Digest } {
  const base = digest ? { digest } : {};
  // The original of a PDF or Word file is not text: only its kept text is worth showing.
  if (digest?.source.textKey) {
    return { source: kept ? new TextDecoder('utf-8').decode(kept) : null, ...base };
  }
  if (!bytes) return { source: null, ...base };
  let text: string;
  try {
    text = decodeText(bytes).text;
  } catch {
    return { source: null, ...base };
  }
  if (digest?.source.format !== 'html') return { source: text, ...base };
  const read = htmlToText(text);
  const rebase = evidenceInText(text, read);
  const shown = structuredClone(digest);
  for (const article of shown.articles) {
    for (const item of [...article.tasks, ...article.keyPoints]) {
      const span = rebase(item.evidence.start, item.evidence.end);
      if (span) [item.evidence.start, item.evidence.end] = span;
    }
  }
  return { source: read.text, digest: shown, stored: digest };
}

/** UTF-16 index of each code point of `text`, and one past the end. */
function codePointUnits(text: string): Int32Array {
  const units = new Int32Array(text.length + 1);
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    units[n++] = i;
    const code = text.charCodeAt(i);
    if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length) i++;
  }
  units[n] = text.length;
  return units.subarray(0, n + 1);
}

/**
 * Maps a span of the page's markup (code points) to the span of its text that came from it
 * (code points), or null when no text came from it.
 */
function evidenceInText(
  html: string,
  read: HtmlText,
): (start: number, end: number) => [number, number] | null {
  const rawUnits = codePointUnits(html);
  const textUnits = codePointUnits(read.text);
  /** The code point of the text holding UTF-16 index `unit`. */
  const textCodePoint = (unit: number) => {
    let lo = 0;
    let hi = textUnits.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((textUnits[mid] ?? 0) <= unit) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  };
  return (start, end) => {
    const from = rawUnits[Math.min(start, rawUnits.length - 1)] ?? 0;
    const to = rawUnits[Math.min(end, rawUnits.length - 1)] ?? html.length;
    let first = -1;
    let last = -1;
    // Text characters come from the page in order, so their ranges do not decrease.
    for (let i = 0; i < read.text.length; i++) {
      const rawStart = read.rawStart[i] ?? 0;
      if (rawStart >= to) break;
      if (rawStart >= from && (read.rawEnd[i] ?? 0) <= to) {
        if (first === -1) first = i;
        last = i;
      }
    }
    if (first === -1) return null;
    return [textCodePoint(first), textCodePoint(last) + 1];
  };
}

async function filesUnder(dir: string): Promise<string[]> {
  try {
    const entries = await readdir(dir, { recursive: true, withFileTypes: true });
    return entries
      .filter((e) => e.isFile() && e.name.endsWith('.json'))
      .map((e) => join(e.parentPath, e.name));
  } catch {
    return [];
  }
}

/** A document read from a folder, with the files its links point to (absolute paths). */
export interface FolderDocument extends Omit<ReviewDocument, 'links'> {
  /** The record, the source object and the kept text of a PDF or Word file; null when missing. */
  files: { record: string; source: string | null; text: string | null };
}

/**
 * From a folder mirroring the bucket (local mode's `out/`): records under the output and error
 * prefixes, sources under the input prefix, the text kept of a PDF or Word file under its
 * `source.textKey`. With `keys`, only the records of those source keys.
 * @throws {UsageError} when `dir` is not a folder.
 */
export async function reviewFromFolder(
  dir: string,
  settings: PipelineSettings,
  keys?: ReadonlySet<string>,
): Promise<FolderDocument[]> {
  const info = await stat(dir).catch(() => null);
  if (!info?.isDirectory()) {
    throw new UsageError(
      `no folder ${dir}: digest something first ("article-digest run"), or pass --from DIR (a folder mirroring the bucket) or --bucket NAME`,
    );
  }
  const documents: FolderDocument[] = [];
  for (const prefix of [settings.outputPrefix, settings.errorPrefix]) {
    for (const file of await filesUnder(join(dir, ...prefix.split('/')))) {
      const record = parseRecord(await readFile(file, 'utf8'));
      const key = (record?.digest ?? record?.error)?.source.key;
      if (!record || key === undefined || (keys && !keys.has(key))) continue;
      const path = join(dir, ...key.split('/'));
      const bytes = await readFile(path).catch(() => null);
      const textKey = record.digest?.source.textKey;
      const textPath = textKey ? join(dir, ...textKey.split('/')) : null;
      const kept = textPath ? await readFile(textPath).catch(() => null) : null;
      documents.push({
        key,
        ...record,
        ...sourceView(bytes, record.digest, kept),
        files: { record: file, source: bytes ? path : null, text: kept ? textPath : null },
      });
    }
  }
  return documents.sort((a, b) => a.key.localeCompare(b.key));
}

/**
 * From a bucket: records under the output and error prefixes, sources (and the text kept of a PDF
 * or Word file) read from the bucket.
 */
export async function reviewFromBucket(
  s3: S3Client,
  bucket: string,
  settings: PipelineSettings,
): Promise<ReviewDocument[]> {
  const read = async (key: string, versionId?: string | null): Promise<Uint8Array | null> => {
    try {
      const out = await s3.send(
        new GetObjectCommand({ Bucket: bucket, Key: key, VersionId: versionId ?? undefined }),
      );
      return (await out.Body?.transformToByteArray()) ?? null;
    } catch {
      return null;
    }
  };
  const documents: ReviewDocument[] = [];
  for (const prefix of [settings.outputPrefix, settings.errorPrefix]) {
    let token: string | undefined;
    do {
      const page = await s3.send(
        new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
      );
      for (const object of page.Contents ?? []) {
        const bytes = object.Key ? await read(object.Key) : null;
        const record = bytes ? parseRecord(new TextDecoder().decode(bytes)) : null;
        if (!record) continue;
        const source = (record.digest ?? record.error)?.source;
        if (!source) continue;
        const textKey = record.digest?.source.textKey;
        // A kept text stands for its source in the page: the binary original is not read.
        const original = textKey ? null : await read(source.key, source.versionId);
        const kept = textKey ? await read(textKey) : null;
        documents.push({
          key: source.key,
          ...record,
          ...sourceView(original, record.digest, kept),
        });
      }
      token = page.NextContinuationToken;
    } while (token);
  }
  return documents.sort((a, b) => a.key.localeCompare(b.key));
}
