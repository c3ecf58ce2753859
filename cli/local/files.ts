/** Local mode's files: inputs collected and uploaded, results mirrored back to a folder. */
import { mkdir, readdir, readFile, rmdir, stat, unlink, writeFile } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { shownPath, UsageError } from '../usage';
import type { LocalS3 } from './s3';
import type { LocalSession } from './session';

/** A file to upload and the name (key below the input prefix) it is uploaded under. */
export interface InputFile {
  path: string;
  name: string;
}

/** Whether `path` is `folder` or lies under it (both absolute). */
function within(path: string, folder: string): boolean {
  return path === folder || path.startsWith(folder.endsWith(sep) ? folder : folder + sep);
}

/**
 * The files to upload, and their names. A single folder's files are named by their path
 * relative to it; with several paths, a folder's files keep the folder's name in front
 * (`c1/report.txt`, `c2/report.txt`), and a file is named by its file name. Hidden files are
 * skipped, and so are the output folder (`outDir`) and any folder another run wrote (one holding
 * a {@link RUN_MANIFEST}) found inside an input folder: a run's results are not its inputs.
 * @throws {UsageError} when a path does not exist, when it is the output folder or lies inside
 *   it (where the previous run's files are removed), or when two files would get one name (and
 *   so one key): nothing has been uploaded then.
 */
export async function collectFiles(
  paths: string[],
  options: { outDir?: string } = {},
): Promise<InputFile[]> {
  const files: InputFile[] = [];
  const single = paths.length === 1;
  const outDir = options.outDir === undefined ? undefined : resolve(options.outDir);
  for (const p of paths) {
    const full = resolve(p);
    if (outDir !== undefined && within(full, outDir)) {
      throw new UsageError(
        full === outDir
          ? `${p} is the output folder, where results go, not inputs: pass another folder, or another --out DIR`
          : `${p} is inside the output folder ${shownPath(outDir)}, where results go, not inputs: move it out, or pass another --out DIR`,
      );
    }
    const info = await stat(full).catch((error: unknown) => {
      const code = (error as { code?: unknown }).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') {
        throw new UsageError(`no such file or folder: ${p}`);
      }
      throw error;
    });
    if (info.isDirectory()) {
      const prefix = single ? '' : `${basename(full)}/`;
      const entries = await readdir(full, { recursive: true, withFileTypes: true });
      // Output folders, wherever they are nested: this run's, and those earlier runs left.
      const outputs = entries
        .filter((e) => e.isFile() && e.name === RUN_MANIFEST)
        .map((e) => e.parentPath);
      if (outDir !== undefined) outputs.push(outDir);
      for (const e of entries) {
        if (!(e.isFile() || e.isSymbolicLink()) || e.name.startsWith('.')) continue;
        const path = join(e.parentPath, e.name);
        if (outputs.some((folder) => within(path, folder))) continue;
        // Files inside hidden folders (.git, .cache) are not documents either.
        const parts = relative(full, path).split(sep);
        if (parts.some((part) => part.startsWith('.'))) continue;
        // A link to a file is that file; links to folders are not followed (they can loop).
        if (e.isSymbolicLink() && !(await stat(path).catch(() => null))?.isFile()) continue;
        files.push({ path, name: prefix + parts.join('/') });
      }
    } else if (info.isFile()) {
      files.push({ path: full, name: basename(full) });
    } else {
      // A pipe or a device would be read until it ends, which may be never.
      throw new UsageError(`${p} is neither a file nor a folder: pass files or folders`);
    }
  }
  const byName = new Map<string, string>();
  const seen = new Set<string>();
  // A file given twice (its folder and itself) is one document under its first name, not two.
  const once = files.filter((file) => !seen.has(file.path) && seen.add(file.path));
  for (const file of once) {
    const other = byName.get(file.name);
    if (other !== undefined && other !== file.path) {
      throw new UsageError(
        `${shownPath(other)} and ${shownPath(file.path)} would both be uploaded as "${file.name}": rename one, or pass them from folders with different names`,
      );
    }
    byName.set(file.name, file.path);
  }
  const unique = [...new Map(once.map((f) => [f.name, f])).values()];
  return unique.sort((a, b) => a.name.localeCompare(b.name));
}

