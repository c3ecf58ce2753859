/**
 * A PDF's text layer put in reading order: pieces of text with their positions become lines,
 * columns are read one after the other, running headers, footers and page numbers are left out,
 * and lines are joined into paragraphs. Pure functions of the positions, so that they are tested
 * without a PDF.
 */
import { isWide, SENTENCE_END } from '../text/chars';

/** A piece of text as the PDF places it: baseline at (x, y), y growing upwards, in points. */
export interface TextRun {
  text: string;
  x: number;
  y: number;
  width: number;
  /** The font size, in points. */
  size: number;
}

export interface PageText {
  width: number;
  height: number;
  runs: TextRun[];
}

/** Runs on one baseline within one column: a line as a reader reads it. */
interface Line {
  text: string;
  left: number;
  right: number;
  y: number;
  size: number;
  /** The column (or the page, outside columns) the line is in. */
  block: number;
}

/** Pieces of text sharing a baseline across the whole page. */
interface Row {
  y: number;
  size: number;
  runs: TextRun[];
}

/** Share of the page's height, at its top and bottom, where running headers and footers stand. */
const MARGIN_SHARE = 0.09;

/** Page numbers as printed: "3", "- 3 -", "Page 3", "Page 3 of 10", "3 / 10", "第 3 页", "iv". */
const PAGE_NUMBER =
  /^(?:[-–—]\s*)?(?:(?:page|p\.|seite|página)\s*)?\d{1,4}(?:\s*(?:of|\/|von|de)\s*\d{1,4})?(?:\s*[-–—])?$|^第\s*\d{1,4}\s*页(?:\s*[/，,]?\s*共\s*\d{1,4}\s*页)?$|^[-–—]?\s*[ivxlc]{1,6}\s*[-–—]?$/i;

/** A line that opens a list item: a new paragraph even without a gap above it. */
const LIST_OPENER =
  /^(?:[-•·●▪*]\s|\(?\d{1,2}[.)．、]\s?|[（(][一二三四五六七八九十\d]{1,3}[)）]|[一二三四五六七八九十]{1,3}[、是]|第[一二三四五六七八九十]{1,3}[，,、是])/u;

const median = (values: number[]): number => {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
};

/** Rows of runs that share a baseline, top of the page first, each row's runs left to right. */
function rowsOf(runs: TextRun[]): Row[] {
  // Runs of white space are kept: a space the PDF draws between CJK words is part of the text.
  const sorted = runs.filter((r) => r.text !== '').sort((a, b) => b.y - a.y || a.x - b.x);
  const rows: Row[] = [];
  for (const run of sorted) {
    const row = rows[rows.length - 1];
    if (row && Math.abs(row.y - run.y) <= Math.min(row.size, run.size) * 0.35) {
      row.runs.push(run);
      row.size = Math.max(row.size, run.size);
    } else {
      rows.push({ y: run.y, size: run.size, runs: [run] });
    }
  }
  for (const row of rows) row.runs.sort((a, b) => a.x - b.x);
  return rows.filter((row) => row.runs.some((run) => run.text.trim() !== ''));
}

/** The text of runs on one baseline, with a space where the gap between two runs is one. */
function joinRuns(runs: TextRun[]): string {
  let text = '';
  let end = Number.NEGATIVE_INFINITY;
  for (const run of runs) {
    const gap = run.x - end;
    const prev = text[text.length - 1];
    const next = run.text[0];
    if (
      text !== '' &&
      gap > run.size * 0.15 &&
      prev !== ' ' &&
      next !== ' ' &&
      next !== undefined
    ) {
      if (!(isWide(prev) && isWide(next))) text += ' ';
    }
    text += run.text;
    end = run.x + run.width;
  }
  return text.replace(/\s+/g, ' ').trim();
}

/** How wide the first word of a line is: the word that would have ended the line above. */
function firstWordWidth(line: Line): number {
  const first = line.text[0];
  const word = isWide(first) ? (first ?? '') : (/^\S+/.exec(line.text)?.[0] ?? '');
  return line.text.length === 0 ? 0 : ((line.right - line.left) * word.length) / line.text.length;
}

