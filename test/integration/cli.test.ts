import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LOCAL_CREDENTIALS } from '../../cli/local/s3';
import { createS3Client } from '../../cli/s3-client';
import { startFakeOpenAi } from '../support/fake-openai';
import { ROOT, SAMPLE_000, sampleBytes } from '../support/fixtures';
import { poll } from '../support/poll';

const BIN = resolve(ROOT, 'bin', 'article-digest.mjs');
const run = promisify(execFile);
/** The CLI as a user runs it, without an API key from the developer's shell. */
const env = { ...process.env, OPENAI_API_KEY: '', DIGEST_ENGINE: '' };

describe('article-digest run', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'article-digest-cli-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('digests the files of a folder and prints a table, mirroring S3 keys under --out', async () => {
    const input = join(dir, 'in');
    await run('mkdir', ['-p', join(input, 'sub')]);
    await writeFile(join(input, SAMPLE_000), sampleBytes(SAMPLE_000));
    await writeFile(
      join(input, 'sub', 'report.png'),
      Buffer.from([0x89, 0x50, 0x4e, 0x47, 1, 2, 3]),
    );
    const out = join(dir, 'out');
    const { stdout } = await run(process.execPath, [BIN, 'run', input, '--out', out], {
      env,
      cwd: dir,
    });
    expect(stdout).toMatch(/incoming\/000_ec775d6fbf83bfac\.txt\s+digest\s+2\s+8\s+extractive/);
    expect(stdout).toMatch(/incoming\/sub\/report\.png\s+error: binary_input/);
    expect(existsSync(join(out, 'digests', `${SAMPLE_000}.json`))).toBe(true);
    expect(existsSync(join(out, 'errors', 'sub', 'report.png.json'))).toBe(true);
  });

  it('uses the LLM engine of OPENAI_BASE_URL when OPENAI_API_KEY is set', async () => {
    const llm = await startFakeOpenAi();
    try {
      const input = join(dir, 'note.txt');
      await writeFile(input, '会议要求：一是抓好春耕生产。二是做好防汛准备。');
      const out = join(dir, 'out');
      const { stdout } = await run(process.execPath, [BIN, 'run', input, '--out', out], {
        env: { ...env, OPENAI_API_KEY: 'sk-test', OPENAI_BASE_URL: llm.baseURL },
        cwd: dir,
      });
      expect(stdout).toMatch(
        /with the openai engine \(gpt-4\.1-mini at http:\/\/127\.0\.0\.1:\d+\/v1\)/,
      );
      expect(stdout).toMatch(/incoming\/note\.txt\s+digest\s+1\s+2\s+openai/);
      expect(llm.requests).toHaveLength(1);
      const digest = JSON.parse(await readFile(join(out, 'digests', 'note.txt.json'), 'utf8'));
      expect(digest.usage.llmCalls).toBe(1);
    } finally {
      await llm.close();
    }
  });

  it('exits with a readable message naming a bad variable', async () => {
    const failed = await run(process.execPath, [BIN, 'run'], {
      env: { ...env, INPUT_PREFIX: 'no-slash' },
      cwd: dir,
    }).catch((error: { code: number; stderr: string }) => error);
    expect(failed).toMatchObject({ code: 2 });
    expect((failed as { stderr: string }).stderr).toMatch(/INPUT_PREFIX/);
  });

  describe('--watch', () => {
    let child: ChildProcess | undefined;
    afterEach(() => {
      child?.kill('SIGINT');
    });

    it('digests a file dropped with any S3 client, Chinese name with a space included', async () => {
      const out = join(dir, 'out');
      child = spawn(process.execPath, [BIN, 'run', '--watch', '--port', '0', '--out', out], {
        env,
        cwd: dir,
      });
      let stdout = '';
      child.stdout?.on('data', (chunk) => {
        stdout += String(chunk);
      });
      const endpoint = await poll(
        () => /Local S3 server: (http:\/\/127\.0\.0\.1:\d+)/.exec(stdout)?.[1],
      );
      const client = createS3Client({
        region: 'us-east-1',
        endpoint,
        credentials: LOCAL_CREDENTIALS,
      });
      await client.send(
        new PutObjectCommand({
          Bucket: 'article-digest-local',
          Key: 'incoming/会议 纪要.txt',
          Body: '会议要求：一是抓好春耕生产。二是做好防汛准备。',
        }),
      );
      const digestPath = join(out, 'digests', '会议 纪要.txt.json');
      await poll(() => existsSync(digestPath) || undefined);
      const digest = JSON.parse(
        await poll(async () => (await readFile(digestPath, 'utf8')) || undefined),
      );
      expect(digest.source.key).toBe('incoming/会议 纪要.txt');
      expect(digest.articles[0].tasks.map((t: { task: string }) => t.task)).toEqual([
        '抓好春耕生产',
        '做好防汛准备',
      ]);
    });
  });
});
