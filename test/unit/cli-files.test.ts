import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  clearPreviousRun,
  collectFiles,
  RUN_MANIFEST,
  writeRunManifest,
} from '../../cli/local/files';
import { UsageError } from '../../cli/usage';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'article-digest-files-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

async function put(path: string, text = 'x') {
  await mkdir(join(dir, path, '..'), { recursive: true });
  await writeFile(join(dir, path), text);
}

describe('collectFiles', () => {
  it('names a single folder’s files by their path inside it, skipping hidden ones', async () => {
    await put('in/a.txt');
    await put('in/sub/b.txt');
    await put('in/.hidden.txt');
    await put('in/.git/config');
    const files = await collectFiles([join(dir, 'in')]);
    expect(files.map((f) => f.name)).toEqual(['a.txt', 'sub/b.txt']);
  });

  it('keeps each folder’s name in front when several paths are given', async () => {
    await put('c1/report.txt');
    await put('c2/report.txt');
    await put('note.txt');
    const files = await collectFiles([join(dir, 'c1'), join(dir, 'c2'), join(dir, 'note.txt')]);
    expect(files.map((f) => f.name)).toEqual(['c1/report.txt', 'c2/report.txt', 'note.txt']);
  });

  it('takes a file given twice, by its folder and by itself, once under its first name', async () => {
    await put('c1/a.txt');
    await put('c1/b.txt');
    const files = await collectFiles([join(dir, 'c1'), join(dir, 'c1', 'a.txt'), join(dir, 'c1')]);
    expect(files.map((f) => f.name)).toEqual(['c1/a.txt', 'c1/b.txt']);
  });

  it('takes a link to a file as that file, and does not follow links to folders', async () => {
    // Linked files were skipped without a word.
    await put('elsewhere/linked.txt');
    await put('in/a.txt');
    await symlink(join(dir, 'elsewhere', 'linked.txt'), join(dir, 'in', 'linked.txt'));
    await symlink(join(dir, 'elsewhere'), join(dir, 'in', 'folder-link'));
    await symlink(join(dir, 'nowhere.txt'), join(dir, 'in', 'broken.txt'));
    const files = await collectFiles([join(dir, 'in')]);
    expect(files.map((f) => f.name)).toEqual(['a.txt', 'linked.txt']);
  });

  it('refuses a path that is neither a file nor a folder, which could be read forever', async () => {
    const fifo = join(dir, 'pipe');
    await promisify(execFile)('mkfifo', [fifo]);
    await expect(collectFiles([fifo])).rejects.toThrow(
      new UsageError(`${fifo} is neither a file nor a folder: pass files or folders`),
    );
  });

  it('refuses two files that would get one name', async () => {
    await put('a/report.txt');
    await put('b/report.txt');
    const both = collectFiles([join(dir, 'a', 'report.txt'), join(dir, 'b', 'report.txt')]);
    await expect(both).rejects.toBeInstanceOf(UsageError);
    await expect(both).rejects.toThrow(/would both be uploaded as "report\.txt"/);
  });

  it('leaves out the output folder when it sits inside an input folder, at any depth', async () => {
    await put('docs/a.txt');
    await put('docs/out/incoming/a.txt');
    await put('docs/out/digests/a.txt.json');
    await put('docs/sub/deeper/out/digests/b.txt.json');
    await put('docs/sub/deeper/b.txt');
    const top = await collectFiles([join(dir, 'docs')], { outDir: join(dir, 'docs', 'out') });
    expect(top.map((f) => f.name)).toEqual([
      'a.txt',
      'sub/deeper/b.txt',
      'sub/deeper/out/digests/b.txt.json',
    ]);
    const deep = await collectFiles([join(dir, 'docs')], {
      outDir: join(dir, 'docs', 'sub', 'deeper', 'out'),
    });
    expect(deep.map((f) => f.name)).toEqual([
      'a.txt',
      'out/digests/a.txt.json',
      'out/incoming/a.txt',
      'sub/deeper/b.txt',
    ]);
  });

  it('leaves out the folders other runs wrote, which hold a run manifest', async () => {
    await put('docs/a.txt');
    await put('docs/old-out/digests/a.txt.json');
    await writeRunManifest(join(dir, 'docs', 'old-out'), ['digests/a.txt.json']);
    const files = await collectFiles([join(dir, 'docs')], { outDir: join(dir, 'out') });
    expect(files.map((f) => f.name)).toEqual(['a.txt']);
  });

  it('refuses an input that is the output folder or inside it', async () => {
    await put('out/incoming/a.txt');
    const outDir = join(dir, 'out');
    await expect(collectFiles([outDir], { outDir })).rejects.toThrow(
      /is the output folder, where results go, not inputs: pass another folder, or another --out DIR/,
    );
    await expect(collectFiles([join(outDir, 'incoming', 'a.txt')], { outDir })).rejects.toThrow(
      /is inside the output folder .*out, where results go, not inputs: move it out, or pass another --out DIR/,
    );
  });

  it('names a missing path in a usage error', async () => {
    await expect(collectFiles([join(dir, 'nope')])).rejects.toThrow(
      new UsageError(`no such file or folder: ${join(dir, 'nope')}`),
    );
  });
});

describe('clearPreviousRun', () => {
  it('removes the files the last run listed and the folders it left empty, nothing else', async () => {
    const out = join(dir, 'out');
    await put('out/digests/sub/a.txt.json');
    await put('out/incoming/sub/a.txt');
    await put('out/incoming/mine.txt');
    await writeRunManifest(out, [
      join(out, 'digests/sub/a.txt.json'),
      join(out, 'incoming/sub/a.txt'),
      '../outside.txt',
    ]);
    await put('outside.txt');
    expect(await clearPreviousRun(out)).toBe(2);
    expect(existsSync(join(out, 'digests'))).toBe(false);
    expect(existsSync(join(out, 'incoming', 'sub'))).toBe(false);
    expect(await readFile(join(out, 'incoming', 'mine.txt'), 'utf8')).toBe('x');
    expect(existsSync(join(dir, 'outside.txt'))).toBe(true);
    expect(existsSync(join(out, RUN_MANIFEST))).toBe(false);
  });

  it('does nothing without a manifest', async () => {
    await put('out/digests/a.json');
    expect(await clearPreviousRun(join(dir, 'out'))).toBe(0);
    expect(existsSync(join(dir, 'out', 'digests', 'a.json'))).toBe(true);
  });
});
