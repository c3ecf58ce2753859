import type { Evidence } from '../contract';
import { codePointCounter, codePointIndex, isSpaceCode, joinLines, unitsToString } from './chars';

/**
 * Folds a UTF-16 unit for matching: full-width ASCII to ASCII, curly quotes to straight ones,
 * Latin letters to lower case. Every fold maps one unit to one unit, so positions survive.
 */
function foldCode(c: number): number {
  const ascii = c >= 0xff01 && c <= 0xff5e ? c - 0xfee0 : c;
  if (ascii >= 0x41 && ascii <= 0x5a) return ascii + 0x20;
  if (ascii < 0x80) return ascii;
  if (c === 0x201c || c === 0x201d || c === 0x201e) return 0x22;
  if (c === 0x2018 || c === 0x2019) return 0x27;
  return c;
}

function fold(text: string): string {
  const units = new Uint16Array(text.length);
  for (let i = 0; i < text.length; i++) units[i] = foldCode(text.charCodeAt(i));
  return unitsToString(units, units.length);
}

/** A quote located in the source: UTF-16 range and the evidence for the contract. */
export interface Located {
  evidence: Evidence;
  /** UTF-16 range in the source, for callers that keep working on the text. */
  from: number;
  to: number;
}

/**
 * Finds quotes in a source text the way a reader would recognise them: ignoring line breaks and
 * white space (scanned pages break lines anywhere, even inside words), the width of ASCII
 * characters and the shape of quotation marks. Built once per document; each lookup is a string
 * search over the compacted text.
 */
export class QuoteLocator {
  private readonly compact: string;
  /** For each unit of `compact`, its UTF-16 index in the source. */
  private readonly toSource: Int32Array;
  private readonly hasSurrogates: boolean;
  private codePoints: ((index: number) => number) | null = null;

  /**
   * @param source the text quotes are looked for in.
   * @param raw when `source` was read out of another text (an HTML page), that text and the
   *   range of it each unit of `source` came from: evidence offsets then index the raw text.
   */
  constructor(
    private readonly source: string,
    private readonly raw?: { text: string; start: Int32Array; end: Int32Array },
  ) {
    const units = new Uint16Array(source.length);
    const map = new Int32Array(source.length);
    let length = 0;
    for (let i = 0; i < source.length; i++) {
      const c = source.charCodeAt(i);
      if (isSpaceCode(c)) continue;
      // A hyphen that ends a line inside a word joins its halves (as normalize reads it): match
      // the word without it. Other line-end hyphens ("Covid-\n19") are kept.
      if (
        c === 0x2d &&
        /[A-Za-z]/.test(source[i - 1] ?? '') &&
        JOINING_HYPHEN.test(source.slice(i, i + 40))
      ) {
        continue;
      }
      units[length] = foldCode(c);
      map[length] = i;
      length++;
    }
    this.compact = unitsToString(units, length);
    this.toSource = map.slice(0, length);
    this.hasSurrogates = /[\ud800-\udfff]/.test(raw?.text ?? source);
  }

  /**
   * Locates `quote` in the source. Where it occurs more than once, an occurrence inside `within`
   * wins, then the one nearest `near` (UTF-16 indexes of the source), then the first. A quote a
   * model shortened with an ellipsis (…… ... ⋯) that the source does not hold as it is, is
   * matched on what precedes the ellipsis (on what follows it when it opens with one), and the
   * evidence is that text alone. Returns null when the quote is not in the source.
   */
  locate(quote: string, near?: number, within?: { from: number; to: number }): Located | null {
    const found = this.find(quote, near, within);
    const shortened = beforeEllipsis(quote);
    return found ?? (shortened === quote ? null : this.find(shortened, near, within));
  }

  private find(quote: string, near?: number, within?: { from: number; to: number }) {
    const needle = fold(quote.replace(SPACES_AND_DASH_BREAKS, ''));
    if (needle.length === 0) return null;
    const target = near ?? within?.from;
    const best =
      target === undefined
        ? this.compact.indexOf(needle)
        : within === undefined
          ? this.nearest(needle, target, 0, this.compact.length)
          : this.nearestWithin(needle, target, within);
    if (best < 0) return null;
    const from = this.toSource[best] ?? 0;
    const to = (this.toSource[best + needle.length - 1] ?? from) + 1;
    return { from, to, evidence: this.evidence(from, to) };
  }

