/**
 * `npm run bench`: how fast and how cheap, measured as ratios within one run (these machines are
 * noisy). Prints a table and writes bench/results.json. `--quick` is the smoke version CI runs.
 *
 * 1. LLM economy against the local OpenAI-compatible test server.
 * 2. A backlog through local mode under a requests-per-minute limit, for several concurrencies.
 * 3. CPU beyond the LLM per document size.
 * 4. Cold start proxy: the deployed bundle against a naive bundle of the same libraries.
 * 5. Local offline throughput through the embedded S3 server.
 * 6. Worst-case inputs (issue 11): time per MB at two sizes, which stays level when linear.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';
import { countTokens } from 'gpt-tokenizer/encoding/o200k_base';
import { LOCAL_CREDENTIALS } from '../cli/local/s3';
import { type ProcessedRow, startLocalSession } from '../cli/local/session';
import { parseConfig } from '../shared/config';
import { Digest, SCHEMA_VERSION } from '../shared/contract';
import { createEngine } from '../shared/engines';
import type { DraftArticle, Engine } from '../shared/engines/engine';
import { createExtractiveEngine } from '../shared/engines/extractive';
import { silentLog } from '../shared/log';
import { digestContent } from '../shared/pipeline';
import { readDocument } from '../shared/read';
import { decodeText } from '../shared/text/decode';
import { normalize } from '../shared/text/normalize';
import { splitSentences } from '../shared/text/segment';
import {
  answerFrom,
  type ChatRequest,
  followSchema,
  type PlannedAnswer,
  type Responder,
  startFakeOpenAi,
} from '../test/support/fake-openai';
import { longReport } from '../test/support/long-report';
import { functionAssetDir, synthApp } from '../test/support/synth';
import { WORST_CASES } from '../test/support/worst-case';

const ROOT = resolve(import.meta.dirname, '..');
const QUICK = process.argv.includes('--quick');
const results: Record<string, unknown> = {
  quick: QUICK,
  node: process.version,
  when: new Date().toISOString(),
};
const out = (line = '') => console.log(line);
const fixed = (x: number, digits = 1) => x.toFixed(digits);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;

// --- 1. LLM economy ------------------------------------------------------------------------
async function llmEconomy() {
  const llm = await startFakeOpenAi();
  const chunkTokens = 12_000;
  const config = parseConfig({
    OPENAI_API_KEY: 'sk-bench',
    OPENAI_BASE_URL: llm.baseURL,
    LLM_CHUNK_TOKENS: String(chunkTokens),
  });
  const engine = await createEngine(config);
  const docs: Array<[string, string]> = [
    ['sample 000', readFileSync(resolve(ROOT, 'samples', '000_ec775d6fbf83bfac.txt'), 'utf8')],
    ['sample 004', readFileSync(resolve(ROOT, 'samples', '004_9c44e55c456fc08c.txt'), 'utf8')],
    [
      'short English article',
      'The city council approved the new flood plan on Monday. 1. The highways team will clear all drains by March. 2. Residents must register for flood alerts. 3. The budget office will publish quarterly costs.',
    ],
    ['33,000-character report', longReport()],
  ];
  const rows = [];
  for (const [name, text] of docs) {
    llm.requests.length = 0;
    await digestContent({ engine }, text, 'text');
    const tokens = countTokens(text);
    // Fixed overhead (instructions, schema, framing) apart from the sentence numbers, which
    // grow with the text: both are paid input.
    const numbered = (r: ChatRequest) => {
      const user = r.body.messages.find((m) => m.role === 'user')?.content ?? '';
      return /<document>\n([\s\S]*)\n<\/document>/.exec(user)?.[1] ?? '';
    };
    const overheads = llm.requests.map((r) => {
      const prompt =
        r.body.messages.map((m) => m.content).join('\n') + JSON.stringify(r.body.response_format);
      return countTokens(prompt) - countTokens(numbered(r));
    });
    const numbers = llm.requests.reduce(
      (n, r) => n + countTokens(numbered(r)) - countTokens(r.document),
      0,
    );
    const allowed = tokens <= chunkTokens ? 1 : Math.ceil(tokens / chunkTokens) + 1;
    rows.push({
      document: name,
      tokens,
      calls: llm.requests.length,
      callsAllowed: allowed,
      overheadMax: Math.max(...overheads),
      overheadMean: Math.round(overheads.reduce((a, b) => a + b, 0) / overheads.length),
      numberTokens: numbers,
      numberShare: Number(fixed(numbers / tokens, 3)),
      met: llm.requests.length <= allowed && Math.max(...overheads) <= 600,
    });
  }
  await llm.close();
  out('## 1. LLM economy (local OpenAI-compatible server, chunk budget 12,000 tokens)');
  out();
  out(
    '| document | tokens | calls | allowed | overhead tokens/call (max, mean) | sentence numbers: tokens, share of text | met |',
  );
  out('|---|---|---|---|---|---|---|');
  for (const r of rows) {
    out(
      `| ${r.document} | ${r.tokens} | ${r.calls} | ${r.callsAllowed} | ${r.overheadMax}, ${r.overheadMean} | ${r.numberTokens}, ${fixed(r.numberShare * 100)}% | ${r.met ? 'yes' : 'no'} |`,
    );
  }
  out();
  results.llmEconomy = rows;
  await outputPerItem();
}

/**
 * The samples' answers as a careful model gives them (`test/fixtures/llm/answer-*.json`: every
 * item with the verbatim words it starts at), in the shape asked for now (a sentence number and
 * an anchor; the code derives the quote) and in the shape asked for before (prompt
 * digest-2026-11.3: a verbatim quote of at most 40 characters per item, here the item's clause
 * from those words, cut at 40). Both are grounded by the pipeline: same items, same grounding,
 * so output tokens per grounded item compare the shapes alone.
 */
