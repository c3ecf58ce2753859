import { chineseNumeral } from './chars';
import { foldText } from './fold';
import type { Normalized } from './normalize';

/**
 * Whether what a model wrote about a quote is supported by it: a task's or key point's text, a
 * task's owner and deadline. The quote locates the claim; the words around it must carry it.
 *
 * Texts are compared as bags of content tokens, after folding (NFKC, invisible characters
 * removed, lower case): Han and kana as character bigrams, other words whole with a plural or
 * verb ending cut off and function words left out, and numbers by value ("5,000" = "5000";
 * small ones also as words, 二 or two; 500万 = 5000000).
 */

/** Share of a task's or key point's content tokens that its quote's sentence must contain. */
export const TEXT_SHARE = 0.5;
/** Share of an owner's or deadline's content tokens that its quote's passage must contain. */
export const FIELD_SHARE = 0.75;
/** How far a quote's sentence reaches on each side at most, in UTF-16 units of normalized text. */
const SENTENCE_REACH = 300;
/**
 * A quote's passage: its paragraph, at most this far before and after the quote. 600 after it
 * covers an enumerated item's whole body, where owners and deadlines are usually stated
 * ("（四）优化产业布局。鼓励企业转型。（工业和信息化部负责）").
 */
const PASSAGE_BEFORE = 200;
const PASSAGE_AFTER = 600;

export interface SupportPolicy {
  /**
   * The model was told to write in another language than the source's (`OUTPUT_LANGUAGE`), so
   * words cannot overlap: only numbers and words written in the source's own script (names kept
   * as printed) are checked, and an owner with neither is not kept.
   */
  translated: boolean;
  /** The source's language ("zh", "en", "und"): its script stays checkable when translated. */
  sourceLanguage: string;
}

/**
 * The text around a located quote that may support claims about it. Its token bags are built on
 * first use: most claims hold no number and never look at the passage.
 */
export interface Surroundings {
  /** The sentence(s) the quote stands in. */
  readonly sentence: SourceBag;
  /** The quote's paragraph around it: where an item's owner and deadline are stated. */
  readonly passage: SourceBag;
}

export type Field = 'owner' | 'deadline';

interface Bag {
  words: Set<string>;
  numbers: Set<string>;
}

/**
 * The tokens of the text a claim is checked against. Han and kana tokens (one or two UTF-16
 * units) are kept as numbers, not strings: a passage of 800 characters holds some 1,600 of them,
 * and slicing and hashing that many short strings was the largest CPU cost of grounding an
 * offline digest. {@link SourceBag.has} answers as a set of the same tokens as strings would.
 */
class SourceBag {
  constructor(
    /** Words of scripts written with spaces, stemmed. */
    private readonly words: Set<string>,
    /** Han and kana tokens: a code unit, or two as `(first << 16) | second`. */
    private readonly wide: Set<number>,
    readonly numbers: Set<string>,
  ) {}

  has(token: string): boolean {
    if (this.words.has(token)) return true;
    if (token.length === 1) return this.wide.has(token.charCodeAt(0));
    // A first unit of 0 would make a pair's key that of a single unit; no token starts so.
    if (token.length === 2 && token.charCodeAt(0) !== 0) {
      return this.wide.has(pairKey(token.charCodeAt(0), token.charCodeAt(1)));
    }
    return false;
  }
}

const pairKey = (first: number, second: number) => (first << 16) | second;

/** Checks claims against the document's normalized text. Built once per document. */
export class SupportCheck {
  /** Bags by the range of normalized text they hold: items quoting one sentence share them. */
  private readonly bags = new Map<string, SourceBag>();

  constructor(
    private readonly normalized: Normalized,
    private readonly policy: SupportPolicy,
  ) {}

  private bagOf(from: number, to: number): SourceBag {
    const range = `${from}:${to}`;
    let found = this.bags.get(range);
    if (!found) {
      found = sourceBag(this.normalized.text.slice(from, to));
      this.bags.set(range, found);
    }
    return found;
  }

