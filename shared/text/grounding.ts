import type { Evidence } from '../contract';
import { codePointIndex, joinLines, SPACE } from './chars';

/**
 * Folds a UTF-16 unit for matching: full-width ASCII to ASCII, curly quotes to straight ones,
 * Latin letters to lower case. Every fold maps one unit to one unit, so positions survive.
 */
function fold(ch: string): string {
  const c = ch.charCodeAt(0);
  if (c >= 0xff01 && c <= 0xff5e) return String.fromCharCode(c - 0xfee0).toLowerCase();
  if (ch === '“' || ch === '”' || ch === '„') return '"';
  if (ch === '‘' || ch === '’') return "'";
  if (c < 0x80) return ch.toLowerCase();
  return ch;
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

  /**
   * @param source the text quotes are looked for in.
   * @param raw when `source` was read out of another text (an HTML page), that text and the
   *   range of it each unit of `source` came from: evidence offsets then index the raw text.
   */
  constructor(
    private readonly source: string,
    private readonly raw?: { text: string; start: Int32Array; end: Int32Array },
  ) {
    const units: string[] = [];
    const map: number[] = [];
    for (let i = 0; i < source.length; i++) {
      const ch = source[i] ?? '';
      if (SPACE.test(ch)) continue;
      // A hyphen that ends a line inside a word joins its halves (as normalize reads it): match
      // the word without it. Other line-end hyphens ("Covid-\n19") are kept.
      if (
        ch === '-' &&
        /[A-Za-z]/.test(source[i - 1] ?? '') &&
        JOINING_HYPHEN.test(source.slice(i, i + 40))
      ) {
        continue;
      }
      units.push(fold(ch));
      map.push(i);
    }
    this.compact = units.join('');
    this.toSource = Int32Array.from(map);
    this.hasSurrogates = /[\ud800-\udfff]/.test(raw?.text ?? source);
  }

  /**
   * Locates `quote` in the source. Where it occurs more than once, an occurrence inside `within`
   * wins, then the one nearest `near` (UTF-16 indexes of the source), then the first.
   * Returns null when the quote is not in the source.
   */
  locate(quote: string, near?: number, within?: { from: number; to: number }): Located | null {
    const needle = Array.from(quote.replace(SPACES_AND_DASH_BREAKS, ''), fold).join('');
    if (needle.length === 0) return null;
    const target = near ?? within?.from;
    let best = -1;
    let bestScore = Number.POSITIVE_INFINITY;
    for (
      let at = this.compact.indexOf(needle);
      at >= 0;
      at = this.compact.indexOf(needle, at + 1)
    ) {
      const from = this.toSource[at] ?? 0;
      const inside = within !== undefined && from >= within.from && from < within.to;
      const score = (inside ? 0 : 1e12) + (target === undefined ? 0 : Math.abs(from - target));
      if (score < bestScore) {
        best = at;
        bestScore = score;
      }
      if (target === undefined && (within === undefined || inside)) break;
      if (within !== undefined && from >= within.to && best >= 0 && bestScore < 1e12) break;
    }
    if (best < 0) return null;
    const from = this.toSource[best] ?? 0;
    const to = (this.toSource[best + needle.length - 1] ?? from) + 1;
    return { from, to, evidence: this.evidence(from, to) };
  }

  /** The evidence for a UTF-16 range of the source: its text with line breaks joined. */
  evidence(from: number, to: number): Evidence {
    const quote = joinLines(this.source.slice(from, to));
    const text = this.raw?.text ?? this.source;
    const rawFrom = this.raw ? (this.raw.start[from] ?? 0) : from;
    const rawTo = this.raw ? (this.raw.end[to - 1] ?? rawFrom) : to;
    const start = this.hasSurrogates ? codePointIndex(text, rawFrom) : rawFrom;
    const end = this.hasSurrogates
      ? start + codePointIndex(text.slice(rawFrom, rawTo), rawTo - rawFrom)
      : rawTo;
    return { quote, start, end };
  }
}

/** A hyphen at a line end followed, on the next line, by a lower-case letter. */
const JOINING_HYPHEN = /^-[ \t]*(?:\r\n|\r|\n)[ \t\u3000]*[a-z]/;

const SPACES_AND_DASH_BREAKS =
  /(?<=[A-Za-z])-[ \t]*(?:\r\n|\r|\n)[ \t]*(?=[a-z])|[\s\u3000\u00a0\u2000-\u200b\u202f\u205f\ufeff]+/g;
