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

/** Share of the page's height, at its top and bottom, that a browser prints its header and footer in. */
const EDGE_SHARE = 0.05;

/**
 * What a browser or word processor prints in a page's header or footer: a date ("11/22/26",
 * "2026-11-22", "2026年11月22日"), a time ("8:06 AM"), an address ("file:///…", "https://…",
 * "www.…") or a page counter at the line's end ("1/1", "Page 1 of 3").
 */
const PRINT_MARK =
  /\b\d{1,2}[/.]\d{1,2}[/.]\d{2,4}\b|\b\d{4}[-/.]\d{1,2}[-/.]\d{1,2}\b|\d{4}年\d{1,2}月\d{1,2}日|\b\d{1,2}:\d{2}(?::\d{2})?\s*(?:[AaPp]\.?[Mm]\b\.?)?|\b(?:https?|file):\/\/|\bwww\.\S|(?:^|\s)(?:page\s*)?\d{1,4}\s*(?:\/|of)\s*\d{1,4}$/i;

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

/** Share of a band's rows that may cross a gutter (a title or caption over both columns). */
const MAX_CROSSING_SHARE = 0.25;

/** The x-intervals a row's text covers, gaps narrower than `gap` (between words) filled. */
function coverage(row: Row, gap: number): Array<[number, number]> {
  const spans = row.runs
    .filter((run) => run.text.trim() !== '')
    .map((run) => [run.x, run.x + run.width] as [number, number])
    .sort((a, b) => a[0] - b[0]);
  const merged: Array<[number, number]> = [];
  for (const [a, b] of spans) {
    const last = merged[merged.length - 1];
    if (last && a - last[1] < gap) last[1] = Math.max(last[1], b);
    else merged.push([a, b]);
  }
  return merged;
}

const crosses = (spans: Array<[number, number]>, [a, b]: [number, number]) =>
  spans.some(([x0, x1]) => x0 < b && x1 > a);

/**
 * Vertical gutters between columns, found from where text stands across the rows, not from rows
 * that share a baseline (columns printed side by side rarely keep their baselines level): x
 * intervals at least `minGutter` wide, with text on both sides, that as few rows as possible
 * cross, and at most a quarter of them. Widest first.
 */
