/** Collects digests, error records and their sources for the review page. */
import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import type { PipelineSettings } from '../../shared/config';
import { Digest, ErrorRecord } from '../../shared/contract';
import { decodeText } from '../../shared/text/decode';
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

function decode(bytes: Uint8Array | null): string | null {
  if (!bytes) return null;
  try {
    return decodeText(bytes).text;
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

/**
 * From a folder mirroring the bucket (local mode's `out/`): records under the output and error
 * prefixes, sources under the input prefix.
 */
export async function reviewFromFolder(
  dir: string,
  settings: PipelineSettings,
): Promise<ReviewDocument[]> {
  const documents: ReviewDocument[] = [];
  for (const prefix of [settings.outputPrefix, settings.errorPrefix]) {
    for (const file of await filesUnder(join(dir, ...prefix.split('/')))) {
      const record = parseRecord(await readFile(file, 'utf8'));
      if (!record) continue;
      const key = (record.digest ?? record.error)?.source.key ?? relative(dir, file);
      const bytes = await readFile(join(dir, ...key.split('/'))).catch(() => null);
      documents.push({ key, ...record, source: decode(bytes) });
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
          source: decode(await read(source.key, source.versionId)),
        });
      }
      token = page.NextContinuationToken;
    } while (token);
  }
  return documents.sort((a, b) => a.key.localeCompare(b.key));
}