/**
 * Uploads files under the input prefix, a few at a time, and returns their keys in the order
 * of `files`. Each upload resolves once its notification has reached the session.
 */
export async function uploadFiles(
  session: LocalSession,
  inputPrefix: string,
  files: InputFile[],
  concurrency = 8,
): Promise<string[]> {
  const keys = files.map((file) => `${inputPrefix}${file.name}`);
  let next = 0;
  const worker = async () => {
    while (next < files.length) {
      const i = next++;
      const file = files[i];
      const key = keys[i];
      if (file === undefined || key === undefined) continue;
      await session.put(key, await readFile(file.path));
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, files.length) }, worker));
  return keys;
}

/** Copies every object under `prefixes` to `outDir`, mirroring its key. Returns the paths. */
export async function mirrorPrefixes(
  s3: LocalS3,
  prefixes: string[],
  outDir: string,
): Promise<string[]> {
  const keys: string[] = [];
  for (const prefix of prefixes) {
    let token: string | undefined;
    do {
      const page = await s3.client.send(
        new ListObjectsV2Command({ Bucket: s3.bucket, Prefix: prefix, ContinuationToken: token }),
      );
      for (const { Key } of page.Contents ?? []) if (Key) keys.push(Key);
      token = page.NextContinuationToken;
    } while (token);
  }
  const written: string[] = [];
  let next = 0;
  const worker = async () => {
    while (next < keys.length) {
      const key = keys[next++];
      if (key !== undefined) written.push(await mirrorObject(s3, key, outDir));
    }
  };
  await Promise.all(Array.from({ length: Math.min(8, keys.length) }, worker));
  return written.sort();
}

/** Copies one object to `outDir/<key>`. */
export async function mirrorObject(s3: LocalS3, key: string, outDir: string): Promise<string> {
  const out = await s3.client.send(new GetObjectCommand({ Bucket: s3.bucket, Key: key }));
  const path = join(outDir, ...key.split('/'));
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, (await out.Body?.transformToByteArray()) ?? new Uint8Array());
  return path;
}

/**
 * The list of files a run wrote into its output folder, kept in the folder so that the next run
 * can remove them (and only them) before writing its own.
 */
export const RUN_MANIFEST = '.article-digest-run.json';

/**
 * Removes the files the previous run listed in `outDir`'s manifest, and the folders that are
 * left empty by it. Files that no run wrote (put there by hand, or by an older version without
 * a manifest) stay. Returns how many files were removed.
 */
export async function clearPreviousRun(outDir: string): Promise<number> {
  let listed: unknown;
  try {
    listed = JSON.parse(await readFile(join(outDir, RUN_MANIFEST), 'utf8'));
  } catch {
    return 0;
  }
  const files = (listed as { files?: unknown }).files;
  if (!Array.isArray(files)) return 0;
  const root = resolve(outDir);
  let removed = 0;
  const folders = new Set<string>();
  for (const file of files) {
    if (typeof file !== 'string') continue;
    const path = resolve(root, file);
    // A manifest edited to point outside the folder must not delete anything there.
    if (!path.startsWith(root + sep)) continue;
    try {
      await unlink(path);
      removed++;
    } catch {
      // Already gone.
    }
    for (let dir = dirname(path); dir.startsWith(root + sep); dir = dirname(dir)) folders.add(dir);
  }
  // Deepest first, so that a parent is empty by the time its turn comes.
  for (const dir of [...folders].sort((a, b) => b.length - a.length)) {
    await rmdir(dir).catch(() => {});
  }
  await unlink(join(root, RUN_MANIFEST)).catch(() => {});
  return removed;
}

/** Writes the manifest of the files this run wrote (paths absolute or relative to `outDir`). */
export async function writeRunManifest(outDir: string, files: Iterable<string>): Promise<void> {
  const root = resolve(outDir);
  const listed = [...new Set([...files].map((f) => relative(root, resolve(root, f))))].sort();
  await mkdir(root, { recursive: true });
  await writeFile(join(root, RUN_MANIFEST), `${JSON.stringify({ files: listed }, null, 2)}\n`);
}