async function outputPerItem() {
  const rows = [];
  for (const [name, file] of [
    ['sample 000', '000_ec775d6fbf83bfac.txt'],
    ['sample 004', '004_9c44e55c456fc08c.txt'],
  ] as const) {
    const text = readFileSync(resolve(ROOT, 'samples', file), 'utf8');
    const planned = JSON.parse(
      readFileSync(resolve(ROOT, 'test/fixtures/llm', `answer-${file.slice(0, 3)}.json`), 'utf8'),
    ) as PlannedAnswer;
    const items = planned.articles.reduce((n, a) => n + a.keyPoints.length + a.tasks.length, 0);
    const grounded = (body: { articles: Array<{ keyPoints: unknown[]; tasks: unknown[] }> }) =>
      body.articles.reduce((n, a) => n + a.keyPoints.length + a.tasks.length, 0);

    // Cited: through the engine and the test server, as the model would answer this prompt.
    const llm = await startFakeOpenAi(answerFrom(planned));
    const config = parseConfig({ OPENAI_API_KEY: 'sk-bench', OPENAI_BASE_URL: llm.baseURL });
    const cited = await digestContent({ engine: await createEngine(config) }, text, 'text');
    const user = llm.requests[0]?.body.messages.find((m) => m.role === 'user')?.content ?? '';
    const numbers = countTokens(user) - countTokens(user.replace(/\[\d+\]/g, ''));
    const citedRow = {
      outputTokens: llm.billed.outputTokens,
      inputTokens: llm.billed.inputTokens,
      grounded: grounded(cited),
    };
    await llm.close();

    // Quoted: the same items with the quotes the earlier shape asked for, grounded alike.
    const normalized = normalize(text).text;
    const quoteAt = (at: string) => {
      const from = normalized.indexOf(at);
      const end = /[；;。！？!?]/.exec(normalized.slice(from));
      return normalized.slice(from, from + Math.min(40, end ? end.index + 1 : 40));
    };
    const quotedAnswer = {
      summary: planned.summary,
      articles: planned.articles.map((a) => ({
        title: a.title,
        byline: a.byline,
        summary: a.summary,
        keyPoints: a.keyPoints.map(({ at, point }) => ({ point, quote: quoteAt(at) })),
        tasks: a.tasks.map(({ at, task, owner, deadline }) => ({
          task,
          owner,
          deadline,
          quote: quoteAt(at),
        })),
      })),
    };
    const quoted = await digestContent({ engine: replayAnswer(quotedAnswer) }, text, 'text');
    const quotedTokens = countTokens(JSON.stringify(quotedAnswer));
    const withoutQuotes = JSON.stringify(quotedAnswer, (key, value) =>
      key === 'quote' ? undefined : value,
    );
    const quoteTokens = quotedTokens - countTokens(withoutQuotes);
    rows.push({
      document: name,
      items,
      grounded: citedRow.grounded,
      groundedBefore: grounded(quoted),
      outputTokens: citedRow.outputTokens,
      outputTokensBefore: quotedTokens,
      perItem: Number(fixed(citedRow.outputTokens / citedRow.grounded)),
      perItemBefore: Number(fixed(quotedTokens / grounded(quoted))),
      quoteShareBefore: Number(fixed(quoteTokens / quotedTokens, 2)),
      inputTokens: citedRow.inputTokens,
      numberTokens: numbers,
      met: citedRow.outputTokens / citedRow.grounded <= 50 && citedRow.grounded >= grounded(quoted),
    });
  }
  out(
    'Output tokens per grounded item, realistic answers (sentence number and anchor, before: quote)',
  );
  out();
  out(
    '| document | items | grounded (before) | output tokens (before) | per grounded item (before) | quotes in output before | input tokens, of which sentence numbers | met (≤ 50, equal grounding) |',
  );
  out('|---|---|---|---|---|---|---|---|');
  for (const r of rows) {
    out(
      `| ${r.document} | ${r.items} | ${r.grounded} (${r.groundedBefore}) | ${r.outputTokens} (${r.outputTokensBefore}) | ${r.perItem} (${r.perItemBefore}) | ${Math.round(r.quoteShareBefore * 100)}% | ${r.inputTokens}, ${r.numberTokens} | ${r.met ? 'yes' : 'no'} |`,
    );
  }
  out();
  results.llmOutputPerItem = rows;
}

