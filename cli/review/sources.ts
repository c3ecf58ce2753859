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
 * What the page shows of a source: its decoded text, and for an HTML page the text read from it
 * (as the pipeline reads it) instead of its markup. An HTML digest's evidence offsets count in
 * the page's markup, so its copy for the page gets them re-counted in that text.
 */
export function sourceView(
  bytes: Uint8Array | null,
  digest?: Digest,
): { source: string | null; digest?: Digest; stored?: Digest } {
  const base = digest ? { digest } : {};
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
  files: { record: string; source: string | null };
}

/**
 * From a folder mirroring the bucket (local mode's `out/`): records under the output and error
 * prefixes, sources under the input prefix. With `keys`, only the records of those source keys.
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
      documents.push({
        key,
        ...record,
        ...sourceView(bytes, record.digest),
        files: { record: file, source: bytes ? path : null },
      });
    }
  }
  return documents.sort((a, b) => a.key.localeCompare(b.key));
}

/** From a bucket: records under the output and error prefixes, sources read from the bucket. */
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
        documents.push({
          key: source.key,
          ...record,
          ...sourceView(await read(source.key, source.versionId), record.digest),
        });
      }
      token = page.NextContinuationToken;
    } while (token);
  }
  return documents.sort((a, b) => a.key.localeCompare(b.key));
}
