/**
 * The evaluation sets and how each is scored, shared by `npm run eval` (the report) and the unit
 * test that keeps the offline engine's figures above their targets. Fixtures are read from
 * test/fixtures/eval; see its README for where each comes from.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Engine } from '../shared/engines/engine';
import { digestContent } from '../shared/pipeline';
import {
  type ExpectedTask,
  fieldScores,
  lead3,
  type PredictedTask,
  rougeL,
  taskScores,
} from './eval-metrics';

export const FIXTURES = resolve(import.meta.dirname, '..', 'test', 'fixtures', 'eval');

/** The lines of a JSON Lines fixture, parsed. */
export function jsonl<T>(name: string): T[] {
  return readFileSync(resolve(FIXTURES, name), 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as T);
}

export interface PolicyDocument {
  id: string;
  text: string;
  reference_tasks: string[];
}

export interface SummarizedDocument {
  id: string;
  text: string;
  reference_summary: string;
  reference_type?: string;
}

/** A document of the owner and deadline set: its own text, or a policy document's by id. */
export interface OwnerDocument {
  id: string;
  /** A: written before the code and tuned on; B, C and D: written later, first measured blind. */
  split: string;
  kind: string;
  script: string;
  text?: string;
  /** The fixture holding the text, for documents shared with another set. */
  text_from?: string;
  expected: ExpectedTask[];
}

/** Sums of found/expected and correct/predicted, for recall and precision over many documents. */
export interface Tally {
  expected: number;
  found: number;
  predicted: number;
  correct: number;
}

export const emptyTally = (): Tally => ({ expected: 0, found: 0, predicted: 0, correct: 0 });

export function addTally(into: Tally, s: Tally): void {
  into.expected += s.expected;
  into.found += s.found;
  into.predicted += s.predicted;
  into.correct += s.correct;
}

export const recall = (t: Tally) => (t.expected === 0 ? 1 : t.found / t.expected);
export const precision = (t: Tally) => (t.predicted === 0 ? 1 : t.correct / t.predicted);

async function predictedTasks(engine: Engine, text: string): Promise<PredictedTask[]> {
  const body = await digestContent({ engine }, text, 'text');
  return body.articles.flatMap((a) =>
    a.tasks.map((t) => ({
      task: t.task,
      quote: t.evidence.quote,
      owner: t.owner,
      deadline: t.deadline,
    })),
  );
}

/** Task recall and precision against the policy documents' own enumerated headings. */
export async function policyTaskScores(engine: Engine) {
  const documents = [];
  const total = emptyTally();
  for (const doc of jsonl<PolicyDocument>('policy_zh.jsonl')) {
    const s = taskScores(await predictedTasks(engine, doc.text), doc.reference_tasks);
    addTally(total, {
      expected: s.reference,
      found: s.found,
      predicted: s.predicted,
      correct: s.correct,
    });
    documents.push({ id: doc.id, ...s });
  }
  return { documents, total };
}

/** Owner and deadline scores of every document of `owners.jsonl`, by document and in total. */
export async function ownerDeadlineScores(engine: Engine) {
  const policies = new Map(jsonl<PolicyDocument>('policy_zh.jsonl').map((d) => [d.id, d.text]));
  const documents: Array<{
    doc: OwnerDocument;
    owner: ReturnType<typeof fieldScores>;
    deadline: ReturnType<typeof fieldScores>;
  }> = [];
  for (const doc of jsonl<OwnerDocument>('owners.jsonl')) {
    const text = doc.text ?? policies.get(doc.id);
    if (text === undefined) throw new Error(`owners.jsonl: no text for ${doc.id}`);
    const predicted = await predictedTasks(engine, text);
    documents.push({
      doc,
      owner: fieldScores(predicted, doc.expected, 'owner'),
      deadline: fieldScores(predicted, doc.expected, 'deadline'),
    });
  }
  const total = (split?: string) => {
    const owner = emptyTally();
    const deadline = emptyTally();
    for (const d of documents) {
      if (split !== undefined && d.doc.split !== split) continue;
      addTally(owner, d.owner);
      addTally(deadline, d.deadline);
    }
    return { owner, deadline };
  };
  return { documents, total };
}

/**
 * Which LCSTS posts of `news_zh.jsonl` the offline engine was tuned on: every other one, from
 * the first. The rest are held out, and their figures are the ones the target is judged on.
 */
export const isTuningPost = (index: number) => index % 2 === 0;

/**
 * ROUGE-L (characters) of the engine's summaries and of Lead-3 against the references of
 * `news_zh.jsonl`: the LCSTS posts (by split) and the long pages, whose reference is only their
 * headline (reported, not a target).
 */
