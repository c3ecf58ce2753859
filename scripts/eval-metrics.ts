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
