/** Metrics of the evaluation harness: ROUGE-L and task matching. */

/** Units ROUGE-L compares: characters for Chinese (punctuation and spaces left out), words otherwise. */
export function units(text: string, language: string): string[] {
  if (language === 'zh') return Array.from(text.replace(/[\s\p{P}\p{S}]/gu, ''));
  return text.toLowerCase().match(/[\p{L}\p{N}]+(?:'[\p{L}]+)?/gu) ?? [];
}

function lcs(a: string[], b: string[]): number {
  if (a.length === 0 || b.length === 0) return 0;
  let prev = new Uint32Array(b.length + 1);
  let row = new Uint32Array(b.length + 1);
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      row[j] =
        a[i - 1] === b[j - 1] ? (prev[j - 1] ?? 0) + 1 : Math.max(prev[j] ?? 0, row[j - 1] ?? 0);
    }
    [prev, row] = [row, prev];
  }
  return prev[b.length] ?? 0;
}

/** ROUGE-L F1 of a candidate against a reference (Lin 2004, beta = 1). */
export function rougeL(candidate: string, reference: string, language: string): number {
  const c = units(candidate, language);
  const r = units(reference, language);
  const l = lcs(c, r);
  if (l === 0) return 0;
  const precision = l / c.length;
  const recall = l / r.length;
  return (2 * precision * recall) / (precision + recall);
}

const squash = (text: string) => text.replace(/[\s\p{P}\p{S}]/gu, '');

/**
 * Whether a predicted task covers a reference task heading: the heading (punctuation and spaces
 * ignored) stands in the task statement or in its evidence quote.
 */
export function covers(task: { task: string; quote: string }, heading: string): boolean {
  const h = squash(heading);
  return h.length > 0 && (squash(task.task).includes(h) || squash(task.quote).includes(h));
}

/** Task recall and precision against reference headings. */
export function taskScores(predicted: Array<{ task: string; quote: string }>, reference: string[]) {
  const found = reference.filter((h) => predicted.some((t) => covers(t, h))).length;
  const correct = predicted.filter((t) => reference.some((h) => covers(t, h))).length;
  return {
    recall: reference.length === 0 ? 1 : found / reference.length,
    precision:
      predicted.length === 0 ? (reference.length === 0 ? 1 : 0) : correct / predicted.length,
    found,
    correct,
    predicted: predicted.length,
    reference: reference.length,
  };
}

/** The first three sentences of a text: the Lead-3 baseline. */
export function lead3(text: string, language: string): string {
  const segmenter = new Intl.Segmenter(language === 'zh' ? 'zh' : 'en', {
    granularity: 'sentence',
  });
  const sentences = [...segmenter.segment(text.replace(/\s*\n\s*/g, language === 'zh' ? '' : ' '))]
    .map((s) => s.segment.trim())
    .filter((s) => s.length > 0);
  return sentences.slice(0, 3).join(language === 'zh' ? '' : ' ');
}

/** A task as the owner and deadline set states it: a phrase of the action, who, and by when. */
export interface ExpectedTask {
  task: string;
  owner: string | null;
  deadline: string | null;
}

/** A task as the engine wrote it: its statement, its evidence quote, who, and by when. */
export interface PredictedTask {
  task: string;
  quote: string;
  owner: string | null;
  deadline: string | null;
}

/**
 * Whether two owners or deadlines are the same as written: compared after NFKC and lower-casing,
 * without spaces, punctuation or a leading "the" ("The parks department" = "the parks department").
 */
export function sameField(a: string | null, b: string | null): boolean {
  if (a === null || b === null) return a === b;
  const fold = (s: string) =>
    squash(
      s
        .normalize('NFKC')
        .toLowerCase()
        .replace(/^the\s+/u, ''),
    );
  return fold(a) !== '' && fold(a) === fold(b);
}

/**
 * Precision and recall of one field (owner or deadline) against a set of expected tasks. Recall:
 * the expected values (those not null) that a task covering their action states. Precision: the
 * values the engine states (not null) that equal the expected value of an action their task
 * covers; a value on a task that covers no expected action counts as wrong. A task covers an
 * action when its statement, or failing any such task its quote, contains the action's phrase.
 */
export function fieldScores(
  predicted: PredictedTask[],
  expected: ExpectedTask[],
  field: 'owner' | 'deadline',
) {
  const stated = (t: PredictedTask) => ({ task: t.task, quote: t.task });
  const coverers = (e: ExpectedTask) => {
    const byStatement = predicted.filter((t) => covers(stated(t), e.task));
    return byStatement.length > 0 ? byStatement : predicted.filter((t) => covers(t, e.task));
  };
  const wanted = expected.filter((e) => e[field] !== null);
  const found = wanted.filter((e) => coverers(e).some((t) => sameField(t[field], e[field]))).length;
  const given = predicted.filter((t) => t[field] !== null);
  const correct = given.filter((t) =>
    expected.some((e) => coverers(e).includes(t) && sameField(t[field], e[field])),
  ).length;
  return {
    expected: wanted.length,
    found,
    predicted: given.length,
    correct,
    recall: wanted.length === 0 ? 1 : found / wanted.length,
    precision: given.length === 0 ? (wanted.length === 0 ? 1 : 0) : correct / given.length,
  };
}
