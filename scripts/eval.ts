/**
 * `npm run eval`: measures the engine on the fixtures the project ships (test/fixtures/eval):
 * task recall and precision against documents' own enumerated headings, owner and deadline
 * precision and recall, ROUGE-L of summaries against human references next to a Lead-3 baseline
 * (English; Chinese news on a held-out part), article splitting and page furniture on the sample
 * pages. Prints a Markdown report and writes it to eval/REPORT.md.
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
import {
  CHINESE_NEWS_SETS,
  chineseNewsScores,
  chineseNewsSetScores,
  FIXTURES,
  jsonl,
  ownerDeadlineScores,
  policyTaskScores,
  precision,
  recall,
  type SummarizedDocument,
  type Tally,
} from './eval-sets';

const ROOT = resolve(import.meta.dirname, '..');

interface SampleExpectation {
  file: string;
  articles: Array<{ title: string; tasks: string[] }>;
  furniture: string[];
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
const policy = await policyTaskScores(engine);
for (const s of policy.documents) {
  out(
    `| ${s.id} | ${s.reference} | ${s.predicted} | ${s.found} | ${s.correct} | ${pct(s.recall)} | ${pct(s.precision)} |`,
  );
}
const policyRecall = recall(policy.total);
const policyPrecision = precision(policy.total);
{
  const t = policy.total;
  out(
    `| **all** | ${t.expected} | ${t.predicted} | ${t.found} | ${t.correct} | **${pct(policyRecall)}** | **${pct(policyPrecision)}** |`,
  );
}
out();

// --- owners and deadlines ---------------------------------------------------------------------
out('## Owners and deadlines (reference: `owners.jsonl`)');
out();
out(
  'Recall: expected owners (deadlines) that the task covering their action states, as written. Precision: stated owners (deadlines) that equal the expected one. Split A was written before the code and tuned on; B, C and D were written later and measured blind once each (see the fixtures README for those first figures), then used for fixes.',
);
out();
out(
  '| document | split | kind | script | owners found | owners right | deadlines found | deadlines right |',
);
out('|---|---|---|---|---|---|---|---|');
const owners = await ownerDeadlineScores(engine);
const ratio = (a: number, b: number) => `${a}/${b}`;
for (const { doc, owner, deadline } of owners.documents) {
  out(
    `| ${doc.id} | ${doc.split} | ${doc.kind} | ${doc.script} | ${ratio(owner.found, owner.expected)} | ${ratio(owner.correct, owner.predicted)} | ${ratio(deadline.found, deadline.expected)} | ${ratio(deadline.correct, deadline.predicted)} |`,
  );
}
out();
out('| split | owner recall | owner precision | deadline recall | deadline precision |');
out('|---|---|---|---|---|');
const fieldRow = (name: string, owner: Tally, deadline: Tally) =>
  out(
    `| ${name} | ${pct(recall(owner))} (${ratio(owner.found, owner.expected)}) | ${pct(precision(owner))} (${ratio(owner.correct, owner.predicted)}) | ${pct(recall(deadline))} (${ratio(deadline.found, deadline.expected)}) | ${pct(precision(deadline))} (${ratio(deadline.correct, deadline.predicted)}) |`,
  );
for (const split of ['A', 'B', 'C', 'D']) {
  const t = owners.total(split);
  fieldRow(split, t.owner, t.deadline);
}
const fields = owners.total();
fieldRow('**all**', fields.owner, fields.deadline);
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
out('## Summaries, English: ROUGE-L F1 on words against human references');
out();
out('| set | document | engine | Lead-3 |');
out('|---|---|---|---|');
const summaryScores: Array<{ ours: number; lead: number }> = [];
for (const [set, file] of [
  ['news', 'news_en.jsonl'],
  ['meetings', 'meetings_en.jsonl'],
] as const) {
  for (const doc of jsonl<SummarizedDocument>(file)) {
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

// --- Chinese news ---------------------------------------------------------------------------
out('## Summaries, Chinese news, first set: ROUGE-L F1 on characters');
out();
out(
  "LCSTS posts of `news_zh.jsonl` with their authors' one-line summaries. The engine was tuned on the `tuning` posts (every other one, from the first); the `held-out` ones were measured twice before the larger sets below came in, so they are no longer blind, and the target is now judged on the larger sets.",
);
out();
out('| post | split | characters | summary characters | engine | Lead-3 |');
out('|---|---|---|---|---|---|');
const zh = await chineseNewsScores(engine);
for (const p of zh.posts) {
  out(`| ${p.id} | ${p.split} | ${p.textLength} | ${p.length} | ${num(p.ours)} | ${num(p.lead)} |`);
}
const signed = (x: number) => `${x >= 0 ? '+' : ''}${pct(x)}`;
const zhTuning = zh.mean('tuning');
const zhHeldOut = zh.mean('held-out');
out(
  `| **mean, tuning** (${zhTuning.count}) | | | | **${num(zhTuning.ours)}** | **${num(zhTuning.lead)}** |`,
);
out(
  `| **mean, held-out** (${zhHeldOut.count}) | | | | **${num(zhHeldOut.ours)}** | **${num(zhHeldOut.lead)}** |`,
);
out();
out(
  `Relative to Lead-3: ${signed(zhTuning.relative)} on the tuning posts, ${signed(zhHeldOut.relative)} on the held-out ones.`,
);
out();
out(
  'Long news pages (1.4-2.7 K characters). Their reference is their headline only, not a summary: shown for length and for lead-versus-centrality behaviour, not a target.',
);
out();
out(
  '| page | characters | summary characters | Lead-3 characters | engine vs headline | Lead-3 vs headline |',
);
out('|---|---|---|---|---|---|');
for (const p of zh.pages) {
  out(
    `| ${p.id} | ${p.textLength} | ${p.length} | ${p.leadLength} | ${num(p.ours)} | ${num(p.lead)} |`,
  );
}
out();

out('## Summaries, Chinese news, larger sets: ROUGE-L F1 on characters');
out();
out(
  'Each set is split by a hash of the item id (`splitOf` in `scripts/eval-sets.ts`, fixed before any result was seen): the engine was developed on the `development` part only, and the target is judged on the held-out LCSTS posts. Lengths are mean characters.',
);
out();
for (const { name, file, reference } of CHINESE_NEWS_SETS)
  out(`- ${name} (\`${file}\`): ${reference}.`);
out();
out(
  '| set | split | items | engine | Lead-3 | relative | summary length | Lead-3 length | reference length |',
);
out('|---|---|---|---|---|---|---|---|---|');
const zhSets = await chineseNewsSetScores(engine);
for (const { name } of CHINESE_NEWS_SETS) {
  for (const split of ['development', 'held-out'] as const) {
    const m = zhSets.mean(name, split);
    out(
      `| ${name} | ${split} | ${m.count} | ${num(m.ours)} | ${num(m.lead)} | ${signed(m.relative)} | ${m.length.toFixed(0)} | ${m.leadLength.toFixed(0)} | ${m.referenceLength.toFixed(0)} |`,
    );
  }
}
out();
out('A few held-out items, the first of each set in file order:');
out();
out('| item | characters | engine | Lead-3 | summary |');
out('|---|---|---|---|---|');
for (const { name } of CHINESE_NEWS_SETS) {
  for (const i of zhSets.items
    .filter((x) => x.set === name && x.split === 'held-out')
    .slice(0, 3)) {
    out(
      `| ${i.id} | ${i.textLength} | ${num(i.ours)} | ${num(i.lead)} | ${i.summary.replace(/\|/g, '\\|')} |`,
    );
  }
}
out();
const zhTarget = zhSets.mean('LCSTS posts', 'held-out');

out('## Targets');
out();
out('| measure | value | target | met |');
out('|---|---|---|---|');
const row = (name: string, value: string, target: string, met: boolean) =>
  out(`| ${name} | ${value} | ${target} | ${met ? 'yes' : 'no'} |`);
row('task recall (policy documents)', pct(policyRecall), '≥ 95%', policyRecall >= 0.95);
row('task precision (policy documents)', pct(policyPrecision), '≥ 80%', policyPrecision >= 0.8);
row('summary ROUGE-L vs Lead-3, English (relative)', signed(relative), '≥ +10%', relative >= 0.1);
row(
  `summary ROUGE-L vs Lead-3, Chinese news, ${zhTarget.count} held-out LCSTS posts of \`news_zh_lcsts.jsonl\` (relative)`,
  signed(zhTarget.relative),
  '≥ +10%',
  zhTarget.relative >= 0.1,
);
for (const [name, t] of [
  ['owner recall', recall(fields.owner)],
  ['owner precision', precision(fields.owner)],
  ['deadline recall', recall(fields.deadline)],
  ['deadline precision', precision(fields.deadline)],
] as const) {
  row(`${name} (owners.jsonl, all)`, pct(t), '≥ 90%', t >= 0.9);
}
row('furniture in summaries or tasks (samples)', String(furnitureLeaks), '0', furnitureLeaks === 0);

const report = `${lines.join('\n')}\n`;
console.log(report);
if (!process.argv.includes('--no-write')) writeFileSync(resolve(ROOT, 'eval', 'REPORT.md'), report);