function gutters(covered: Array<Array<[number, number]>>, minGutter: number) {
  const all = covered.flat();
  if (all.length === 0) return [];
  const lo = Math.min(...all.map(([a]) => a));
  const hi = Math.max(...all.map(([, b]) => b));
  const edges = [...new Set(all.flat())].sort((a, b) => a - b);
  // Rows crossing each segment between two edges, by a sweep: a page can hold thousands of runs.
  const delta = new Int32Array(edges.length);
  const edgeAt = (x: number) => {
    let lo = 0;
    let hi = edges.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((edges[mid] ?? 0) < x) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  for (const spans of covered) {
    // A row's spans are apart and sorted, so each segment counts a row once.
    for (const [a, b] of spans) {
      const [from, to] = [edgeAt(a), edgeAt(b)];
      delta[from] = (delta[from] ?? 0) + 1;
      delta[to] = (delta[to] ?? 0) - 1;
    }
  }
  let running = 0;
  const segments = edges.slice(1).map((b, i) => {
    running += delta[i] ?? 0;
    return { a: edges[i] ?? b, b, crossing: running };
  });
  const limit = Math.floor(covered.length * MAX_CROSSING_SHARE);
  // The fewest crossings first: a looser bound would widen the gutter into a column's long lines.
  for (let bound = 0; bound <= limit; bound++) {
    const found: Array<[number, number]> = [];
    let from: number | null = null;
    for (const [i, { a, b, crossing }] of segments.entries()) {
      if (crossing <= bound) from ??= a;
      const closes = crossing > bound || i === segments.length - 1;
      if (from !== null && closes) {
        const to = crossing > bound ? a : b;
        if (to - from >= minGutter && from > lo && to < hi) found.push([from, to]);
        from = null;
      }
    }
    if (found.length > 0) return found.sort((x, y) => y[1] - y[0] - (x[1] - x[0]));
  }
  return [];
}

/**
 * Lines in reading order. A vertical gutter free of text down most of the rows, with prose on
 * both sides, splits them into columns: between two rows that cross the gutter (a title or a
 * figure caption over both columns), the left column is read to its end before the right one,
 * each split again if it has columns of its own. Rows of short cells on both sides (a table, a
 * form) are read row by row.
 */
function readingOrder(rows: Row[], size: number, blocks = { next: 0 }): Line[] {
  if (rows.length === 0) return [];
  const block = blocks.next++;
  const minGutter = size * 0.8;
  const covered = rows.map((row) => coverage(row, minGutter));
  const cut = columnCut(rows, covered, minGutter);
  if (cut === null) {
    const stacked = stackedBands(rows, covered, size, block, blocks);
    return stacked ?? rows.map((row) => lineOf(row.runs, row, block));
  }
  const lines: Line[] = [];
  let band: Row[] = [];
  const flush = () => {
    // A row may hold lines of both columns on nearly the same baseline: each side takes its
    // own baseline and size back (a heading in one column is no heading for the other).
    const side = (left: boolean) =>
      band
        .map((row) => row.runs.filter((run) => run.x + run.width / 2 < cut.at === left))
        .filter((runs) => runs.some((run) => run.text.trim() !== ''))
        .map((runs) => {
          const inked = runs.filter((run) => run.text.trim() !== '');
          return {
            runs,
            y: Math.max(...inked.map((run) => run.y)),
            size: Math.max(...inked.map((run) => run.size)),
          };
        });
    lines.push(
      ...readingOrder(side(true), size, blocks),
      ...readingOrder(side(false), size, blocks),
    );
    band = [];
  };
  rows.forEach((row, i) => {
    if (crosses(covered[i] ?? [], cut.gutter)) {
      flush();
      lines.push(lineOf(row.runs, row, block));
    } else {
      band.push(row);
    }
  });
  flush();
  return lines;
}

/**
 * Lines of rows that no gutter runs down as a whole: columns under (or over) text set across the
 * page, so that more than a quarter of the rows cross their gutter. Rows of one span across most
 * of the width end a band, and a band of three rows or more with a gutter of its own is read as
 * columns; the rest stays in `block`. Null when no band has columns.
 */
function stackedBands(
  rows: Row[],
  covered: Array<Array<[number, number]>>,
  size: number,
  block: number,
  blocks: { next: number },
): Line[] | null {
  const all = covered.flat();
  const lo = Math.min(...all.map(([a]) => a));
  const hi = Math.max(...all.map(([, b]) => b));
  const wide = covered.map(
    (spans) => spans.length === 1 && (spans[0]?.[1] ?? 0) - (spans[0]?.[0] ?? 0) >= (hi - lo) * 0.6,
  );
  if (!wide.some(Boolean)) return null;
  const bands: Array<{ rows: Row[]; covered: Array<Array<[number, number]>> }> = [];
  let band: Row[] = [];
  let bandCovered: Array<Array<[number, number]>> = [];
  rows.forEach((row, i) => {
    if (wide[i]) {
      bands.push({ rows: band, covered: bandCovered }, { rows: [row], covered: [] });
      band = [];
      bandCovered = [];
    } else {
      band.push(row);
      bandCovered.push(covered[i] ?? []);
    }
  });
  bands.push({ rows: band, covered: bandCovered });
  const minGutter = size * 0.8;
  const columned = bands.map(
    (b) => b.rows.length >= 3 && columnCut(b.rows, b.covered, minGutter) !== null,
  );
  if (!columned.some(Boolean)) return null;
  return bands.flatMap((b, i) =>
    columned[i]
      ? readingOrder(b.rows, size, blocks)
      : b.rows.map((row) => lineOf(row.runs, row, block)),
  );
}

/**
 * The gutter to cut rows into columns at, or null: one with prose (lines of 20 characters and
 * more, as a median) in at least three rows on each side, the two sides beside each other
 * rather than one above the other.
 */
function columnCut(
  rows: Row[],
  covered: Array<Array<[number, number]>>,
  minGutter: number,
): { gutter: [number, number]; at: number } | null {
  if (rows.length < 3) return null;
  for (const gutter of gutters(covered, minGutter)) {
    const at = (gutter[0] + gutter[1]) / 2;
    const left: Array<{ y: number; text: string }> = [];
    const right: Array<{ y: number; text: string }> = [];
    rows.forEach((row, i) => {
      if (crosses(covered[i] ?? [], gutter)) return;
      const l = joinRuns(row.runs.filter((run) => run.x + run.width / 2 < at));
      const r = joinRuns(row.runs.filter((run) => run.x + run.width / 2 >= at));
      if (l !== '') left.push({ y: row.y, text: l });
      if (r !== '') right.push({ y: row.y, text: r });
    });
    if (left.length < 3 || right.length < 3) continue;
    const prose = (side: Array<{ text: string }>) => median(side.map((s) => s.text.length)) >= 20;
    if (!prose(left) || !prose(right)) continue;
    // Side by side: the two sides' heights overlap over half the shorter one.
    const span = (side: Array<{ y: number }>) => [
      Math.min(...side.map((s) => s.y)),
      Math.max(...side.map((s) => s.y)),
    ];
    const [l0 = 0, l1 = 0] = span(left);
    const [r0 = 0, r1 = 0] = span(right);
    const overlap = Math.min(l1, r1) - Math.max(l0, r0);
    if (overlap >= Math.min(l1 - l0, r1 - r0) * 0.5) return { gutter, at };
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
  const bodySize = median(pageLines.flatMap(({ lines }) => lines.map((l) => l.size))) || 10;
  // What a browser or word processor prints in the margin stands apart from the text even on a
  // page of its own: a print mark in a smaller font, or at the page's very edge.
  const isPrinted = (line: Line, page: PageText) =>
    PRINT_MARK.test(line.text) &&
    (line.size < bodySize * 0.9 ||
      line.y > page.height * (1 - EDGE_SHARE) ||
      line.y < page.height * EDGE_SHARE);
  const isFurniture = (line: Line, page: PageText) =>
    inMargin(line, page) &&
    (PAGE_NUMBER.test(line.text) ||
      (recurring.get(furnitureKey(line.text)) ?? 0) >= 2 ||
      isPrinted(line, page));

  const isHeading = (line: Line) => line.size > bodySize * 1.15;
  /** A paragraph, and whether its last line ran to the right edge (so it may go on). */
  const paragraphs: Array<{ text: string; heading: boolean; full: boolean }> = [];
  const vocabulary = vocabularyOf(
    pageLines.flatMap(({ page, lines }) =>
      lines.filter((line) => !isFurniture(line, page)).map((line) => line.text),
    ),
  );
  /** The line read last, on this page or the one before, and the right edge of its column. */
  let last: { line: Line; right: number } | null = null;
  for (const { page, lines } of pageLines) {
    const body = lines.filter((line) => !isFurniture(line, page));
    const blockRight = new Map<number, number>();
    for (const l of body) blockRight.set(l.block, Math.max(blockRight.get(l.block) ?? 0, l.right));
    const pitch = linePitch(body);
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
          // A gap wider than the page's line spacing (a paragraph's margin) ends a paragraph.
          const drop = prev.y - line.y;
          const below = drop > 0 && drop <= Math.min(prev.size * 1.9, pitch * 1.3);
          const topOfNext = nextColumn(prev, line);
          const indented = !topOfNext && line.left > left + line.size * 0.8;
          continues = sameSize && (below || topOfNext) && !indented;
        }
      }
      if (current && continues) {
        current.text = joinLines(current.text, line.text, vocabulary);
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

/**
 * The distance between the baselines of consecutive lines of a page's text (the median over
 * lines of one block, about one size apart); infinite when the page gives no such pair.
 */
function linePitch(lines: Line[]): number {
  const drops: number[] = [];
  for (let i = 1; i < lines.length; i++) {
    const [a, b] = [lines[i - 1], lines[i]];
    if (!a || !b || a.block !== b.block || Math.abs(a.size - b.size) > a.size * 0.15) continue;
    const drop = a.y - b.y;
    if (drop > a.size * 0.8 && drop <= a.size * 1.9) drops.push(drop);
  }
  return drops.length === 0 ? Number.POSITIVE_INFINITY : median(drops);
}

/** Whether `line` opens the next column: above where `prev` ended, and to its right. */
function nextColumn(prev: Line, line: Line): boolean {
  return line.y > prev.y && line.left > prev.right - prev.size;
}

/** Words of a document as written inside its lines, lower-cased, to rejoin words split at a line end. */
interface Vocabulary {
  /** Words, and the parts of hyphenated compounds ("off-peak": "off", "peak"). */
  words: Set<string>;
  /** Hyphenated compounds ("off-peak"). */
  compounds: Set<string>;
}

const WORD = /[\p{L}\p{N}]+(?:[-\u2010][\p{L}\p{N}]+)*/gu;

/** The words of lines, leaving out a word cut by a hyphen at a line's end (it is a fragment). */
function vocabularyOf(lines: string[]): Vocabulary {
  const words = new Set<string>();
  const compounds = new Set<string>();
  for (const line of lines) {
    const tokens = line.match(WORD) ?? [];
    if (HYPHEN_END.test(line)) tokens.pop();
    for (const token of tokens) {
      const word = token.toLowerCase().replace(/\u2010/g, '-');
      if (word.includes('-')) compounds.add(word);
      for (const part of word.split('-')) words.add(part);
    }
  }
  return { words, compounds };
}

/** A word cut by a hyphen (or a soft hyphen) at a line's end: the part before it, the hyphen. */
const HYPHEN_END = /([\p{L}\p{N}]+)([-\u2010\u00ad])$/u;

/**
 * Whether the hyphen between `before` (at a line's end) and `after` (opening the next line)
 * belongs to the text (a compound, "off-peak") rather than to the line break ("main-tenance").
 * The document decides first: a compound written whole on one line elsewhere keeps its hyphen,
 * a word written without it elsewhere loses it. Then a hyphen is kept when the part after it is
 * capitalised or a number ("Anglo-French", "COVID-19"), the part before holds a number or is in
 * capitals ("B-grade", "UN-led"): a word processor never breaks a word there, or the part before is a word of its own elsewhere in the document
 * ("off" in "off-peak"). Only a word split where the document knows no word is joined again.
 */
function keepsHyphen(before: string, after: string, vocabulary: Vocabulary): boolean {
  const [b, a] = [before.toLowerCase(), after.toLowerCase()];
  if (vocabulary.compounds.has(`${b}-${a}`)) return true;
  if (vocabulary.words.has(b + a)) return false;
  if (/^[\p{Lu}\p{N}]/u.test(after) || /\p{N}/u.test(before)) return true;
  if (/^\p{Lu}+$/u.test(before)) return true;
  return vocabulary.words.has(b);
}

/**
 * Joins two lines of a paragraph: a hyphen at a line end stays or rejoins its word as
 * {@link keepsHyphen} decides (a soft hyphen always rejoins it), CJK takes no space.
 */
function joinLines(a: string, b: string, vocabulary: Vocabulary): string {
  const cut = HYPHEN_END.exec(a);
  const next = /^[\p{L}\p{N}]+/u.exec(b);
  if (cut && next) {
    const [, before = '', hyphen] = cut;
    const soft = hyphen === '\u00ad' || !keepsHyphen(before, next[0], vocabulary);
    return soft ? a.slice(0, -1) + b : a + b;
  }
  const last = a[a.length - 1];
  const first = b[0];
  if (isWide(last) && isWide(first)) return a + b;
  return `${a} ${b}`;
}