  /** The sentence and passage around a quote found at UTF-16 range [from, to) of the source. */
  around(from: number, to: number): Surroundings {
    const { text, toSource, paragraphs } = this.normalized;
    const start = lowerBound(toSource, from);
    const end = Math.max(start + 1, lowerBound(toSource, to));
    const first = paragraphs[paragraphAt(paragraphs, start)] ?? { start: 0, end: text.length };
    const last = paragraphs[paragraphAt(paragraphs, end - 1)] ?? first;
    let sentenceStart = start;
    const reachBack = Math.max(first.start, start - SENTENCE_REACH);
    while (sentenceStart > reachBack && !endsSentence(text, sentenceStart - 1)) sentenceStart--;
    let sentenceEnd = end;
    const reachOn = Math.min(last.end, end + SENTENCE_REACH);
    while (sentenceEnd < reachOn && !endsSentence(text, sentenceEnd - 1)) sentenceEnd++;
    const passageStart = Math.max(first.start, start - PASSAGE_BEFORE);
    const passageEnd = Math.max(end, Math.min(last.end, end + PASSAGE_AFTER));
    let sentence: SourceBag | undefined;
    let passage: SourceBag | undefined;
    const bagOf = (from: number, to: number) => this.bagOf(from, to);
    return {
      get sentence() {
        sentence ??= bagOf(sentenceStart, sentenceEnd);
        return sentence;
      },
      get passage() {
        passage ??= bagOf(passageStart, passageEnd);
        return passage;
      },
    };
  }

  /**
   * Whether a task's or key point's text is supported: every number in it stands in the
   * passage, and at least {@link TEXT_SHARE} of its content tokens in the quote's sentence.
   * A text with no content token and no number says nothing the quote could carry: unsupported.
   */
  text(value: string, around: Surroundings): boolean {
    const claim = claimBag(value);
    if (claim.numbers.size > 0 && !subset(claim.numbers, around.passage.numbers)) return false;
    const words = this.checkable(claim.words);
    if (words.length === 0) return claim.numbers.size > 0 || this.policy.translated;
    return share(words, around.sentence) >= TEXT_SHARE;
  }

  /**
   * Whether an owner or a deadline is stated in the quote's passage: every number in it, and at
   * least {@link FIELD_SHARE} of its content tokens. An owner needs something to check (a
   * translated owner has nothing unless it keeps the source's script); a deadline with nothing to
   * check in a translation ("by year end" for 年底前) is let through, as it names no one.
   */
  field(value: string, kind: Field, around: Surroundings): boolean {
    const claim = claimBag(value);
    if (claim.numbers.size > 0 && !subset(claim.numbers, around.passage.numbers)) return false;
    const words = this.checkable(claim.words);
    if (words.length === 0) {
      return claim.numbers.size > 0 || (kind === 'deadline' && this.policy.translated);
    }
    return share(words, around.passage) >= FIELD_SHARE;
  }

  /** The tokens that can be compared with the source: all, or its own script's in a translation. */
  private checkable(words: Set<string>): string[] {
    const all = [...words];
    if (!this.policy.translated) return all;
    if (this.policy.sourceLanguage === 'zh') return all.filter((w) => WIDE_START.test(w));
    if (this.policy.sourceLanguage === 'en') return all.filter((w) => !WIDE_START.test(w));
    return [];
  }
}

const WIDE_RUN = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}]+/gu;
const WIDE_START = /^[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}]/u;
/** Words of scripts written with spaces (Latin, Cyrillic, Greek, Hangul…). */
const WORD = /(?:(?![\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}])[\p{L}\p{M}])+/gu;
const NUMBER = /\p{Nd}+(?:[.,]\p{Nd}+)*/gu;
/** A scale word right after a number: 500万, 1.5 million, $5m. */
const SCALE_AFTER = /\s*(万|亿|thousand|million|billion|bn|k|m)(?![a-z])/uy;
const CN_NUMERAL = /[〇零一二两三四五六七八九十百千万亿]+/gu;

const STOPWORDS = new Set(
  (
    'a an the and or but nor of to in on at by for from with without into onto over under about ' +
    'as is are was were be been being am do does did done has have had having will would shall ' +
    'should must may might can could need needs to it its this that these those there their they ' +
    'them he she him her his hers we us our you your i me my who whom which what when where why ' +
    'how not no all any each both some such than then so also just only very more most other ' +
    'per via up down out off again further once here now until before after end ' +
    // Scale words belong to the number before them, which is compared by value.
    'thousand million billion'
  ).split(' '),
);

const NUMBER_WORDS: Record<string, number> = {
  zero: 0,
  one: 1,
  two: 2,
  three: 3,
  four: 4,
  five: 5,
  six: 6,
  seven: 7,
  eight: 8,
  nine: 9,
  ten: 10,
  eleven: 11,
  twelve: 12,
  first: 1,
  second: 2,
  third: 3,
  fourth: 4,
  fifth: 5,
  sixth: 6,
  seventh: 7,
  eighth: 8,
  ninth: 9,
  tenth: 10,
  dozen: 12,
};

const SCALE: Record<string, number> = {
  万: 1e4,
  亿: 1e8,
  thousand: 1e3,
  k: 1e3,
  million: 1e6,
  m: 1e6,
  billion: 1e9,
  bn: 1e9,
};

