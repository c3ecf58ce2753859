import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RUN_MANIFEST } from '../../cli/local/files';
import type { Digest } from '../../shared/contract';
import { ROOT } from '../support/fixtures';
import { poll } from '../support/poll';
import { startWatch, stopWatch, type Watch } from '../support/watch';

const BIN = resolve(ROOT, 'bin', 'article-digest.mjs');
const MEMO = resolve(ROOT, 'test', 'fixtures', 'read', 'memo.docx');
const run = promisify(execFile);
const env: NodeJS.ProcessEnv = { ...process.env, OPENAI_API_KEY: '', DIGEST_ENGINE: '' };

/**
 * Local mode's out/ holds the text read out of a PDF or Word file next to its digest, under the
 * prefix the configuration names, so that the review page and a reader can check its offsets.
 */
describe('local mode mirroring of kept text', () => {
  let dir: string;
  let watch: Watch | undefined;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'article-digest-kept-'));
  });
  afterEach(async () => {
    await stopWatch(watch);
    watch = undefined;
    await rm(dir, { recursive: true, force: true });
  });

  it('mirrors a Word file’s kept text under TEXT_PREFIX and links it from the review page', async () => {
    const input = join(dir, 'in');
    await mkdir(input);
    await copyFile(MEMO, join(input, 'memo.docx'));
    const out = join(dir, 'out');
    await run(process.execPath, [BIN, 'run', input, '--out', out], {
      env: { ...env, TEXT_PREFIX: 'kept/' },
      cwd: dir,
    });
    const digest = JSON.parse(
      await readFile(join(out, 'digests', 'memo.docx.json'), 'utf8'),
    ) as Digest;
    expect(digest.source.textKey).toBe('kept/memo.docx.txt');
    const kept = await readFile(join(out, 'kept', 'memo.docx.txt'), 'utf8');
    const task = digest.articles[0]?.tasks[0];
    if (!task) throw new Error('the memo has no task');
    expect(Array.from(kept).slice(task.evidence.start, task.evidence.end).join('')).toBe(
      task.evidence.quote,
    );
    expect(await readFile(join(out, 'review.html'), 'utf8')).toContain(
      '"text":"kept/memo.docx.txt"',
    );
    // Listed in the run's manifest, so that the next run removes it with the rest.
    const manifest = JSON.parse(await readFile(join(out, RUN_MANIFEST), 'utf8')) as {
      files: string[];
    };
    expect(manifest.files).toContain('kept/memo.docx.txt');
  });

  it('mirrors the kept text of a Word file dropped while watching', async () => {
    const out = join(dir, 'out');
    watch = await startWatch(['--out', out], { env, cwd: dir });
    await watch.client.send(
      new PutObjectCommand({
        Bucket: 'article-digest-local',
        Key: 'incoming/memo.docx',
        Body: await readFile(MEMO),
      }),
    );
    const keptPath = join(out, 'texts', 'memo.docx.txt');
    await poll(() => existsSync(keptPath) || undefined);
    const review = await poll(async () => {
      const page = await readFile(join(out, 'review.html'), 'utf8');
      return page.includes('"text":"texts/memo.docx.txt"') ? page : undefined;
    });
    expect(review).toContain('incoming/memo.docx');
  });
});