/** An engine that returns a quoted answer as it is, for the pipeline to ground: no network. */
function replayAnswer(answer: {
  summary: string;
  articles: Array<
    Omit<DraftArticle, 'keyPoints' | 'tasks'> & Pick<DraftArticle, 'keyPoints' | 'tasks'>
  >;
}): Engine {
  return {
    info: { name: 'openai', model: 'replay', promptVersion: 'bench', configHash: '0'.repeat(16) },
    costly: false,
    async digest() {
      return {
        ...answer,
        usage: { llmCalls: 1, inputTokens: 0, outputTokens: 0, estimatedCostUsd: null },
      };
    },
  };
}

// --- 2. Backlog under a rate limit ---------------------------------------------------------------
function rateLimited(perSecond: number): { responder: Responder; accepted: number[] } {
  const accepted: number[] = [];
  const responder: Responder = (request, n) => {
    const now = Date.now();
    while (accepted.length > 0 && (accepted[0] ?? 0) <= now - 1000) accepted.shift();
    if (accepted.length >= perSecond) {
      const wait = (accepted[0] ?? now) + 1000 - now;
      return { status: 429, headers: { 'retry-after-ms': String(Math.max(1, wait)) } };
    }
    accepted.push(now);
    return followSchema(request, n);
  };
  return { responder, accepted };
}

async function backlog() {
  const documents = QUICK ? 60 : 320;
  const rpm = QUICK ? 1200 : 1200;
  const perSecond = rpm / 60;
  const settings = QUICK ? [4] : [1, 2, 4, 8];
  const rows = [];
  for (const concurrency of settings) {
    const { responder } = rateLimited(perSecond);
    const llm = await startFakeOpenAi(responder);
    const config = parseConfig({
      OPENAI_API_KEY: 'sk-bench',
      OPENAI_BASE_URL: llm.baseURL,
      OPENAI_MAX_RETRIES: '5',
      CACHE_PREFIX: `cache-${concurrency}/`,
    });
    const done: ProcessedRow[] = [];
    const session = await startLocalSession({
      config,
      engine: await createEngine(config),
      log: silentLog,
      concurrency,
      maxReceives: 5,
      retryDelayMs: 50,
      onRow: (row) => done.push(row),
    });
    const started = performance.now();
    await Promise.all(
      Array.from({ length: documents }, (_, i) =>
        session.put(
          `incoming/backlog/${i}.txt`,
          `第${i}号通知\n\n会议要求，一是抓好第${i}批项目建设。二是落实第${i}号文件任务。`,
        ),
      ),
    );
    await session.idle();
    const seconds = (performance.now() - started) / 1000;
    const digested = done.filter((r) => r.outcome.status === 'digested').length;
    const lost = documents - digested;
    const throughput = digested / seconds;
    rows.push({
      concurrency,
      documents,
      rpmLimit: rpm,
      seconds: Number(fixed(seconds)),
      perMinute: Math.round(throughput * 60),
      fractionOfLimit: Number(fixed(throughput / perSecond, 2)),
      lost,
      requests: llm.requests.length,
    });
    await session.close();
    await llm.close();
  }
  out(
    `## 2. Backlog under a rate limit (${documents} documents, ${rpm} requests/minute enforced with 429 + retry-after)`,
  );
  out();
  out(
    '| concurrency | seconds | documents/minute | fraction of limit | lost | LLM requests (incl. 429s) |',
  );
  out('|---|---|---|---|---|---|');
  for (const r of rows) {
    out(
      `| ${r.concurrency} | ${r.seconds} | ${r.perMinute} | ${r.fractionOfLimit} | ${r.lost} | ${r.requests} |`,
    );
  }
  out();
  results.backlog = rows;
}