/** The content tokens of a claim: a task's or key point's text, an owner, a deadline. */
function claimBag(text: string): Bag {
  const folded = foldText(text);
  const words = new Set<string>();
  for (const [run] of folded.matchAll(WIDE_RUN)) {
    if (run.length === 1) words.add(run);
    for (let i = 0; i + 1 < run.length; i++) words.add(run.slice(i, i + 2));
  }
  return { words, numbers: addTokens(folded, words, false) };
}

/**
 * The content tokens of the text a claim is checked against: single Han and kana characters too,
 * for a claim's one-character runs (元), and the numbers it writes in words (二, two, 五千, 500万),
 * so that a claim writing them in digits matches.
 */
function sourceBag(text: string): SourceBag {
  const folded = foldText(text);
  const words = new Set<string>();
  const wide = new Set<number>();
  for (const [run] of folded.matchAll(WIDE_RUN)) {
    for (let i = 0; i < run.length; i++) {
      const unit = run.charCodeAt(i);
      // A character outside the BMP is two units: the same token as the pair added below.
      if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < run.length) i++;
      else wide.add(unit);
    }
    for (let i = 0; i + 1 < run.length; i++) {
      wide.add(pairKey(run.charCodeAt(i), run.charCodeAt(i + 1)));
    }
  }
  return new SourceBag(words, wide, addTokens(folded, words, true));
}

/**
 * Adds the words of scripts written with spaces to `words`; returns the numbers. `source` as in
 * {@link sourceBag}.
 */
function addTokens(folded: string, words: Set<string>, source: boolean): Set<string> {
  const numbers = new Set<string>();
  for (const [word] of folded.matchAll(WORD)) {
    if (source && NUMBER_WORDS[word] !== undefined) numbers.add(String(NUMBER_WORDS[word]));
    if (word.length < 2 || STOPWORDS.has(word)) continue;
    words.add(stem(word));
  }
  for (const m of folded.matchAll(NUMBER)) {
    const value = canonicalNumber(m[0]);
    SCALE_AFTER.lastIndex = m.index + m[0].length;
    const scale = SCALE[SCALE_AFTER.exec(folded)?.[1] ?? ''];
    // A claim's "5 million" is the number 5000000; the text it is checked against offers both.
    if (scale === undefined || source) numbers.add(value);
    if (scale !== undefined)
      numbers.add(canonicalNumber(String(Math.round(Number(value) * scale))));
  }
  if (source) {
    for (const [run] of folded.matchAll(CN_NUMERAL)) {
      const value = chineseNumeral(run);
      if (value !== null) numbers.add(String(value));
    }
  }
  return numbers;
}

/** Cuts a plural, possessive or verb ending, so "reports", "reported" and "report" meet. */
function stem(word: string): string {
  const base = word.replace(/[’']s$/, '');
  const cut = base.replace(/(?:ing|ed|es|s)$/, '');
  return cut.length >= 3 && !base.endsWith('ss') ? cut : base;
}

/** "1,000,000" → "1000000", "3,5" → "3.5", "007" → "7", "2.50" → "2.5". */
function canonicalNumber(digits: string): string {
  let n = digits.replace(/,(?=\d{3}(?:\D|$))/g, '').replace(/,/g, '.');
  const dot = n.indexOf('.');
  if (dot >= 0 && n.indexOf('.', dot + 1) < 0) n = n.replace(/\.?0+$/, '');
  return n.replace(/^0+(?=\d)/, '');
}

function subset(claim: Set<string>, around: Set<string>): boolean {
  for (const n of claim) if (!around.has(n)) return false;
  return true;
}

function share(words: string[], around: SourceBag): number {
  return words.filter((w) => around.has(w)).length / words.length;
}

/** Whether the character at `i` ends a sentence: 。！？!?；; or a full stop before a space. */
function endsSentence(text: string, i: number): boolean {
  const ch = text[i];
  if (ch === '.') return /\s/.test(text[i + 1] ?? ' ');
  return ch !== undefined && '。！？!?；;\n'.includes(ch);
}

/** The first index whose value is at least `value`, in a non-decreasing array. */
function lowerBound(values: Int32Array, value: number): number {
  let lo = 0;
  let hi = values.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((values[mid] ?? 0) < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The index of the paragraph holding position `at` (the last one starting at or before it). */
function paragraphAt(
  paragraphs: ReadonlyArray<{ start: number; end: number }>,
  at: number,
): number {
  let lo = 0;
  let hi = paragraphs.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if ((paragraphs[mid]?.start ?? 0) <= at) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}
