/** Local mode's files: inputs collected and uploaded, results mirrored back to a folder. */
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import type { LocalS3 } from './s3';
import type { LocalSession } from './session';

/** Files to upload: each file as itself, each folder's files (recursively) by relative path. */
export async function collectFiles(
  paths: string[],
): Promise<Array<{ path: string; name: string }>> {
  const files: Array<{ path: string; name: string }> = [];
  for (const p of paths) {
    const full = resolve(p);
    const info = await stat(full);
    if (info.isDirectory()) {
      const entries = await readdir(full, { recursive: true, withFileTypes: true });
      for (const e of entries) {
        if (!e.isFile() || e.name.startsWith('.')) continue;
        const path = join(e.parentPath, e.name);
        files.push({ path, name: relative(full, path).split('\\').join('/') });
      }
    } else {
      files.push({ path: full, name: basename(full) });
    }
  }
  return files.sort((a, b) => a.name.localeCompare(b.name));
}

/** Uploads files under the input prefix and returns their keys. */
export async function uploadFiles(
  session: LocalSession,
  inputPrefix: string,
  files: Array<{ path: string; name: string }>,
): Promise<string[]> {
  const keys: string[] = [];
  for (const file of files) {
    const key = `${inputPrefix}${file.name}`;
    await session.put(key, await readFile(file.path));
    keys.push(key);
  }
  return keys;
}

/** Copies every object under `prefixes` to `outDir`, mirroring its key. Returns the paths. */
export async function mirrorPrefixes(
  s3: LocalS3,
  prefixes: string[],
  outDir: string,
): Promise<string[]> {
  const written: string[] = [];
  for (const prefix of prefixes) {
    let token: string | undefined;
    do {
      const page = await s3.client.send(
        new ListObjectsV2Command({ Bucket: s3.bucket, Prefix: prefix, ContinuationToken: token }),
      );
      for (const { Key } of page.Contents ?? []) {
        if (!Key) continue;
        written.push(await mirrorObject(s3, Key, outDir));
      }
      token = page.NextContinuationToken;
    } while (token);
  }
  return written;
}

/** Copies one object to `outDir/<key>`. */
export async function mirrorObject(s3: LocalS3, key: string, outDir: string): Promise<string> {
  const out = await s3.client.send(new GetObjectCommand({ Bucket: s3.bucket, Key: key }));
  const path = join(outDir, ...key.split('/'));
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, (await out.Body?.transformToByteArray()) ?? new Uint8Array());
  return path;
}
