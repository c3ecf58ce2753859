import { isSpaceCode, isWide, SENTENCE_END, unitsToString } from './chars';

/**
 * A normalized document: paragraphs as a reader sees them, hard line breaks inside sentences
 * joined, white space folded, and for every UTF-16 unit of `text` the UTF-16 index in the source
 * it came from (`toSource`, with one extra entry for the end).
 */
export interface Normalized {
  text: string;
  toSource: Int32Array;
  /** Paragraphs as [start, end) UTF-16 ranges of `text`; `text` joins them with "\n". */
  paragraphs: Array<{ start: number; end: number }>;
}

interface Line {
  /** Source UTF-16 range of the content, white space trimmed. */
  start: number;
  end: number;
  indented: boolean;
  /** Whether one or more blank lines precede this line. */
  afterBlank: boolean;
}

/** A line that opens a list item: 1. 1) (1) a) - • 一、 （一） 第一， 一是. */
const LIST_ITEM =
  /^(?:\(?\d{1,2}[.)．、]|[（(][一二三四五六七八九十\d]{1,3}[)）]|[-•·●▪*]\s|[一二三四五六七八九十]{1,3}[、是]|第[一二三四五六七八九十]{1,3}[，,、是])/;

const INDENT = /^(?:\u3000|[ \t\u00a0]{2,})/;

function splitLines(source: string): Line[] {
  const lines: Line[] = [];
  const re = /\r\n|\r|\n/g;
  let lineStart = 0;
  let afterBlank = false;
  const push = (start: number, end: number) => {
    let s = start;
    let e = end;
    while (s < e && isSpaceCode(source.charCodeAt(s))) s++;
    while (e > s && isSpaceCode(source.charCodeAt(e - 1))) e--;
    if (s === e) {
      afterBlank = lines.length > 0;
      return;
    }
    lines.push({ start: s, end: e, indented: INDENT.test(source.slice(start, s + 1)), afterBlank });
    afterBlank = false;
  };
  for (let m = re.exec(source); m !== null; m = re.exec(source)) {
    push(lineStart, m.index);
    lineStart = m.index + m[0].length;
  }
  push(lineStart, source.length);
  return lines;
}

/**
 * The width a page was wrapped at, if it was: the 90th percentile of line lengths, when at least
 * half the lines come within a quarter of it (ragged-right Latin text included); else null.
 */
function wrapWidth(lines: Line[]): number | null {
  if (lines.length < 5) return null;
  const lengths = lines.map((l) => l.end - l.start).sort((a, b) => a - b);
  const width = lengths[Math.ceil(lengths.length * 0.9) - 1] ?? 0;
  if (width === 0 || width > 120) return null;
  const full = lengths.filter((n) => n >= width * 0.75 && n <= width + 2).length;
  return full >= lines.length * 0.5 ? width : null;
}

/** Whether a line break between `prev` and `next` ends a paragraph. */
function isParagraphBreak(source: string, prev: Line, next: Line, width: number | null): boolean {
  if (width === null || next.indented) return true;
  if (LIST_ITEM.test(source.slice(next.start, next.start + 6))) return true;
  const prevLen = prev.end - prev.start;
  const nextLen = next.end - next.start;
  if (prevLen > width + 2 || nextLen > width + 2) return true;
  const tail = source.slice(Math.max(prev.start, prev.end - 4), prev.end);
  if (next.afterBlank && SENTENCE_END.test(tail)) return true;
  if (isWide(source[prev.end - 1])) return prevLen < width * 0.8;
  if (/[a-z]-$/i.test(tail) && /[a-z]/.test(source[next.start] ?? '')) return false;
  // Ragged-right text: the break is real when the next line's first word would have fitted,
  // with a little slack because the widest line may overshoot the wrap column.
  const firstWord = /^\S+/.exec(source.slice(next.start, next.end))?.[0].length ?? 0;
  return prevLen + 1 + firstWord <= width - 3;
}

/**
 * Normalizes decoded text for reading: joins hard line breaks inside paragraphs (no space between
 * CJK characters, one space between Latin words, hyphenated Latin words rejoined), keeps
 * paragraph breaks, and folds runs of white space (full-width and no-break spaces included) into
 * one space. A page counts as hard-wrapped when most lines share one width; otherwise every line
 * is a paragraph.
 */
export function normalize(source: string): Normalized {
  const lines = splitLines(source);
  const width = wrapWidth(lines);
  // Typed buffers, not arrays of one-character strings: a 10 MB document is millions of units.
  // Every emitted unit stands for at least one unit of the source, so the source's length is
  // enough.
  const out = new Uint16Array(source.length);
  const map = new Int32Array(source.length + 1);
  let length = 0;
  const paragraphs: Array<{ start: number; end: number }> = [];
  let paragraphStart = 0;

  const emit = (c: number, at: number) => {
    out[length] = c;
    map[length] = at;
    length++;
  };
  const unit = (at: number) =>
    at >= 0 && at < length ? String.fromCharCode(out[at] ?? 0) : undefined;
  const appendLine = (line: Line) => {
    let pendingSpace = -1;
    for (let i = line.start; i < line.end; i++) {
      const c = source.charCodeAt(i);
      // Control characters (NUL padding, form feeds) carry nothing a reader sees.
      if (c < 0x20 && c !== 0x09) continue;
      if (isSpaceCode(c)) {
        if (pendingSpace < 0) pendingSpace = i;
        continue;
      }
      if (pendingSpace >= 0) {
        emit(0x20, pendingSpace);
        pendingSpace = -1;
      }
      emit(c, i);
    }
  };

  lines.forEach((line, index) => {
    const prev = index > 0 ? lines[index - 1] : undefined;
    if (prev) {
      if (isParagraphBreak(source, prev, line, width)) {
        paragraphs.push({ start: paragraphStart, end: length });
        emit(0x0a, prev.end);
        paragraphStart = length;
      } else {
        const last = unit(length - 1);
        const first = source[line.start];
        const beforeLast = unit(length - 2);
        if (
          last === '-' &&
          beforeLast &&
          /[a-z]/i.test(beforeLast) &&
          first &&
          /[a-z]/.test(first)
        ) {
          length--;
        } else if (!isWide(last) && !isWide(first)) {
          emit(0x20, prev.end);
        }
      }
    }
    appendLine(line);
  });
  if (lines.length > 0) paragraphs.push({ start: paragraphStart, end: length });
  map[length] = source.length;
  return {
    text: unitsToString(out, length),
    toSource: map.slice(0, length + 1),
    paragraphs,
  };
}
