/** Character classes shared by normalization, segmentation and grounding. */

/** Han ideographs, kana, hangul, CJK punctuation and full-width forms: no spaces between them. */
const WIDE =
  /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}\u3000-\u303f\uff00-\uffef\u2014\u2026“”‘’]/u;

/** True when `ch` belongs to a script or punctuation set written without spaces between words. */
export function isWide(ch: string | undefined): boolean {
  return ch !== undefined && WIDE.test(ch);
}

/** White space of any width, including the ideographic space U+3000 and no-break spaces. */
export const SPACE = /[\s\u3000\u00a0\u2000-\u200b\u202f\u205f\ufeff]/;
export const SPACES = /[\s\u3000\u00a0\u2000-\u200b\u202f\u205f\ufeff]+/g;

/** Sentence-final punctuation, CJK and Latin, optionally followed by closing quotes. */
export const SENTENCE_END = /[。！？!?…；;]["'”’」』）)]*$/;

/** The number of Unicode code points in `text` before UTF-16 index `index`. */
export function codePointIndex(text: string, index: number): number {
  let count = 0;
  for (let i = 0; i < index; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < index) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) i++;
    }
    count++;
  }
  return count;
}

/**
 * Removes line breaks and folds white space the way a reader would: a line break next to a wide
 * (CJK) character disappears, any other run of white space becomes one space.
 */
export function joinLines(text: string): string {
  return text
    .replace(SPACES, (run, offset: number, whole: string) => {
      const before = whole[offset - 1];
      const after = whole[offset + run.length];
      if (before === undefined || after === undefined) return '';
      // A word hyphenated at a line end stays one word (hyphen kept, so the quote stays verbatim).
      const lineBreak = /[\r\n]/.test(run);
      if (before === '-' && lineBreak) return '';
      // Spaces within a line are kept (as one); a line break between CJK characters is a wrap.
      return lineBreak && (isWide(before) || isWide(after)) ? '' : ' ';
    })
    .trim();
}

/** Counts Han ideographs and Latin letters to tell the dominant language: "zh", "en" or "und". */
export function detectLanguage(text: string): 'zh' | 'en' | 'und' {
  const sample = text.slice(0, 20_000);
  const han = sample.match(/\p{Script=Han}/gu)?.length ?? 0;
  const latin = sample.match(/[A-Za-z]/g)?.length ?? 0;
  if (han === 0 && latin === 0) return 'und';
  // One Han character carries about as much as a five-letter word.
  return han * 3 >= latin ? 'zh' : 'en';
}
