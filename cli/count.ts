/**
 * Counts in words, as the command line and the review page print them: "1 task", "7 tasks",
 * "1,000 documents". Pure, with no Node or DOM dependency, so that the page's bundle can use it.
 */

/** `n` with thousands separators, as in "1,000". */
export function count(n: number): string {
  return n.toLocaleString('en-US');
}

/** The noun for `n` of it: `singular` for exactly one, else `plural` (default: singular + "s"). */
export function noun(n: number, singular: string, plural = `${singular}s`): string {
  return n === 1 ? singular : plural;
}

/** `n` and its noun: "1 error", "0 errors", "1,000 documents". */
export function counted(n: number, singular: string, plural?: string): string {
  return `${count(n)} ${noun(n, singular, plural)}`;
}
