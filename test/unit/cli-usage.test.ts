import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { prepareFolder, UsageError } from '../../cli/usage';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'article-digest-usage-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

describe('prepareFolder', () => {
  it('creates a missing folder and its missing parents', async () => {
    await prepareFolder(join(dir, 'a', 'b', 'out'), '--out a/b/out');
    expect(existsSync(join(dir, 'a', 'b', 'out'))).toBe(true);
  });

  it('accepts a folder that is already there', async () => {
    await mkdir(join(dir, 'out'));
    await expect(prepareFolder(join(dir, 'out'), '--out out')).resolves.toBeUndefined();
  });

  it('refuses a regular file in place of the folder, or of one of its parents', async () => {
    await writeFile(join(dir, 'afile'), 'x');
    const itself = prepareFolder(join(dir, 'afile'), '--out afile');
    await expect(itself).rejects.toBeInstanceOf(UsageError);
    await expect(itself).rejects.toThrow(
      /^--out afile: .*afile is a file, not a folder: pass a folder you can write to \(it is created if missing\)$/,
    );
    await expect(prepareFolder(join(dir, 'afile', 'sub'), '--out afile/sub')).rejects.toThrow(
      /^--out afile\/sub: .*afile is a file, not a folder/,
    );
  });

  it('refuses a folder that cannot be created, and settles', async () => {
    // Node's recursive mkdir never settles here; each folder is made on its own instead.
    await expect(
      prepareFolder('/proc/article-digest/out', '--out /proc/article-digest/out'),
    ).rejects.toThrow(
      /^--out \/proc\/article-digest\/out: cannot create .*proc\/article-digest \(ENOENT\)/,
    );
  });
});
