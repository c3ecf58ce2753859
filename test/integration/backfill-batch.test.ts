import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { afterEach, describe, expect, it } from 'vitest';
import { type FakeOpenAi, startFakeOpenAi } from '../support/fake-openai';
import { ROOT } from '../support/fixtures';
import { poll } from '../support/poll';
import { startWatch, stopWatch, type Watch } from '../support/watch';

const BIN = resolve(ROOT, 'bin', 'article-digest.mjs');
const run = promisify(execFile);
/** gpt-4.1's list price (USD per million tokens), as in the default price table. */
const PRICE = { input: 2, output: 8 };

/** Short notices (one call each) and a long report (several parts, then a reduce call). */
const DOCUMENTS: Record<string, string> = {
  'notice 1.txt': '第1号通知。会议要求，一是抓好春耕生产。二是做好防汛准备。',
  'notice 2.txt': '第2号通知。会议要求，一是抓好春耕生产。二是做好防汛准备。',
  'report.txt': Array.from(
    { length: 40 },
    (_, i) =>
      `第${i + 1}项工作。会议要求，一是抓好第${i + 1}片区的春耕生产和农资供应。二是做好第${i + 1}片区的防汛准备和物资储备。`,
  ).join('\n'),
};

interface Usage {
  llmCalls: number;
  inputTokens: number;
  outputTokens: number;
  estimatedCostUsd: number | null;
}

