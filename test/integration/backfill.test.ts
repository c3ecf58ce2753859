import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeOpenAi, startFakeOpenAi } from '../support/fake-openai';
import { ROOT } from '../support/fixtures';
import { poll } from '../support/poll';
import { startWatch, stopWatch, type Watch } from '../support/watch';

const BIN = resolve(ROOT, 'bin', 'article-digest.mjs');
const run = promisify(execFile);

describe('article-digest backfill against local mode, after a model change', () => {
  let dir: string;
  let llm: FakeOpenAi;
  let watch: Watch | undefined;

  const env = (model: string) => ({
    ...process.env,
    OPENAI_API_KEY: 'sk-test',
    OPENAI_BASE_URL: llm.baseURL,
    OPENAI_MODEL: model,
    DIGEST_ENGINE: '',
  });

  /** Starts `run --watch` with `model` on the kept data folder. */
  async function startWatchWith(model: string) {
    const folder = dir;
    watch = await startWatch(['--data', join(folder, 'data'), '--out', join(folder, 'out')], {
      env: env(model),
      cwd: folder,
    });
    return watch;
  }

  const digestModel = (name: string) => {
    const path = join(dir, 'out', 'digests', name);
    if (!existsSync(path)) return undefined;
    try {
      return (JSON.parse(readFileSync(path, 'utf8')) as { engine: { model: string } }).engine.model;
    } catch {
      return undefined;
    }
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'article-digest-backfill-'));
    llm = await startFakeOpenAi();
  });
  afterAll(async () => {
    await stopWatch(watch);
    await llm.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('plans, sends and re-digests what the new model has not digested, then skips it', async () => {
    const first = await startWatchWith('gpt-4.1-mini');
    const s3 = first.client;
    for (const i of [1, 2, 3]) {
      await s3.send(
        new PutObjectCommand({
          Bucket: 'article-digest-local',
          Key: `incoming/notice ${i}.txt`,
          Body: `第${i}号通知。会议要求，一是抓好春耕生产。二是做好防汛准备。`,
        }),
      );
    }
    for (const i of [1, 2, 3])
      await poll(() => (digestModel(`notice ${i}.txt.json`) === 'gpt-4.1-mini' ? true : undefined));
    await stopWatch(watch);

    const second = await startWatchWith('gpt-4.1');
    const args = ['backfill', '--local', '--port', second.port, '--queue-port', second.queuePort];
    const dry = await run(process.execPath, [BIN, ...args, '--dry-run'], {
      env: env('gpt-4.1'),
      cwd: dir,
    });
    expect(dry.stdout).toContain('Objects under s3://article-digest-local/incoming/: 3');
    expect(dry.stdout).toContain('To send: 3');
    expect(dry.stdout).toMatch(/Estimated input tokens: about \d+; estimated cost: about \$\d/);
    expect(dry.stdout).toContain('Dry run: nothing sent.');
    const requestsBefore = llm.requests.length;

    const real = await run(process.execPath, [BIN, ...args], { env: env('gpt-4.1'), cwd: dir });
    expect(real.stdout).toContain('sent 3/3');
    for (const i of [1, 2, 3])
      await poll(() => (digestModel(`notice ${i}.txt.json`) === 'gpt-4.1' ? true : undefined));
    expect(llm.requests.length - requestsBefore).toBe(3);

    const again = await run(process.execPath, [BIN, ...args, '--dry-run'], {
      env: env('gpt-4.1'),
      cwd: dir,
    });
    expect(again.stdout).toContain('To send: 0');
    expect(again.stdout).toMatch(
      /Unchanged \(same content, digest made by openai gpt-4\.1 .*\): 3/,
    );
  });
});
