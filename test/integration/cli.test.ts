import { execFile, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { followSchema, startFakeOpenAi } from '../support/fake-openai';
import { ROOT, SAMPLE_000, sampleBytes } from '../support/fixtures';
import { poll } from '../support/poll';
import { startWatch, stopWatch, type Watch } from '../support/watch';

const BIN = resolve(ROOT, 'bin', 'article-digest.mjs');
const run = promisify(execFile);
/** The CLI as a user runs it, without an API key from the developer's shell. */
const env: NodeJS.ProcessEnv = { ...process.env, OPENAI_API_KEY: '', DIGEST_ENGINE: '' };
// Unset, so that the tests see whether the CLI silences the SDK's Node version notice itself.
delete env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED;

/** A port nothing listens on (handed out by the system, then released). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/** Runs the CLI to its end, whatever its exit code. */
async function cli(
  args: string[],
  cwd: string,
  extraEnv: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [BIN, ...args], {
      env: { ...env, ...extraEnv },
      cwd,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: unknown; stdout?: string; stderr?: string };
    if (typeof failed.code !== 'number') throw error;
    return { code: failed.code, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}

/** The folders and files the user-mistake cases point at. */
async function mistakeFixtures(dir: string): Promise<void> {
  await mkdir(join(dir, 'c1'));
  await writeFile(join(dir, 'c1', 'a.txt'), '一是抓好春耕生产。');
  await writeFile(join(dir, 'afile'), 'not a folder');
  await mkdir(join(dir, 'empty', '.git'), { recursive: true });
  await writeFile(join(dir, 'empty', '.git', 'config'), '[core]');
}

/** Runs each case (a few CLIs at a time) and expects exit code 2, no stdout and one line. */
async function expectMistakes(dir: string, cases: Array<[string[], RegExp]>): Promise<void> {
  for (let i = 0; i < cases.length; i += 4) {
    const batch = cases.slice(i, i + 4);
    const results = await Promise.all(batch.map(([args]) => cli(args, dir)));
    results.forEach(({ code, stdout, stderr }, j) => {
      const [args, message] = batch[j] ?? [[], /$/];
      expect({ args, code, stdout }).toEqual({ args, code: 2, stdout: '' });
      const lines = stderr.trim().split('\n');
      expect(lines, args.join(' ')).toHaveLength(1);
      expect(lines[0]).toMatch(message);
    });
  }
}

describe('article-digest run', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'article-digest-cli-'));
  });

  it('reads the paths given to npm start from the folder npm was started in, and writes out/ there', async () => {
    await mkdir(join(dir, 'docs'));
    await writeFile(join(dir, 'docs', 'memo.txt'), 'Tom will send the report by Friday.\n');
    // npm runs the start script in the package's folder, with the user's folder in INIT_CWD.
    const { code, stdout } = await cli(['run', join('docs', 'memo.txt')], ROOT, {
      npm_lifecycle_event: 'start',
      INIT_CWD: dir,
    });
    expect(code).toBe(0);
    expect(stdout).toContain('incoming/memo.txt');
    expect(existsSync(join(dir, 'out', 'digests', 'memo.txt.json'))).toBe(true);
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
    const { stdout, code } = await cli(['run', input, '--out', out], dir);
    // A document ended in an error record: the run says so in its exit code.
    expect(code).toBe(1);
    expect(stdout).toMatch(/incoming\/000_ec775d6fbf83bfac\.txt\s+digest\s+2\s+8\s+extractive/);
    // Its code is the readers' business (binary_input, or needs_ocr once images are sniffed).
    expect(stdout).toMatch(/incoming\/sub\/report\.png\s+error: [a-z_]+\s/);
    expect(existsSync(join(out, 'digests', `${SAMPLE_000}.json`))).toBe(true);
    expect(existsSync(join(out, 'errors', 'sub', 'report.png.json'))).toBe(true);
    // Progress as plain lines (stdout is no terminal here), then the totals.
    expect(stdout).toMatch(/^progress: 2\/2 done, 1 error, \d+\.\d s$/m);
    expect(stdout).toMatch(
      /^Totals: 2 documents in \d+\.\d s: 1 digested, 0 unchanged, 1 error; 8 tasks\.$/m,
    );
  });

  it('keeps files of the same name in two folders apart, under each folder name', async () => {
    // The reproduction: c1/report.txt and c2/report.txt became one key, one digest was lost.
    for (const [folder, text] of [
      ['c1', '会议要求：一是抓好春耕生产。二是做好防汛准备。'],
      ['c2', '会议要求：一是由市交通局牵头，年底前完成道路改造。二是完善考核办法。'],
    ] as const) {
      await mkdir(join(dir, folder));
      await writeFile(join(dir, folder, 'report.txt'), text);
    }
    const { code, stdout } = await cli(['run', 'c1', 'c2', '--out', 'out'], dir);
    expect(code).toBe(0);
    expect(stdout).toMatch(/incoming\/c1\/report\.txt\s+digest\s+1\s+2/);
    expect(stdout).toMatch(/incoming\/c2\/report\.txt\s+digest\s+1\s+2/);
    expect(stdout).not.toMatch(/unchanged\s+1/);
    const digest = (folder: string) =>
      JSON.parse(readFileSync(join(dir, 'out', 'digests', folder, 'report.txt.json'), 'utf8'));
    expect(digest('c1').articles[0].tasks[0].task).toBe('抓好春耕生产');
    expect(digest('c2').articles[0].tasks[1].task).toBe('完善考核办法');
  });

  it('refuses two inputs that would share one key before uploading anything', async () => {
    await mkdir(join(dir, 'a', 'c1'), { recursive: true });
    await mkdir(join(dir, 'b', 'c1'), { recursive: true });
    await writeFile(join(dir, 'a', 'c1', 'report.txt'), '一是抓好春耕生产。');
    await writeFile(join(dir, 'b', 'c1', 'report.txt'), '二是做好防汛准备。');
    const { code, stdout, stderr } = await cli(['run', 'a/c1', 'b/c1', '--out', 'out'], dir);
    expect(code).toBe(2);
    expect(stderr.trim().split('\n')).toEqual([
      'article-digest run: a/c1/report.txt and b/c1/report.txt would both be uploaded as "c1/report.txt": rename one, or pass them from folders with different names',
    ]);
    expect(stdout).not.toContain('Digesting');
    expect(existsSync(join(dir, 'out'))).toBe(false);
  });

  it("shows only this run's documents: the previous run's files in --out are removed", async () => {
    await writeFile(join(dir, 'first.txt'), '会议要求：一是抓好春耕生产。');
    await writeFile(join(dir, 'second.txt'), '会议要求：二是做好防汛准备。');
    await writeFile(join(dir, 'notes.md'), 'mine');
    await mkdir(join(dir, 'out'));
    await writeFile(join(dir, 'out', 'notes.md'), 'mine');
    expect((await cli(['run', 'first.txt', '--out', 'out'], dir)).code).toBe(0);
    expect(existsSync(join(dir, 'out', 'digests', 'first.txt.json'))).toBe(true);
    const { stdout } = await cli(['run', 'second.txt', '--out', 'out'], dir);
    expect(stdout).not.toContain('first.txt');
    expect(existsSync(join(dir, 'out', 'digests', 'first.txt.json'))).toBe(false);
    expect(existsSync(join(dir, 'out', 'incoming', 'first.txt'))).toBe(false);
    expect(existsSync(join(dir, 'out', 'digests', 'second.txt.json'))).toBe(true);
    // A file the runs did not write stays.
    expect(readFileSync(join(dir, 'out', 'notes.md'), 'utf8')).toBe('mine');
    const page = readFileSync(join(dir, 'out', 'review.html'), 'utf8');
    expect(page).toContain('incoming/second.txt');
    expect(page).not.toContain('incoming/first.txt');
  });

  it('digests a folder run after run when the output folder is inside it', async () => {
    // The reproduction: `cd docs && article-digest run .` twice; the second run took its own
    // outputs for inputs, removed them, then crashed reading one of them.
    const docs = join(dir, 'docs');
    await mkdir(docs);
    await writeFile(join(docs, 'cafe.txt'), '会议要求：一是抓好春耕生产。二是做好防汛准备。');
    await writeFile(join(docs, 'notes.txt'), '会议要求：三是完善考核办法。');
    for (let i = 0; i < 3; i++) {
      const { code, stdout, stderr } = await cli(['run', '.'], docs);
      expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
      expect(stdout).toMatch(/^Digesting 2 files with /m);
      expect(stdout).not.toContain('incoming/out/');
      expect(existsSync(join(docs, 'out', 'digests', 'cafe.txt.json'))).toBe(true);
    }
  });

  it('prints no AWS SDK notice about Node versions', async () => {
    await writeFile(join(dir, 'a.txt'), '一是抓好春耕生产。');
    const { code, stderr } = await cli(['run', 'a.txt', '--out', 'out'], dir);
    expect(code).toBe(0);
    expect(stderr).toBe('');
  });

  it('answers each mistake in a run with one line naming the fix and exit code 2, before any work', async () => {
    await mistakeFixtures(dir);
    await expectMistakes(dir, [
      // Told before any work: these once digested first, then ended in an ENOTDIR stack trace.
      [
        ['run', 'c1', '--out', 'afile'],
        /^article-digest run: --out afile: afile is a file, not a folder: pass a folder you can write to \(it is created if missing\)$/,
      ],
      [
        ['run', 'c1', '--out', 'afile/sub'],
        /^article-digest run: --out afile\/sub: afile is a file/,
      ],
      // Nothing to digest was exit code 1, the code of a document that ended in an error record.
      [
        ['run', 'empty'],
        /^article-digest run: no files to digest in empty \(hidden files and output folders are skipped\): pass files, or folders that hold some$/,
      ],
      [['run', '--watch', '--data', 'afile'], /^article-digest run: --data afile: afile is a file/],
      [['run', 'missing.txt'], /^article-digest run: no such file or folder: missing\.txt$/],
      [
        ['run', '--bogus'],
        /^article-digest run: unknown option --bogus; see "article-digest run --help"$/,
      ],
      [
        ['run', 'c1', '--out'],
        /^article-digest run: --out needs a value; see "article-digest run --help"$/,
      ],
      // An empty value (an unset shell variable) meant the working folder.
      [
        ['run', 'c1', '--out', ''],
        /^article-digest run: --out needs a value; see "article-digest run --help"$/,
      ],
      [
        ['run', '--watch', '--port', 'x'],
        /^article-digest run: --port must be a port number from 0 to 65535, not "x"$/,
      ],
      // Options that work with another one were ignored without it, without a word.
      [
        ['run', 'c1', '--port', '5000'],
        /^article-digest run: --port only applies with --watch: add --watch, or leave --port out$/,
      ],
    ]);
    expect(existsSync(join(dir, 'out'))).toBe(false);
  });

  it('answers each mistake in a review with one line naming the fix and exit code 2, writing nothing', async () => {
    await mistakeFixtures(dir);
    await expectMistakes(dir, [
      [
        ['review', '--bucket', 'b', '--port', '4568'],
        /^article-digest review: --port only applies with --local: add --local, or leave --port out$/,
      ],
      [
        ['review', '--from', 'nowhere'],
        /^article-digest review: no folder .*nowhere: digest something first \("article-digest run"\), or pass --from DIR/,
      ],
      // A folder of inputs, not a run's output: this wrote an empty page and exited 0.
      [
        ['review', '--from', 'c1'],
        /^article-digest review: no digests or error records in c1: --from expects a folder "article-digest run" wrote \(records under digests\/ and errors\/\), such as out$/,
      ],
      // These ended in ENOTDIR and EISDIR stack traces.
      [
        ['review', '--from', 'c1', '--out', 'afile/review.html'],
        /^article-digest review: --out afile\/review\.html: afile is a file, not a folder: pass a folder you can write to/,
      ],
      [
        ['review', '--from', 'c1', '--out', 'c1'],
        /^article-digest review: --out c1 is a folder: pass a file name, such as c1\/review\.html$/,
      ],
      [
        ['review', '--bogus'],
        /^article-digest review: unknown option --bogus; see "article-digest review --help"$/,
      ],
    ]);
    expect(existsSync(join(dir, 'c1', 'review.html'))).toBe(false);
  });

  it('answers each mistake in a backfill, in help and in a command name with one line and exit code 2', async () => {
    await mistakeFixtures(dir);
    await expectMistakes(dir, [
      [
        ['backfill', '--bucket', 'b', '--queue-url', 'http://q', '--poll-seconds', '5'],
        /^article-digest backfill: --poll-seconds only applies with --batch: add --batch, or leave --poll-seconds out$/,
      ],
      [
        ['backfill', '--bogus'],
        /^article-digest backfill: unknown option --bogus; see "article-digest backfill --help"$/,
      ],
      [
        ['backfill'],
        /^article-digest backfill: backfill needs --bucket and --queue-url .*, or --local$/,
      ],
      // Nothing listens on this port: the first free port the system hands out, released again.
      [
        ['backfill', '--local', '--port', String(await freePort())],
        /^article-digest backfill: nothing listens on 127\.0\.0\.1:\d+: start "article-digest run --watch" in another terminal first \(or pass --port N\)$/,
      ],
      [
        ['backfill', '--local', '--since', 'yesterday'],
        /^article-digest backfill: --since must be an ISO date such as 2026-11-01, not "yesterday"$/,
      ],
      // This printed the general help with exit code 0.
      [
        ['help', 'bogus'],
        /^article-digest: unknown command "bogus"; the commands are run, backfill and review/,
      ],
      [
        ['help', 'run', 'review'],
        /^article-digest help: one command at a time, not run review: "article-digest help run"$/,
      ],
      [
        ['frobnicate'],
        /^article-digest: unknown command "frobnicate"; the commands are run, backfill and review/,
      ],
    ]);
  });

  it('prints help for every command, with exit code 0', async () => {
    const results = await Promise.all(
      [
        ['--help'],
        ['run', '--help'],
        ['backfill', '--help'],
        ['review', '-h'],
        ['help', 'review'],
        ['help', 'help'],
      ].map((args) => cli(args, dir)),
    );
    const [top, runHelp, backfillHelp, reviewHelp, helpReview, helpHelp] = results;
    for (const result of results) expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(top?.stdout).toMatch(/^Usage: article-digest <command>/);
    expect(runHelp?.stdout).toMatch(
      /^Usage: article-digest run .*\n[\s\S]*--watch[\s\S]*Exit codes/,
    );
    expect(backfillHelp?.stdout).toMatch(/^Usage: article-digest backfill[\s\S]*--dry-run/);
    expect(reviewHelp?.stdout).toMatch(/^Usage: article-digest review[\s\S]*--from DIR/);
    expect(helpReview?.stdout).toBe(reviewHelp?.stdout);
    expect(helpHelp?.stdout).toBe(top?.stdout);
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
      const tokens = (digest.usage.inputTokens + digest.usage.outputTokens).toLocaleString('en-US');
      const cost = digest.usage.estimatedCostUsd.toFixed(4);
      expect(stdout).toContain(`progress: 1/1 done, 0 errors, `);
      expect(stdout).toContain(`, ${tokens} tokens, $${cost}\n`);
      expect(stdout).toMatch(
        new RegExp(
          `^Totals: 1 document in [\\d.]+ s: 1 digested, 0 unchanged, 0 errors; 2 tasks; ${digest.usage.inputTokens.toLocaleString('en-US')} input and ${digest.usage.outputTokens.toLocaleString('en-US')} output tokens, about \\$${cost}\\.$`,
          'm',
        ),
      );
    } finally {
      await llm.close();
    }
  });

  it('reports progress while a slow engine works, not only at the end', async () => {
    // The reproduction: with an LLM at some seconds a document, nothing was printed until the end.
    const llm = await startFakeOpenAi((request, n) => ({
      delayMs: 1500,
      reply: followSchema(request, n),
    }));
    try {
      for (let i = 0; i < 8; i++) {
        await writeFile(join(dir, `note-${i}.txt`), `会议要求：一是抓好第${i}项工作。`);
      }
      const started = Date.now();
      const child = spawn(process.execPath, [BIN, 'run', '.', '--out', join(dir, 'out')], {
        env: { ...env, OPENAI_API_KEY: 'sk-test', OPENAI_BASE_URL: llm.baseURL },
        cwd: dir,
      });
      const lines: Array<{ at: number; line: string }> = [];
      child.stdout.on('data', (chunk) => {
        for (const line of String(chunk).split('\n'))
          if (line) lines.push({ at: Date.now(), line });
      });
      const code = await new Promise((resolve) => child.once('exit', resolve));
      const ended = Date.now();
      expect(code).toBe(0);
      const progress = lines.filter((l) => l.line.startsWith('progress: '));
      expect(progress.length).toBeGreaterThanOrEqual(2);
      expect(progress[0]?.line).toMatch(
        /^progress: [1-7]\/8 done, 0 errors, [\d.]+ s, [\d,]+ tokens, \$\d+\.\d{4}$/,
      );
      // The first line came while documents were still in flight, a delay's time before the end.
      expect(ended - (progress[0]?.at ?? ended)).toBeGreaterThan(1000);
      expect(progress.at(-1)?.line).toMatch(/^progress: 8\/8 done/);
      expect(ended - started).toBeGreaterThan(3000);
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
    let watch: Watch | undefined;
    afterEach(() => stopWatch(watch));

    it('names the port and the fix when a second watch server is started on it', async () => {
      watch = await startWatch(['--out', 'out1'], { env, cwd: dir });
      const port = new URL(watch.endpoint).port;
      const second = await cli(
        ['run', '--watch', '--port', port, '--queue-port', '0', '--out', 'out2', '--data', 'd2'],
        dir,
      );
      expect(second.code).toBe(2);
      expect(second.stderr.trim()).toBe(
        `article-digest run: port ${port} is already in use (is another "article-digest run --watch" running?): stop it, or pass --port N`,
      );
    });

    it('digests a file dropped with any S3 client, Chinese name with a space included', async () => {
      const out = join(dir, 'out');
      watch = await startWatch(['--out', out], { env, cwd: dir });
      await watch.client.send(
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