  /**
   * The occurrence of `needle` nearest `target` (a source index) among those starting at compact
   * indexes [lo, hi), the earlier on a tie; -1 if none. Only the occurrences on either side of the
   * target are looked for: a quote that repeats all over a long text is not visited everywhere.
   */
  private nearest(needle: string, target: number, lo: number, hi: number): number {
    const split = Math.min(hi, Math.max(lo, lowerBound(this.toSource, target)));
    const after = this.compact.indexOf(needle, split);
    const before = split > lo ? this.compact.lastIndexOf(needle, split - 1) : -1;
    const a = after >= 0 && after < hi ? after : -1;
    const b = before >= lo ? before : -1;
    if (a < 0 || b < 0) return a < 0 ? b : a;
    const distance = (at: number) => Math.abs((this.toSource[at] ?? 0) - target);
    return distance(b) <= distance(a) ? b : a;
  }

  /** An occurrence inside `within` if there is one (the nearest `target`), else the nearest. */
  private nearestWithin(
    needle: string,
    target: number,
    within: { from: number; to: number },
  ): number {
    const lo = lowerBound(this.toSource, within.from);
    const hi = Math.max(lo, lowerBound(this.toSource, within.to));
    const inside = this.nearest(needle, target, lo, hi);
    return inside >= 0 ? inside : this.nearest(needle, target, 0, this.compact.length);
  }

  /** The evidence for a UTF-16 range of the source: its text with line breaks joined. */
  evidence(from: number, to: number): Evidence {
    const quote = joinLines(this.source.slice(from, to));
    const text = this.raw?.text ?? this.source;
    const rawFrom = this.raw ? (this.raw.start[from] ?? 0) : from;
    const rawTo = this.raw ? (this.raw.end[to - 1] ?? rawFrom) : to;
    if (this.hasSurrogates) this.codePoints ??= codePointCounter(text);
    const start = this.codePoints ? this.codePoints(rawFrom) : rawFrom;
    const end = this.hasSurrogates
      ? start + codePointIndex(text.slice(rawFrom, rawTo), rawTo - rawFrom)
      : rawTo;
    return { quote, start, end };
  }
}

/** The first index of ascending `values` whose value is at least `target`. */
function lowerBound(values: Int32Array, target: number): number {
  let lo = 0;
  let hi = values.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((values[mid] ?? 0) < target) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** A hyphen at a line end followed, on the next line, by a lower-case letter. */
const JOINING_HYPHEN = /^-[ \t]*(?:\r\n|\r|\n)[ \t\u3000]*[a-z]/;

const SPACES_AND_DASH_BREAKS =
  /(?<=[A-Za-z])-[ \t]*(?:\r\n|\r|\n)[ \t]*(?=[a-z])|[\s\u3000\u00a0\u2000-\u200b\u202f\u205f\ufeff]+/g;

/** An ellipsis as models write one: …, ……, ⋯, three or more dots, 。。。 */
const ELLIPSIS = /\u2026+|\u22ef+|\.{3,}|\u3002{3,}/;

/**
 * What a quote says before its first ellipsis (after it, when it opens with one): the part a
 * model copied before it stopped copying. A quote without an ellipsis is returned as it is.
 */
export function beforeEllipsis(quote: string): string {
  if (!ELLIPSIS.test(quote)) return quote;
  for (const piece of quote.split(ELLIPSIS)) {
    if (piece.replace(SPACES_AND_DASH_BREAKS, '') !== '') return piece.trim();
  }
  return '';
}

/**
 * Where `anchor` starts in `text` (a UTF-16 index), compared as quotes are (white space, ASCII
 * width, quotation-mark shapes and letter case ignored; an anchor with an ellipsis that the text
 * does not hold is looked for by what precedes it); -1 when it is not there or says nothing. The
 * first occurrence wins.
 */
export function findAnchor(text: string, anchor: string): number {
  const needle = (words: string) => fold(words.replace(SPACES_AND_DASH_BREAKS, ''));
  const whole = needle(anchor);
  const shortened = needle(beforeEllipsis(anchor));
  if (whole === '' || shortened === '') return -1;
  const units = new Uint16Array(text.length);
  const map = new Int32Array(text.length);
  let length = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (isSpaceCode(c)) continue;
    units[length] = foldCode(c);
    map[length] = i;
    length++;
  }
  const compact = unitsToString(units, length);
  let at = compact.indexOf(whole);
  if (at < 0 && shortened !== whole) at = compact.indexOf(shortened);
  return at < 0 ? -1 : (map[at] ?? -1);
}