// --- 3. CPU beyond the LLM -------------------------------------------------------------------------
/** An engine that answers instantly with quotes of the document, as an LLM would: no network. */
function replayEngine(): Engine {
  return {
    info: {
      name: 'openai',
      model: 'replay',
      promptVersion: 'bench',
      configHash: '0000000000000000',
    },
    costly: false,
    async digest(document) {
      const sentences = splitSentences(
        document.normalized.text,
        document.normalized.paragraphs,
        document.language,
      );
      const step = Math.max(1, Math.floor(sentences.length / 20));
      const picked = sentences.filter((_, i) => i % step === 0).slice(0, 20);
      return {
        summary: picked
          .slice(0, 3)
          .map((s) => s.text)
          .join(''),
        articles: [
          {
            title: null,
            byline: null,
            summary: picked[0]?.text ?? '',
            keyPoints: picked
              .slice(0, 5)
              .map((s) => ({ point: s.text, quote: s.text.slice(0, 40) })),
            tasks: picked.map((s) => ({
              task: s.text.slice(0, 20),
              owner: null,
              deadline: null,
              quote: s.text.slice(0, 40),
            })),
          },
        ],
        usage: { llmCalls: 1, inputTokens: 0, outputTokens: 0, estimatedCostUsd: null },
      };
    },
  };
}

async function cpu() {
  const base = readFileSync(resolve(ROOT, 'samples', '000_ec775d6fbf83bfac.txt'));
  const sizes = QUICK ? [1_000, 10_000, 100_000] : [1_000, 10_000, 100_000, 1_000_000];
  const engines: Array<[string, Engine]> = [
    ['replayed LLM answer', replayEngine()],
    ['offline engine', createExtractiveEngine()],
  ];
  const rows = [];
  for (const [label, engine] of engines) {
    for (const size of sizes) {
      const copies = Math.ceil(size / base.length);
      const bytes = Buffer.concat(Array.from({ length: copies }, () => base)).subarray(0, size);
      const runs = size >= 1_000_000 ? 3 : size >= 100_000 ? 5 : 20;
      const times: number[] = [];
      for (let i = 0; i < runs + 1; i++) {
        const started = performance.now();
        const decoded = decodeText(bytes);
        const body = await digestContent({ engine }, decoded.text, 'text');
        const digest = Digest.parse({
          kind: 'digest',
          schemaVersion: SCHEMA_VERSION,
          source: {
            bucket: 'b',
            key: 'k',
            versionId: null,
            etag: null,
            bytes: size,
            sha256: '0'.repeat(64),
            encoding: decoded.encoding,
            format: 'text',
            textKey: null,
          },
          ...body,
          processedAt: new Date().toISOString(),
        });
        JSON.stringify(digest);
        if (i > 0) times.push(performance.now() - started);
      }
      const ms = median(times);
      rows.push({
        engine: label,
        bytes: size,
        ms: Number(fixed(ms, 2)),
        msPer10KB: Number(fixed((ms / size) * 10_000, 2)),
      });
    }
  }
  out(
    '## 3. CPU beyond the LLM (decode, normalize, split, engine, ground, validate, serialize; median per document)',
  );
  out();
  out('| engine | input | ms | ms per 10 KB |');
  out('|---|---|---|---|');
  for (const r of rows) out(`| ${r.engine} | ${r.bytes / 1000} KB | ${r.ms} | ${r.msPer10KB} |`);
  const replay = rows.filter((r) => r.engine === 'replayed LLM answer');
  const small = replay.find((r) => r.bytes === 10_000);
  const large = replay.at(-1);
  const growth = small && large ? large.ms / small.ms / (large.bytes / small.bytes) : 0;
  out();
  out(
    `Growth from 10 KB to ${(large?.bytes ?? 0) / 1000} KB, per byte: ${fixed(growth, 2)} (1.0 is linear).`,
  );
  out();
  results.cpu = { rows, growthPerByte: Number(fixed(growth, 2)) };
}

