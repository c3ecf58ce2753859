/**
 * `npm run eval`: measures the engine on the fixtures the project ships (test/fixtures/eval):
 * task recall and precision against documents' own enumerated headings, ROUGE-L of summaries
 * against human references next to a Lead-3 baseline, article splitting and page furniture on
 * the sample pages. Prints a Markdown report and writes it to eval/REPORT.md.
 *
 * The engine is the configured one (offline extractive by default; set OPENAI_API_KEY and
 * OPENAI_BASE_URL to evaluate the LLM engine).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseConfig } from '../shared/config';
import { createEngine } from '../shared/engines';
import { digestContent } from '../shared/pipeline';
import { detectLanguage } from '../shared/text/chars';
import { lead3, rougeL, taskScores } from './eval-metrics';

const ROOT = resolve(import.meta.dirname, '..');
const FIXTURES = resolve(ROOT, 'test', 'fixtures', 'eval');

interface Policy {
  id: string;
  text: string;
  reference_tasks: string[];
}
interface Summarized {
  id: string;
  text: string;
  reference_summary: string;
}
interface SampleExpectation {
  file: string;
  articles: Array<{ title: string; tasks: string[] }>;
  furniture: string[];
}

function jsonl<T>(name: string): T[] {
  return readFileSync(resolve(FIXTURES, name), 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as T);
}

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
const num = (x: number) => x.toFixed(3);

const engine = await createEngine(parseConfig(process.env));
const lines: string[] = [];
const out = (line = '') => lines.push(line);

out('# Evaluation report');
out();
out(
  `Engine: \`${engine.info.name}\`${engine.info.model ? ` (${engine.info.model})` : ''}, ${engine.info.promptVersion}. Produced by \`npm run eval\` from the fixtures in \`test/fixtures/eval\`.`,
);
out();

// --- tasks against policy documents' own headings ------------------------------------------
out('## Tasks: State Council policy documents (reference: their enumerated task headings)');
out();
out('| document | headings | tasks | found | correct | recall | precision |');
out('|---|---|---|---|---|---|---|');
let found = 0;
let correct = 0;
let predicted = 0;
let reference = 0;
for (const doc of jsonl<Policy>('policy_zh.jsonl')) {
  const body = await digestContent({ engine }, doc.text, 'text');
  const tasks = body.articles.flatMap((a) =>
    a.tasks.map((t) => ({ task: t.task, quote: t.evidence.quote })),
  );
  const s = taskScores(tasks, doc.reference_tasks);
  found += s.found;
  correct += s.correct;
  predicted += s.predicted;
  reference += s.reference;
  out(
    `| ${doc.id} | ${s.reference} | ${s.predicted} | ${s.found} | ${s.correct} | ${pct(s.recall)} | ${pct(s.precision)} |`,
  );
}
const policyRecall = found / reference;
const policyPrecision = predicted === 0 ? 0 : correct / predicted;
out(
  `| **all** | ${reference} | ${predicted} | ${found} | ${correct} | **${pct(policyRecall)}** | **${pct(policyPrecision)}** |`,
);
out();

// --- sample pages -----------------------------------------------------------------------------
out('## Sample pages: articles, tasks, page furniture');
out();
out(
  '| sample | articles (expected) | titles right | task recall | task precision | furniture in summaries or tasks |',
);
out('|---|---|---|---|---|---|');
const samples = JSON.parse(readFileSync(resolve(FIXTURES, 'samples.json'), 'utf8')) as {
  samples: SampleExpectation[];
};
let furnitureLeaks = 0;
for (const sample of samples.samples) {
  const text = readFileSync(resolve(ROOT, 'samples', sample.file), 'utf8');
  const body = await digestContent({ engine }, text, 'text');
  const titlesRight = sample.articles.filter(
    (expected, i) => body.articles[i]?.title === expected.title,
  ).length;
  const tasks = body.articles.flatMap((a) =>
    a.tasks.map((t) => ({ task: t.task, quote: t.evidence.quote })),
  );
  const s = taskScores(
    tasks,
    sample.articles.flatMap((a) => a.tasks),
  );
  const written = [
    body.summary,
    ...body.articles.flatMap((a) => [
      a.summary,
      ...a.tasks.map((t) => t.task),
      ...a.keyPoints.map((k) => k.point),
    ]),
  ].join('\n');
  const leaks = sample.furniture.filter((f) => written.includes(f));
  furnitureLeaks += leaks.length;
  out(
    `| ${sample.file} | ${body.articles.length} (${sample.articles.length}) | ${titlesRight}/${sample.articles.length} | ${pct(s.recall)} | ${pct(s.precision)} | ${leaks.length === 0 ? 'none' : leaks.join(', ')} |`,
  );
}
out();

// --- summaries against human references ----------------------------------------------------
out(
  '## Summaries: ROUGE-L F1 against human references (words for English, characters for Chinese)',
);
out();
out('| set | document | engine | Lead-3 |');
out('|---|---|---|---|');
const summaryScores: Array<{ ours: number; lead: number }> = [];
for (const [set, file] of [
  ['news', 'news_en.jsonl'],
  ['meetings', 'meetings_en.jsonl'],
] as const) {
  for (const doc of jsonl<Summarized>(file)) {
    const language = detectLanguage(doc.text);
    const body = await digestContent({ engine }, doc.text, 'text');
    const ours = rougeL(body.summary, doc.reference_summary, language);
    const lead = rougeL(lead3(doc.text, language), doc.reference_summary, language);
    summaryScores.push({ ours, lead });
    out(`| ${set} | ${doc.id} | ${num(ours)} | ${num(lead)} |`);
  }
}
const meanOurs = summaryScores.reduce((n, s) => n + s.ours, 0) / summaryScores.length;
const meanLead = summaryScores.reduce((n, s) => n + s.lead, 0) / summaryScores.length;
const relative = meanLead === 0 ? 0 : (meanOurs - meanLead) / meanLead;
out(`| **mean** | | **${num(meanOurs)}** | **${num(meanLead)}** |`);
out();
out(`Relative to Lead-3: ${relative >= 0 ? '+' : ''}${pct(relative)}.`);
out();

out('## Targets');
out();
out('| measure | value | target | met |');
out('|---|---|---|---|');
const row = (name: string, value: string, target: string, met: boolean) =>
  out(`| ${name} | ${value} | ${target} | ${met ? 'yes' : 'no'} |`);
row('task recall (policy documents)', pct(policyRecall), '≥ 95%', policyRecall >= 0.95);
row('task precision (policy documents)', pct(policyPrecision), '≥ 80%', policyPrecision >= 0.8);
row('summary ROUGE-L vs Lead-3 (relative)', pct(relative), '≥ +10%', relative >= 0.1);
row('furniture in summaries or tasks (samples)', String(furnitureLeaks), '0', furnitureLeaks === 0);

const report = `${lines.join('\n')}\n`;
console.log(report);
if (!process.argv.includes('--no-write')) writeFileSync(resolve(ROOT, 'eval', 'REPORT.md'), report);
