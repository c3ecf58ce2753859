/**
 * The objects of local mode's S3 server: one bucket held in memory, optionally written through to
 * a folder so that `article-digest run --watch` keeps its bucket across restarts.
 *
 * On disk each object is two files named by the SHA-256 of its key: `<hash>.body` (the bytes) and
 * `<hash>.json` (key and metadata). Hashed names hold any key S3 allows (1,024 bytes, any
 * Unicode), where a file name has at most 255 bytes.
 */
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** An object as S3 keeps it. */
export interface StoredObject {
  body: Buffer;
  /** Quoted, as S3 sends it: `"<md5 hex>"`, or `"<md5 of the parts' md5s>-<parts>"`. */
  etag: string;
  /** Milliseconds since the epoch, whole seconds (S3's Last-Modified has no finer precision). */
  lastModified: number;
  /** Content-Type and the other stored headers (Content-Encoding, x-amz-meta-*…), lower case. */
  headers: Record<string, string>;
}

/** The persisted form of an object's metadata. */
interface MetadataFile {
  key: string;
  etag: string;
  lastModified: number;
  headers: Record<string, string>;
}

/** Orders keys as S3 lists them: by the bytes of their UTF-8, which is code point order. */
export function compareKeys(a: string, b: string): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    // UTF-16 puts surrogates (characters past U+FFFF) before U+E000-U+FFFF; UTF-8 after.
    if (x >= 0xd800 && y >= 0xd800) return surrogateLast(x) - surrogateLast(y);
    return x - y;
  }
  return a.length - b.length;
}

const surrogateLast = (unit: number) => (unit >= 0xe000 ? unit - 0x800 : unit + 0x2000);

export class Bucket {
  private readonly objects = new Map<string, StoredObject>();
  /** The keys in listing order, rebuilt after a key is added or removed. */
  private sorted: string[] | null = null;
  /** Per key, the last disk write: writes of one key reach the disk in the order they were made. */
  private readonly writes = new Map<string, Promise<void>>();

  private constructor(
    readonly name: string,
    private readonly folder: string | null,
  ) {}

  /**
   * A bucket in memory; with `directory`, written through to `<directory>/<name>/` and loaded
   * from there first.
   * @throws a file-system error when the folder cannot be created or read.
   */
  static async open(name: string, directory?: string): Promise<Bucket> {
    const folder = directory ? join(directory, name) : null;
    const bucket = new Bucket(name, folder);
    if (folder) {
      await mkdir(folder, { recursive: true });
      for (const file of await readdir(folder)) {
        if (!file.endsWith('.json')) continue;
        const stem = file.slice(0, -'.json'.length);
        try {
          const meta = JSON.parse(await readFile(join(folder, file), 'utf8')) as MetadataFile;
          const body = await readFile(join(folder, `${stem}.body`));
          bucket.objects.set(meta.key, {
            body,
            etag: meta.etag,
            lastModified: meta.lastModified,
            headers: meta.headers,
          });
        } catch {
          // A pair cut short by a crash mid-write: the object was never answered as stored.
        }
      }
    }
    return bucket;
  }

  get(key: string): StoredObject | undefined {
    return this.objects.get(key);
  }

  /** Stores an object; resolves once it is on disk too, when the bucket has a folder. */
  put(key: string, object: StoredObject): Promise<void> {
    if (!this.objects.has(key)) this.sorted = null;
    this.objects.set(key, object);
    return this.persist(key, async (folder, stem) => {
      const meta: MetadataFile = {
        key,
        etag: object.etag,
        lastModified: object.lastModified,
        headers: object.headers,
      };
      // Written aside and renamed, so that a crash leaves the previous version or the new one.
      await writeFile(join(folder, `${stem}.body.tmp`), object.body);
      await writeFile(join(folder, `${stem}.json.tmp`), JSON.stringify(meta));
      await rename(join(folder, `${stem}.body.tmp`), join(folder, `${stem}.body`));
      await rename(join(folder, `${stem}.json.tmp`), join(folder, `${stem}.json`));
    });
  }

  /** Removes an object (none is no error); resolves once it is off the disk too. */
  delete(key: string): Promise<void> {
    if (!this.objects.delete(key)) return Promise.resolve();
    this.sorted = null;
    return this.persist(key, async (folder, stem) => {
      await rm(join(folder, `${stem}.json`), { force: true });
      await rm(join(folder, `${stem}.body`), { force: true });
    });
  }

  /** Every key, in listing order. */
  keys(): readonly string[] {
    this.sorted ??= [...this.objects.keys()].sort(compareKeys);
    return this.sorted;
  }

  private persist(
    key: string,
    write: (folder: string, stem: string) => Promise<void>,
  ): Promise<void> {
    const { folder } = this;
    if (!folder) return Promise.resolve();
    const stem = createHash('sha256').update(key).digest('hex');
    const done = (this.writes.get(key) ?? Promise.resolve()).then(() => write(folder, stem));
    const tail = done.catch(() => {});
    this.writes.set(key, tail);
    void tail.then(() => {
      if (this.writes.get(key) === tail) this.writes.delete(key);
    });
    return done;
  }
}