describe('article-digest backfill --batch', () => {
  let dir: string | undefined;
  let llm: FakeOpenAi | undefined;
  let watch: Watch | undefined;

  const env = (model: string) => ({
    ...process.env,
    OPENAI_API_KEY: 'sk-test',
    OPENAI_BASE_URL: llm?.baseURL,
    LLM_PROVIDER: 'openai',
    OPENAI_MODEL: model,
    LLM_CHUNK_TOKENS: '400',
    DIGEST_ENGINE: '',
  });

  async function startWatchWith(model: string) {
    const folder = dir ?? '';
    watch = await startWatch(['--data', join(folder, 'data'), '--out', join(folder, 'out')], {
      env: env(model),
      cwd: folder,
    });
    return watch;
  }

  const digestOf = (name: string) => {
    const path = join(dir ?? '', 'out', 'digests', `${name}.json`);
    if (!existsSync(path)) return undefined;
    try {
      return JSON.parse(readFileSync(path, 'utf8')) as { engine: { model: string }; usage: Usage };
    } catch {
      return undefined;
    }
  };
  const errorRecords = () => {
    const errors = join(dir ?? '', 'out', 'errors');
    return existsSync(errors) ? readdirSync(errors) : [];
  };

  /** Digests every document with gpt-4.1-mini, then restarts local mode with gpt-4.1. */
  async function digestedByAnotherModel() {
    dir = await mkdtemp(join(tmpdir(), 'article-digest-batch-'));
    const first = await startWatchWith('gpt-4.1-mini');
    const s3 = first.client;
    for (const [name, body] of Object.entries(DOCUMENTS)) {
      await s3.send(
        new PutObjectCommand({
          Bucket: 'article-digest-local',
          Key: `incoming/${name}`,
          Body: body,
        }),
      );
    }
    for (const name of Object.keys(DOCUMENTS)) {
      await poll(() => (digestOf(name)?.engine.model === 'gpt-4.1-mini' ? true : undefined));
    }
    await stopWatch(watch);
    const second = await startWatchWith('gpt-4.1');
    return ['backfill', '--local', '--port', second.port, '--queue-port', second.queuePort];
  }

  /** Waits until every document has a gpt-4.1 digest; returns their usage. */
  async function newDigests(): Promise<Usage[]> {
    const usages: Usage[] = [];
    for (const name of Object.keys(DOCUMENTS)) {
      const digest = await poll(() => {
        const d = digestOf(name);
        return d?.engine.model === 'gpt-4.1' ? d : undefined;
      });
      usages.push(digest.usage);
    }
    return usages;
  }

  afterEach(async () => {
    await stopWatch(watch);
    await llm?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
    dir = undefined;
  });

  it('answers every part call through one batch and bills it at half price when the batch completes', async () => {
    llm = await startFakeOpenAi();
    const args = await digestedByAnotherModel();

    const dry = await run(process.execPath, [BIN, ...args, '--batch', '--dry-run'], {
      env: env('gpt-4.1'),
      cwd: dir,
    });
    const costs = /about \$(\d+\.\d+) on demand; about \$(\d+\.\d+) with --batch/.exec(dry.stdout);
    expect(Number(costs?.[2])).toBeCloseTo(Number(costs?.[1]) / 2, 3);
    expect(llm.batches.created).toBe(0);

    const before = { ...llm.billed };
    const partsBefore = llm.requests.filter((r) => r.schema === 'article_digest').length;
    const real = await run(process.execPath, [BIN, ...args, '--batch', '--poll-seconds', '0.05'], {
      env: env('gpt-4.1'),
      cwd: dir,
    });
    expect(real.stdout).toMatch(/batch batch_\d+: validating/);
    expect(real.stdout).toMatch(/batch batch_\d+: in_progress, 0\/\d+ done/);
    expect(real.stdout).toMatch(/batch batch_\d+: completed, (\d+)\/\1 done, 0 failed/);
    expect(real.stdout).toContain('sent 3/3');
    const usages = await newDigests();
    expect(errorRecords()).toEqual([]);

    // Every part call went through the batch; only the report's reduce call went on demand.
    const parts = llm.requests.filter((r) => r.schema === 'article_digest').length - partsBefore;
    expect(llm.batches.created).toBe(1);
    expect(llm.batches.billed.calls).toBeGreaterThanOrEqual(4);
    expect(parts).toBe(llm.batches.billed.calls);
    const onDemand = {
      calls: llm.billed.calls - before.calls - llm.batches.billed.calls,
      input: llm.billed.inputTokens - before.inputTokens - llm.batches.billed.inputTokens,
      output: llm.billed.outputTokens - before.outputTokens - llm.batches.billed.outputTokens,
    };
    expect(onDemand.calls).toBe(1);

    const sum = (f: (u: Usage) => number) => usages.reduce((n, u) => n + f(u), 0);
    expect(sum((u) => u.llmCalls)).toBe(llm.batches.billed.calls + onDemand.calls);
    expect(sum((u) => u.inputTokens)).toBe(llm.batches.billed.inputTokens + onDemand.input);
    expect(sum((u) => u.outputTokens)).toBe(llm.batches.billed.outputTokens + onDemand.output);
    const expected =
      ((llm.batches.billed.inputTokens * PRICE.input +
        llm.batches.billed.outputTokens * PRICE.output) /
        1e6) *
        0.5 +
      (onDemand.input * PRICE.input + onDemand.output * PRICE.output) / 1e6;
    expect(sum((u) => u.estimatedCostUsd ?? Number.NaN)).toBeCloseTo(expected, 5);

    // A forced run afterwards reuses the batch's answers and records only what it pays itself.
    const billedBefore = llm.billed.calls;
    await run(process.execPath, [BIN, ...args, '--force'], { env: env('gpt-4.1'), cwd: dir });
    const forced = await poll(() => {
      const report = digestOf('report.txt');
      return report && report.usage.llmCalls !== 6 ? report.usage : undefined;
    });
    expect(forced.llmCalls).toBe(1);
    await poll(() => (llm?.billed.calls === billedBefore + 1 ? true : undefined));
  }, 90_000);

  it('asks on demand what the batch did not answer when the batch expires', async () => {
    llm = await startFakeOpenAi(undefined, { batchAnswers: 2 });
    const args = await digestedByAnotherModel();
    const before = { ...llm.billed };
    const requestsBefore = llm.requests.length;

    const real = await run(process.execPath, [BIN, ...args, '--batch', '--poll-seconds', '0.05'], {
      env: env('gpt-4.1'),
      cwd: dir,
    });
    expect(real.stdout).toMatch(/batch batch_\d+: expired, 2\/(\d+) done/);
    expect(real.stdout).toMatch(/Batch done: 2 answers kept, [1-9]\d* left to on-demand calls/);
    const usages = await newDigests();
    expect(errorRecords()).toEqual([]);

    const sum = (f: (u: Usage) => number) => usages.reduce((n, u) => n + f(u), 0);
    expect(llm.batches.billed.calls).toBe(2);
    // The expired parts were asked on demand with the very bodies the batch was sent.
    const expired = llm.batches.lines.slice(2).map((line) => JSON.stringify(line.body));
    const asked = llm.requests
      .slice(requestsBefore)
      .filter((r) => r.schema === 'article_digest')
      .map((r) => JSON.stringify(r.body));
    expect(expired.length).toBeGreaterThan(0);
    for (const body of expired) expect(asked).toContain(body);
    expect(sum((u) => u.inputTokens)).toBe(llm.billed.inputTokens - before.inputTokens);
    const onDemandInput =
      llm.billed.inputTokens - before.inputTokens - llm.batches.billed.inputTokens;
    const onDemandOutput =
      llm.billed.outputTokens - before.outputTokens - llm.batches.billed.outputTokens;
    const expected =
      ((llm.batches.billed.inputTokens * PRICE.input +
        llm.batches.billed.outputTokens * PRICE.output) /
        1e6) *
        0.5 +
      (onDemandInput * PRICE.input + onDemandOutput * PRICE.output) / 1e6;
    expect(sum((u) => u.estimatedCostUsd ?? Number.NaN)).toBeCloseTo(expected, 5);
  }, 90_000);
});