/** Intervals of [lo, hi] not covered by `covered`, at least `min` wide. */
function freeIntervals(
  covered: Array<[number, number]>,
  lo: number,
  hi: number,
  min: number,
): Array<[number, number]> {
  const free: Array<[number, number]> = [];
  let at = lo;
  for (const [a, b] of [...covered].sort((x, y) => x[0] - y[0])) {
    if (a - at >= min) free.push([at, a]);
    at = Math.max(at, b);
  }
  if (hi - at >= min) free.push([at, hi]);
  return free;
}

function intersect(
  a: Array<[number, number]>,
  b: Array<[number, number]>,
  min: number,
): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (const [a0, a1] of a) {
    for (const [b0, b1] of b) {
      const lo = Math.max(a0, b0);
      const hi = Math.min(a1, b1);
      if (hi - lo >= min) out.push([lo, hi]);
    }
  }
  return out;
}

/**
 * Lines in reading order. Consecutive rows that share an empty vertical band (a gutter) with
 * text of some length on both sides are columns: the left one is read to its end before the
 * right one, each split again if it has columns of its own. A band crossed by a row (a title
 * over both columns) ends the columns above it.
 */
function readingOrder(rows: Row[], size: number, blocks = { next: 0 }): Line[] {
  if (rows.length === 0) return [];
  const block = blocks.next++;
  const lo = Math.min(...rows.flatMap((r) => r.runs.map((run) => run.x)));
  const hi = Math.max(...rows.flatMap((r) => r.runs.map((run) => run.x + run.width)));
  const minGutter = size * 0.8;
  const freeOf = (row: Row) =>
    freeIntervals(
      row.runs
        .filter((run) => run.text.trim() !== '')
        .map((run) => [run.x, run.x + run.width] as [number, number]),
      lo,
      hi,
      minGutter,
    );
  const lines: Line[] = [];
  let group: Row[] = [];
  let gutters: Array<[number, number]> = [];
  const flush = () => {
    if (group.length === 0) return;
    const cut = columnCut(group, gutters);
    if (cut === null) {
      for (const row of group) lines.push(lineOf(row.runs, row, block));
    } else {
      const side = (left: boolean) =>
        group
          .map((row) => ({
            ...row,
            runs: row.runs.filter((run) => run.x + run.width / 2 < cut === left),
          }))
          .filter((row) => row.runs.length > 0);
      lines.push(
        ...readingOrder(side(true), size, blocks),
        ...readingOrder(side(false), size, blocks),
      );
    }
    group = [];
    gutters = [];
  };
  for (const row of rows) {
    const free = freeOf(row);
    const shared = group.length === 0 ? free : intersect(gutters, free, minGutter);
    if (group.length > 0 && shared.length === 0) {
      flush();
      group = [row];
      gutters = free;
    } else {
      group.push(row);
      gutters = shared;
    }
  }
  flush();
  return lines;
}

/**
 * Where to cut a group of rows into columns, or null: a gutter with prose on both sides in at
 * least three rows. Two columns of short cells (a table, a form) are read row by row instead.
 */
function columnCut(group: Row[], gutters: Array<[number, number]>): number | null {
  if (group.length < 3) return null;
  for (const [a, b] of gutters) {
    const middle = (a + b) / 2;
    const sides = group.map((row) => ({
      left: joinRuns(row.runs.filter((run) => run.x + run.width / 2 < middle)),
      right: joinRuns(row.runs.filter((run) => run.x + run.width / 2 >= middle)),
    }));
    const both = sides.filter((s) => s.left !== '' && s.right !== '');
    const prose = (texts: string[]) => median(texts.map((t) => t.length)) >= 20;
    if (both.length >= 3 && prose(both.map((s) => s.left)) && prose(both.map((s) => s.right))) {
      return middle;
    }
  }
  return null;
}

function lineOf(runs: TextRun[], row: { y: number; size: number }, block: number): Line {
  const last = runs[runs.length - 1];
  return {
    text: joinRuns(runs),
    left: runs[0]?.x ?? 0,
    right: last ? last.x + last.width : 0,
    y: row.y,
    size: row.size,
    block,
  };
}

/** A header or footer line with its page's numbers turned into `#`, to compare across pages. */
const furnitureKey = (text: string) => text.replace(/\d+/g, '#').toLowerCase();

