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

/**
 * {@link SPACE} for one UTF-16 unit, without a regular expression: the loops over every unit of
 * a document call it millions of times.
 */
export function isSpaceCode(c: number): boolean {
  if (c < 0x80) return c === 0x20 || (c >= 0x09 && c <= 0x0d);
  return (
    c === 0xa0 ||
    c === 0x1680 ||
    (c >= 0x2000 && c <= 0x200b) ||
    c === 0x2028 ||
    c === 0x2029 ||
    c === 0x202f ||
    c === 0x205f ||
    c === 0x3000 ||
    c === 0xfeff
  );
}

const UTF16 = new TextDecoder('utf-16le');
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Whether `codes` holds half of a surrogate pair without the other half. */
function hasLoneSurrogate(codes: Uint16Array): boolean {
  for (let i = 0; i < codes.length; i++) {
    const c = codes[i] ?? 0;
    if (c < 0xd800 || c > 0xdfff) continue;
    const next = codes[i + 1] ?? 0;
    if (c > 0xdbff || next < 0xdc00 || next > 0xdfff) return true;
    i++;
  }
  return false;
}

/** The string of the first `length` UTF-16 units of `codes`. */
export function unitsToString(codes: Uint16Array, length: number): string {
  const units = codes.subarray(0, length);
  // The decoder is the fast way, but it would replace a lone surrogate with U+FFFD.
  if (LITTLE_ENDIAN && !hasLoneSurrogate(units)) return UTF16.decode(units);
  // One piece at a time: a call takes only so many arguments.
  const parts: string[] = [];
  for (let i = 0; i < length; i += 8192) {
    parts.push(String.fromCharCode(...codes.subarray(i, Math.min(length, i + 8192))));
  }
  return parts.join('');
}

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

const CHECKPOINT = 4096;

/**
 * {@link codePointIndex} for many indexes of one text: the count at every 4,096th unit is taken
 * once, so a lookup reads at most 4,096 units instead of the whole text before the index.
 */
export function codePointCounter(text: string): (index: number) => number {
  const isLow = (i: number) => {
    const c = text.charCodeAt(i);
    return c >= 0xdc00 && c <= 0xdfff;
  };
  const isHigh = (i: number) => {
    const c = text.charCodeAt(i);
    return c >= 0xd800 && c <= 0xdbff;
  };
  // A unit starts a code point unless it is the low half of a pair.
  const starts = (from: number, to: number) => {
    let count = 0;
    for (let i = from; i < to; i++) if (!(isLow(i) && i > 0 && isHigh(i - 1))) count++;
    return count;
  };
  const checkpoints = new Int32Array(Math.floor(text.length / CHECKPOINT) + 1);
  for (let k = 1; k < checkpoints.length; k++) {
    checkpoints[k] = (checkpoints[k - 1] ?? 0) + starts((k - 1) * CHECKPOINT, k * CHECKPOINT);
  }
  return (index) => {
    const at = Math.max(0, Math.min(index, text.length));
    const k = Math.floor(at / CHECKPOINT);
    return (checkpoints[k] ?? 0) + starts(k * CHECKPOINT, at);
  };
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

const CN_DIGIT: Record<string, number> = {
  〇: 0,
  零: 0,
  一: 1,
  二: 2,
  两: 2,
  三: 3,
  四: 4,
  五: 5,
  六: 6,
  七: 7,
  八: 8,
  九: 9,
};
const CN_UNIT: Record<string, number> = { 十: 10, 百: 100, 千: 1000 };
const CN_BIG: Record<string, number> = { 万: 1e4, 亿: 1e8 };

/**
 * The value of a run of Chinese numerals (五千 5000, 一万二千 12000, 十五 15, 二〇二五 2025), or
 * null: quantities in the support check, ordinals (第十二, 十五是) in the offline engine.
 */
export function chineseNumeral(run: string): number | null {
  // Digits alone are read one by one, as years are written: 二〇二五 is 2025.
  if (run.length > 1 && [...run].every((ch) => CN_DIGIT[ch] !== undefined)) {
    return Number([...run].map((ch) => CN_DIGIT[ch]).join(''));
  }
  let total = 0;
  let section = 0;
  let digit = -1;
  for (const ch of run) {
    const d = CN_DIGIT[ch];
    if (d !== undefined) {
      digit = d;
      continue;
    }
    const unit = CN_UNIT[ch];
    if (unit !== undefined) {
      section += (digit < 0 ? 1 : digit) * unit;
      digit = -1;
      continue;
    }
    const big = CN_BIG[ch] ?? 1;
    total = (total + section + Math.max(digit, 0)) * big;
    section = 0;
    digit = -1;
  }
  const value = total + section + Math.max(digit, 0);
  return value > 0 || digit === 0 ? value : null;
}