// --- 3b. Reading PDF and Word files -------------------------------------------------------------
/**
 * CPU to read and digest a PDF and a Word file with the offline engine, per 10 KB of the text
 * read out of them, next to the same text dropped as a .txt file: what reading the format adds.
 */
async function readingCost() {
  const engine = createExtractiveEngine();
  const fixture = (name: string) => readFileSync(join(ROOT, 'test', 'fixtures', 'read', name));
  const rows = [];
  for (const name of ['report-en.pdf', 'notice-zh.pdf', 'memo.docx']) {
    const file = fixture(name);
    const kept = (await readDocument({ key: name, contentType: null, bytes: file })).text;
    const textFile = Buffer.from(kept);
    const runs = QUICK ? 5 : 20;
    for (const [form, key, bytes] of [
      ['as .txt', `${name}.txt`, textFile],
      [name.endsWith('.pdf') ? 'as PDF' : 'as .docx', name, file],
    ] as const) {
      const times: number[] = [];
      for (let i = 0; i < runs + 1; i++) {
        const started = performance.now();
        const read = await readDocument({ key, contentType: null, bytes });
        await digestContent({ engine }, read.text, read.format);
        if (i > 0) times.push(performance.now() - started);
      }
      const ms = median(times);
      rows.push({
        document: name,
        form,
        fileBytes: bytes.length,
        textBytes: textFile.length,
        ms: Number(fixed(ms, 2)),
        msPer10KBOfText: Number(fixed((ms / textFile.length) * 10_000, 2)),
      });
    }
  }
  out('## 3b. Reading PDF and Word files (read and digest offline; median per document)');
  out();
  out('| document | dropped | file | text read | ms | ms per 10 KB of text |');
  out('|---|---|---|---|---|---|');
  for (const r of rows) {
    out(
      `| ${r.document} | ${r.form} | ${fixed(r.fileBytes / 1024)} KiB | ${fixed(r.textBytes / 1024)} KiB | ${r.ms} | ${r.msPer10KBOfText} |`,
    );
  }
  out();
  results.reading = { rows };
}

// --- 4. Cold start proxy ------------------------------------------------------------------------
function importMs(file: string, env: Record<string, string>): number {
  const script = `const t = performance.now(); await import(${JSON.stringify(file)}); console.log(performance.now() - t);`;
  const stdout = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
    env: {
      PATH: process.env.PATH ?? '',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      ...env,
    },
    encoding: 'utf8',
  });
  return Number(stdout.trim().split('\n').at(-1));
}