export async function chineseNewsScores(engine: Engine) {
  const posts: Array<{
    id: string;
    split: 'tuning' | 'held-out';
    ours: number;
    lead: number;
    length: number;
    textLength: number;
  }> = [];
  const pages: Array<{
    id: string;
    ours: number;
    lead: number;
    length: number;
    leadLength: number;
    textLength: number;
  }> = [];
  const all = jsonl<SummarizedDocument>('news_zh.jsonl');
  const lcsts = all.filter((d) => d.id.startsWith('lcsts-'));
  for (const [i, doc] of lcsts.entries()) {
    const body = await digestContent({ engine }, doc.text, 'text');
    posts.push({
      id: doc.id,
      split: isTuningPost(i) ? 'tuning' : 'held-out',
      ours: rougeL(body.summary, doc.reference_summary, 'zh'),
      lead: rougeL(lead3(doc.text, 'zh'), doc.reference_summary, 'zh'),
      length: body.summary.length,
      textLength: doc.text.length,
    });
  }
  for (const doc of all.filter((d) => !d.id.startsWith('lcsts-'))) {
    const body = await digestContent({ engine }, doc.text, 'text');
    const lead = lead3(doc.text, 'zh');
    pages.push({
      id: doc.id,
      ours: rougeL(body.summary, doc.reference_summary, 'zh'),
      lead: rougeL(lead, doc.reference_summary, 'zh'),
      length: body.summary.length,
      leadLength: lead.length,
      textLength: doc.text.length,
    });
  }
  const mean = (split: string) => {
    const rows = posts.filter((p) => p.split === split);
    const ours = rows.reduce((n, p) => n + p.ours, 0) / rows.length;
    const lead = rows.reduce((n, p) => n + p.lead, 0) / rows.length;
    return { ours, lead, relative: lead === 0 ? 0 : (ours - lead) / lead, count: rows.length };
  };
  return { posts, pages, mean };
}

/** The larger Chinese news sets, with the reference each item's summary is scored against. */
export const CHINESE_NEWS_SETS = [
  {
    name: 'LCSTS posts',
    file: 'news_zh_lcsts.jsonl',
    reference: "the author's one-line headline of a Weibo news post (about 100 characters)",
  },
  {
    name: 'CLTS articles',
    file: 'news_zh_clts.jsonl',
    reference: "the editor's summary of a long ThePaper.cn article",
  },
] as const;

export type ChineseNewsSet = (typeof CHINESE_NEWS_SETS)[number]['name'];

/** FNV-1a (32-bit) of a string's UTF-16 units. */
function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

/**
 * The part of a larger Chinese news set an item belongs to, by its id alone: `held-out` when the
 * FNV-1a hash of the id is odd, `development` otherwise. Fixed before any result on these sets was
 * seen, so that neither the order of the items nor their scores can steer the split. The engine
 * is developed on the `development` part only; the `held-out` part is what the target is judged on.
 */
export function splitOf(id: string): 'development' | 'held-out' {
  return (fnv1a(id) & 1) === 1 ? 'held-out' : 'development';
}

export interface SetItemScore {
  set: ChineseNewsSet;
  id: string;
  split: 'development' | 'held-out';
  ours: number;
  lead: number;
  /** Characters of the engine's summary, of Lead-3, of the reference and of the text. */
  length: number;
  leadLength: number;
  referenceLength: number;
  textLength: number;
  summary: string;
}

/**
 * ROUGE-L (characters) of the engine's summaries and of Lead-3 on the larger Chinese news sets
 * ({@link CHINESE_NEWS_SETS}), item by item, with means by set and split. `splits` limits which
 * parts are run at all: development work passes `['development']` so that the held-out items are
 * not even summarized.
 */
export async function chineseNewsSetScores(
  engine: Engine,
  splits: ReadonlyArray<'development' | 'held-out'> = ['development', 'held-out'],
) {
  const items: SetItemScore[] = [];
  for (const { name, file } of CHINESE_NEWS_SETS) {
    for (const doc of jsonl<SummarizedDocument>(file)) {
      const split = splitOf(doc.id);
      if (!splits.includes(split)) continue;
      const body = await digestContent({ engine }, doc.text, 'text');
      const lead = lead3(doc.text, 'zh');
      items.push({
        set: name,
        id: doc.id,
        split,
        ours: rougeL(body.summary, doc.reference_summary, 'zh'),
        lead: rougeL(lead, doc.reference_summary, 'zh'),
        length: body.summary.length,
        leadLength: lead.length,
        referenceLength: doc.reference_summary.length,
        textLength: doc.text.length,
        summary: body.summary,
      });
    }
  }
  const mean = (set: ChineseNewsSet, split: 'development' | 'held-out') => {
    const rows = items.filter((i) => i.set === set && i.split === split);
    const avg = (f: (i: SetItemScore) => number) =>
      rows.length === 0 ? 0 : rows.reduce((n, i) => n + f(i), 0) / rows.length;
    const ours = avg((i) => i.ours);
    const lead = avg((i) => i.lead);
    return {
      count: rows.length,
      ours,
      lead,
      relative: lead === 0 ? 0 : (ours - lead) / lead,
      length: avg((i) => i.length),
      leadLength: avg((i) => i.leadLength),
      referenceLength: avg((i) => i.referenceLength),
    };
  };
  return { items, mean };
}
