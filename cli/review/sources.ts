/** Collects digests, error records and their sources for the review page. */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import type { PipelineSettings } from '../../shared/config';
import { Digest, ErrorRecord } from '../../shared/contract';
import { decodeText } from '../../shared/text/decode';
import { htmlToText } from '../../shared/text/html';
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
 * The text a digest's evidence offsets count in: the decoded source, and for an HTML page the
 * text read from it (as the pipeline reads it), not its markup.
 */
export function sourceText(bytes: Uint8Array | null, digest?: Digest): string | null {
  if (!bytes) return null;
  try {
    const text = decodeText(bytes).text;
    return digest?.source.format === 'html' ? htmlToText(text).text : text;
  } catch {
    return null;
  }
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
        source: sourceText(bytes, record.digest),
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
          source: sourceText(await read(source.key, source.versionId), record.digest),
        });
      }
      token = page.NextContinuationToken;
    } while (token);
  }
  return documents.sort((a, b) => a.key.localeCompare(b.key));
}