async function coldStart() {
  const dir = mkdtempSync(join(tmpdir(), 'article-digest-bench-'));
  // The asset `cdk synth` builds, as deployed.
  const asset = functionAssetDir(synthApp().assembly.directory);
  const ours = join(asset, 'index.mjs');
  // The naive bundle: the same three libraries imported the usual way, built with the same flags.
  const naiveEntry = join(dir, 'naive.mjs');
  writeFileSync(
    naiveEntry,
    "import { S3Client, GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';\nimport OpenAI from 'openai';\nimport { z } from 'zod';\nexport const handler = async () => ({ S3Client, GetObjectCommand, PutObjectCommand, OpenAI, z });\n",
  );
  const naive = join(dir, 'naive-bundle.mjs');
  await build({
    entryPoints: [naiveEntry],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node24',
    minify: true,
    mainFields: ['module', 'main'],
    banner: {
      js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
    },
    outfile: naive,
    nodePaths: [join(ROOT, 'node_modules')],
    logLevel: 'error',
  });
  // Each import takes well under a second: enough runs that one busy moment does not move the median.
  const runs = QUICK ? 7 : 15;
  const env = {
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
  };
  // Interleaved, so that a change in the machine's load affects both alike.
  const oursTimes: number[] = [];
  const naiveTimes: number[] = [];
  for (let i = 0; i < runs; i++) {
    oursTimes.push(importMs(ours, env));
    naiveTimes.push(importMs(naive, env));
  }
  const oursMs = median(oursTimes);
  const naiveMs = median(naiveTimes);
  const row = {
    handlerBytes: statSync(ours).size,
    naiveBytes: statSync(naive).size,
    handlerImportMs: Number(fixed(oursMs)),
    naiveImportMs: Number(fixed(naiveMs)),
    ratio: Number(fixed(oursMs / naiveMs, 2)),
  };
  out('## 4. Cold start proxy (import in a fresh Node process, median)');
  out();
  out('| bundle | size | import ms |');
  out('|---|---|---|');
  out(
    `| deployed handler (cdk synth asset) | ${fixed(row.handlerBytes / 1024)} KiB | ${row.handlerImportMs} |`,
  );
  out(
    `| naive: @aws-sdk/client-s3 + openai + zod, same esbuild flags | ${fixed(row.naiveBytes / 1024)} KiB | ${row.naiveImportMs} |`,
  );
  out();
  out(`Ratio: ${row.ratio} (target ≤ 0.5).`);
  out();
  results.coldStart = row;
}

// --- 5. Local offline throughput --------------------------------------------------------------------
async function localThroughput() {
  const documents = QUICK ? 50 : 300;
  // Three runs, each in a fresh session: a busy moment of the machine shows as a spread.
  const runs = QUICK ? 1 : 3;
  const base = readFileSync(resolve(ROOT, 'samples', '004_9c44e55c456fc08c.txt'), 'utf8');
  const measured = [];
  for (let run = 0; run < runs; run++) {
    const done: ProcessedRow[] = [];
    const session = await startLocalSession({
      config: parseConfig({}),
      engine: createExtractiveEngine(),
      log: silentLog,
      concurrency: 8,
      onRow: (row) => done.push(row),
    });
    const cpu = process.cpuUsage();
    const started = performance.now();
    await Promise.all(
      Array.from({ length: documents }, (_, i) =>
        session.put(`incoming/local/${i}.txt`, `${i} ${base}`),
      ),
    );
    await session.idle();
    const seconds = (performance.now() - started) / 1000;
    const used = process.cpuUsage(cpu);
    await session.close();
    const digested = done.filter((r) => r.outcome.status === 'digested').length;
    measured.push({
      digested,
      seconds: Number(fixed(seconds, 2)),
      perSecond: Number(fixed(digested / seconds)),
      // CPU of this process (uploads, handler, engine) per document; the S3 server's is apart.
      pipelineCpuMsPerDocument: Number(fixed((used.user + used.system) / 1000 / documents, 2)),
    });
  }
  const rates = measured.map((m) => m.perSecond);
  const row = {
    documents,
    runs: measured,
    perSecond: median(rates),
    lowest: Math.min(...rates),
    highest: Math.max(...rates),
  };
  out(
    `## 5. Local offline throughput (${documents} documents of ${fixed(Buffer.byteLength(base) / 1024)} KiB, embedded S3, offline engine)`,
  );
  out();
  out(
    `${runs === 1 ? '' : `Median of ${runs} runs `}**${row.perSecond} documents/s**${runs === 1 ? '' : ` (${row.lowest}–${row.highest})`}; pipeline CPU ${measured.map((m) => m.pipelineCpuMsPerDocument).join(' / ')} ms per document (${QUICK ? 'a quick run of 50 documents, warm-up included: the target of ≥ 150/s is judged on a full run' : 'target ≥ 150/s'}).`,
  );
  out();
  results.localThroughput = row;
}