/**
 * The text of a PDF's pages in reading order, one paragraph a line, paragraphs apart by a blank
 * line. Running headers and footers (lines in the top or bottom 9% of the page that recur on
 * other pages, digits aside) and page numbers are left out; a paragraph cut by a page or column
 * break is joined again.
 */
export function layoutText(pages: PageText[]): string {
  const pageLines = pages.map((page) => {
    const rows = rowsOf(page.runs);
    const size = median(rows.map((r) => r.size)) || 10;
    return { page, lines: readingOrder(rows, size), size };
  });
  const inMargin = (line: Line, page: PageText) =>
    line.y > page.height * (1 - MARGIN_SHARE) || line.y < page.height * MARGIN_SHARE;
  const recurring = new Map<string, number>();
  for (const { page, lines } of pageLines) {
    const keys = new Set(lines.filter((l) => inMargin(l, page)).map((l) => furnitureKey(l.text)));
    for (const key of keys) recurring.set(key, (recurring.get(key) ?? 0) + 1);
  }
  const isFurniture = (line: Line, page: PageText) =>
    inMargin(line, page) &&
    (PAGE_NUMBER.test(line.text) || (recurring.get(furnitureKey(line.text)) ?? 0) >= 2);

  const bodySize = median(pageLines.flatMap(({ lines }) => lines.map((l) => l.size))) || 10;
  const isHeading = (line: Line) => line.size > bodySize * 1.15;
  /** A paragraph, and whether its last line ran to the right edge (so it may go on). */
  const paragraphs: Array<{ text: string; heading: boolean; full: boolean }> = [];
  /** The line read last, on this page or the one before, and the right edge of its column. */
  let last: { line: Line; right: number } | null = null;
  for (const { page, lines } of pageLines) {
    const body = lines.filter((line) => !isFurniture(line, page));
    const blockRight = new Map<number, number>();
    for (const l of body) blockRight.set(l.block, Math.max(blockRight.get(l.block) ?? 0, l.right));
    let prev: Line | null = null;
    let left = 0;
    for (const line of body) {
      const current = paragraphs[paragraphs.length - 1];
      // A line that ends before the next line's first word would have fitted ends a paragraph.
      if (current && last) {
        current.full =
          last.line.right + last.line.size * 0.3 + firstWordWidth(line) >=
          last.right - last.line.size * 0.1;
      }
      const open =
        current !== undefined &&
        !current.heading &&
        current.full &&
        !SENTENCE_END.test(current.text.slice(-3));
      let continues = false;
      if (open && !isHeading(line) && !LIST_OPENER.test(line.text)) {
        if (prev === null) {
          // The first line of a page goes on with the last paragraph of the page before.
          continues = true;
        } else {
          const sameSize = Math.abs(prev.size - line.size) <= prev.size * 0.15;
          const below = prev.y > line.y && prev.y - line.y <= prev.size * 1.9;
          const topOfNext = nextColumn(prev, line);
          const indented = !topOfNext && line.left > left + line.size * 0.8;
          continues = sameSize && (below || topOfNext) && !indented;
        }
      }
      if (current && continues) {
        current.text = joinLines(current.text, line.text);
        left = prev === null || nextColumn(prev, line) ? line.left : Math.min(left, line.left);
      } else {
        paragraphs.push({ text: line.text, heading: isHeading(line), full: true });
        left = line.left;
      }
      prev = line;
      last = { line, right: blockRight.get(line.block) ?? line.right };
    }
  }
  return paragraphs.map((p) => p.text).join('\n\n');
}

/** Whether `line` opens the next column: above where `prev` ended, and to its right. */
function nextColumn(prev: Line, line: Line): boolean {
  return line.y > prev.y && line.left > prev.right - prev.size;
}

/** Joins two lines of a paragraph: a hyphen at a line end rejoins its word, CJK takes no space. */
function joinLines(a: string, b: string): string {
  const last = a[a.length - 1];
  const first = b[0];
  if (/[a-z]-$/i.test(a.slice(-2)) && first && /[a-z]/.test(first)) return a.slice(0, -1) + b;
  if (isWide(last) && isWide(first)) return a + b;
  return `${a} ${b}`;
}
