/**
 * Characters that render as nothing yet split what a reader sees as one word: zero-width space,
 * non-joiner, joiner and direction marks (U+200B-U+200F), soft hyphen, Arabic letter mark,
 * Mongolian vowel separator, bidi embeddings, overrides and isolates (U+202A-U+202E,
 * U+2066-U+2069), word joiner and invisible operators (U+2060-U+2064), byte-order mark.
 */
export const INVISIBLE =
  /[\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]/gu;

/**
 * Folds text for comparison the way a reader compares it: invisible characters removed, NFKC
 * (full-width letters and digits to ASCII, ligatures and compatibility forms to plain ones), lower
 * case. Lengths change, so the result is for matching only, never for offsets.
 */
export function foldText(text: string): string {
  return text.replace(INVISIBLE, '').normalize('NFKC').toLowerCase();
}