// --- 6. Worst-case inputs ------------------------------------------------------------------------
async function worstCases() {
  const [small, large] = QUICK ? [100_000, 1_000_000] : [1_000_000, 10_000_000];
  const engine = createExtractiveEngine();
  const mb = (bytes: number) => bytes / 1_000_000;
  const rows = [];
  for (const worst of WORST_CASES) {
    const runs = [];
    for (const size of [small, large]) {
      const bytes = Buffer.from(worst.make(size));
      // The faster of two runs: a collection of the garbage earlier sections left can land in
      // either, and one run of 10 MB took twice its usual time that way.
      const timed = async () => {
        const started = performance.now();
        const decoded = decodeText(bytes);
        const body = await digestContent({ engine }, decoded.text, worst.format);
        return { body, ms: performance.now() - started };
      };
      const first = await timed();
      const { body, ms: again } = await timed();
      const ms = Math.min(first.ms, again);
      runs.push({
        bytes: bytes.length,
        ms: Math.round(ms),
        msPerMB: Math.round(ms / mb(bytes.length)),
        summaryChars: body.summary.length,
        tasks: body.articles.reduce((n, a) => n + a.tasks.length, 0),
      });
    }
    const [a, b] = runs as [(typeof runs)[0], (typeof runs)[0]];
    rows.push({
      input: worst.name,
      format: worst.format,
      runs,
      growth: Number(fixed(b.msPerMB / a.msPerMB, 2)),
    });
  }
  const label = (bytes: number) =>
    bytes >= 1_000_000 ? `${bytes / 1_000_000} MB` : `${bytes / 1000} KB`;
  out(
    `## 6. Worst-case inputs (decode to grounded digest, offline engine; the faster of two runs at ${label(small)} and at ${label(large)})`,
  );
  out();
  out(
    `| input | ms at ${label(small)} | ms/MB | ms at ${label(large)} | ms/MB | growth per byte | summary chars | tasks |`,
  );
  out('|---|---|---|---|---|---|---|---|');
  for (const r of rows) {
    const [a, b] = r.runs as [(typeof r.runs)[0], (typeof r.runs)[0]];
    out(
      `| ${r.input} | ${a.ms} | ${a.msPerMB} | ${b.ms} | ${b.msPerMB} | ${r.growth} | ${b.summaryChars} | ${b.tasks} |`,
    );
  }
  const worstGrowth = Math.max(...rows.map((r) => r.growth));
  const slowest = Math.max(...rows.map((r) => r.runs[1]?.ms ?? 0));
  out();
  out(
    `Largest growth in time per MB from ${label(small)} to ${label(large)}: ${fixed(worstGrowth, 2)} (1.0 is linear); slowest at ${label(large)}: ${fixed(slowest / 1000)} s.`,
  );
  out();
  results.worstCases = { rows, worstGrowth, slowestMs: Math.round(slowest) };
}

out(`# Benchmarks${QUICK ? ' (quick)' : ''}`);
out();
// BENCH_ONLY=5 (or 3,5, …) runs only those sections, and leaves the results files as they are.
const only = process.env.BENCH_ONLY?.split(',').map((s) => s.trim());
const sections: Array<[string, () => Promise<void>]> = [
  ['1', llmEconomy],
  ['2', backlog],
  ['3', cpu],
  ['3b', readingCost],
  ['4', coldStart],
  ['5', localThroughput],
  ['6', worstCases],
];
/**
 * Section 5 in a Node process of its own when the whole bench runs: local mode runs in a fresh
 * process, and the heap and compiled code the other sections leave behind cost the pipeline a
 * few ms of garbage collection a document that no user's run pays.
 */
async function localThroughputApart() {
  const file = join(mkdtempSync(join(tmpdir(), 'article-digest-bench-')), 'results.json');
  execFileSync(
    process.execPath,
    ['--import', 'tsx', import.meta.filename, ...process.argv.slice(2)],
    {
      env: { ...process.env, BENCH_ONLY: '5', BENCH_RESULTS_FILE: file },
      stdio: ['ignore', 'inherit', 'inherit'],
    },
  );
  results.localThroughput = (
    JSON.parse(readFileSync(file, 'utf8')) as typeof results
  ).localThroughput;
}

for (const [number, section] of sections) {
  if (only) {
    if (only.includes(number)) await section();
  } else {
    await (number === '5' ? localThroughputApart() : section());
  }
}
// Where a section run apart hands its results back.
if (process.env.BENCH_RESULTS_FILE) {
  writeFileSync(process.env.BENCH_RESULTS_FILE, JSON.stringify(results));
}
if (!only) {
  const file = resolve(ROOT, 'bench', QUICK ? 'results-quick.json' : 'results.json');
  writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
  out(`Written to ${file.slice(ROOT.length + 1)}.`);
}
