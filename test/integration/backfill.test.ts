import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_CREDENTIALS } from '../../cli/local/s3';
import { createS3Client } from '../../cli/s3-client';
import { type FakeOpenAi, startFakeOpenAi } from '../support/fake-openai';
import { ROOT } from '../support/fixtures';
import { poll } from '../support/poll';

const BIN = resolve(ROOT, 'bin', 'article-digest.mjs');
const run = promisify(execFile);

describe('article-digest backfill against local mode, after a model change', () => {
  let dir: string;
  let llm: FakeOpenAi;
  let watch: ChildProcess | undefined;

  const env = (model: string) => ({
    ...process.env,
    OPENAI_API_KEY: 'sk-test',
    OPENAI_BASE_URL: llm.baseURL,
    OPENAI_MODEL: model,
    DIGEST_ENGINE: '',
  });

  /** Starts `run --watch` on the kept data folder; returns its S3 and queue ports. */
  async function startWatch(model: string) {
    const child = spawn(
      process.execPath,
      [
        BIN,
        'run',
        '--watch',
        '--port',
        '0',
        '--queue-port',
        '0',
        '--data',
        join(dir, 'data'),
        '--out',
        join(dir, 'out'),
      ],
      { env: env(model), cwd: dir },
    );
    watch = child;
    let stdout = '';
    child.stdout?.on('data', (chunk) => {
      stdout += String(chunk);
    });
    const ports = await poll(() => {
      const s3 = /Local S3 server: http:\/\/127\.0\.0\.1:(\d+)/.exec(stdout)?.[1];
      const queue = /Queue \(for backfill\): http:\/\/127\.0\.0\.1:(\d+)/.exec(stdout)?.[1];
      return s3 && queue ? { s3, queue } : undefined;
    });
    return ports;
  }

  async function stopWatch() {
    const child = watch;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGINT');
    await exited;
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
    await stopWatch();
    await llm.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('plans, sends and re-digests what the new model has not digested, then skips it', async () => {
    const first = await startWatch('gpt-4.1-mini');
    const s3 = createS3Client({
      region: 'us-east-1',
      endpoint: `http://127.0.0.1:${first.s3}`,
      credentials: LOCAL_CREDENTIALS,
    });
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
    await stopWatch();

    const second = await startWatch('gpt-4.1');
    const args = ['backfill', '--local', '--port', second.s3, '--queue-port', second.queue];
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
