/**
 * A web page read as a reader sees it: its main content, found by `@mozilla/readability` (the
 * engine of Firefox's Reader View) on a `linkedom` document, under the article's own title and
 * byline. Loaded only when a page arrives (package import `#html-reader`), as its own file in the
 * deployed bundle.
 */
import { Readability } from '@mozilla/readability';
import { parseHTML } from 'linkedom';
import { isSpaceCode } from '../text/chars';
import { htmlToText } from '../text/html';
import { isCredit } from '../text/layout';
import type { ReadFrom } from './readable';

/**
 * Pages larger than this (UTF-16 units), or with more visible text than MAX_READER_TEXT, are
 * read whole, without looking for the main content: Readability takes about 3 ms per KB of
 * text, and an article is far shorter (news pages run to some 500 KB, most of it scripts).
 */
export const MAX_READER_PAGE = 2 * 1024 * 1024;
export const MAX_READER_TEXT = 300_000;
/** Elements Readability scores at most (counted as start tags before parsing); else read whole. */
export const MAX_READER_ELEMENTS = 20_000;
/**
 * Deepest nesting of elements Readability is given; a page nested deeper is read whole. Its
 * scoring walks every element's ancestors, so time grows with depth times elements: 40,000
 * unclosed <head> tags took 3.5 s, 100,000 took 80 s. Real pages nest a few dozen deep.
 */
export const MAX_READER_DEPTH = 150;
/** The least share of the main content's text found in the page for it to be used. */
const MIN_FOUND = 0.8;

/** The visible text of a page with non-space units in a string of their own, for searching. */
class Compact {
  readonly text: string;
  /** For each unit of `text`, its index in the visible text. */
  readonly at: Int32Array;

  constructor(visible: string) {
    const units: string[] = [];
    const at: number[] = [];
    for (let i = 0; i < visible.length; i++) {
      if (isSpaceCode(visible.charCodeAt(i))) continue;
      units.push(visible[i] ?? '');
      at.push(i);
    }
    this.text = units.join('');
    this.at = Int32Array.from(at);
  }

  /** The [from, to) range of the visible text where `needle` (spaces ignored) occurs from `after`. */
  find(needle: string, after = 0, before = this.text.length): { from: number; to: number } | null {
    const squeezed = needle.replace(/\s+/g, '');
    if (squeezed === '') return null;
    const k = this.text.indexOf(squeezed, after);
    if (k < 0 || k + squeezed.length > before) return null;
    return { from: this.at[k] ?? 0, to: (this.at[k + squeezed.length - 1] ?? 0) + 1 };
  }

  /** The compact index of a visible-text index. */
  index(visible: number): number {
    let lo = 0;
    let hi = this.at.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.at[mid] ?? 0) < visible) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

/**
 * Reads an HTML page: the article's title, its byline when it reads as one ("By …", "记者 …"),
 * and the blocks of its main content, one a line, each character mapped to the range of the page
 * it came from. Hidden elements are never read. A page Readability finds no article in, or too
 * large to look for one, is read whole (its visible text).
 */
export function readHtml(page: string): ReadFrom {
  const visible = htmlToText(page);
  const whole = { text: visible.text, start: visible.rawStart, end: visible.rawEnd };
  if (
    page.length > MAX_READER_PAGE ||
    visible.text.length > MAX_READER_TEXT ||
    startTags(page) > MAX_READER_ELEMENTS
  ) {
    return whole;
  }
  let article: { title?: string | null; byline?: string | null; content?: string | null } | null;
  let sources: TitleSources;
  try {
    const { document } = parseHTML(page);
    if (!withinBounds(document.documentElement)) return whole;
    // Read before Readability, which takes headings out of the document it is given.
    sources = titleSources(document);
    article = new Readability(document as unknown as Document, {
      maxElemsToParse: MAX_READER_ELEMENTS,
    }).parse();
  } catch {
    // Too many elements, or markup the DOM could not take: the page is read whole.
    return whole;
  }
  if (!article?.content) return whole;

  const compact = new Compact(visible.text);
  const blocks = htmlToText(article.content)
    .text.split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '');
  const ranges: Array<{ from: number; to: number }> = [];
  let cursor = 0;
  let wanted = 0;
  let found = 0;
  for (const block of blocks) {
    wanted += block.length;
    const range = compact.find(block, cursor);
    if (!range) continue;
    found += block.length;
    ranges.push(range);
    cursor = compact.index(range.to);
  }
  if (ranges.length === 0 || found < wanted * MIN_FOUND) return whole;

  const firstAt = compact.index(ranges[0]?.from ?? 0);
  const head: Array<{ from: number; to: number }> = [];
  const title = titleRange(compact, articleTitle(sources, article.title ?? ''), firstAt);
  if (title && !ranges.some((r) => r.from <= title.from && title.to <= r.to)) head.push(title);
  const byline = article.byline?.trim();
  if (byline) {
    const range = compact.find(byline, 0);
    // "By Jane Doe" as printed, when Readability names only "Jane Doe".
    const line = range && lineAround(visible.text, range);
    if (line && isCredit(visible.text.slice(line.from, line.to).trim())) {
      const inContent = ranges.some((r) => r.from <= line.from && line.to <= r.to);
      if (!inContent) head.push(line);
    }
  }

  const text: string[] = [];
  const start: number[] = [];
  const end: number[] = [];
  for (const { from, to } of [...head, ...ranges]) {
    if (text.length > 0) {
      text.push('\n');
      start.push(visible.rawStart[from] ?? 0);
      end.push(visible.rawStart[from] ?? 0);
    }
    for (let i = from; i < to; i++) {
      text.push(visible.text[i] ?? '');
      start.push(visible.rawStart[i] ?? 0);
      end.push(visible.rawEnd[i] ?? 0);
    }
  }
  return { text: text.join(''), start: Int32Array.from(start), end: Int32Array.from(end) };
}

/**
 * Separators between the parts of a page's <title> ("Title | Section | Site", "标题_栏目_网站"):
 * `|`, `_`, `·`, `»`, `::`, dashes, and `-` or `:` with a space on each side.
 */
const TITLE_SEPARATOR = /\s*(?:[|_·»–—]|::)\s*|\s+[-:]\s+/;

/** What a page says its title is, and the site's name. */
interface TitleSources {
  /** The <title>. */
  document: string;
  /** og:title, or twitter:title. */
  og: string;
  /** og:site_name, or application-name. */
  site: string;
  /** Every <h1>, in document order. */
  headings: string[];
}

const squash = (text: string) => text.replace(/\s+/g, ' ').trim();
const key = (text: string) => text.replace(/\s+/g, '').toLowerCase();

function titleSources(document: ReturnType<typeof parseHTML>['document']): TitleSources {
  const meta = (selector: string) =>
    squash(document.querySelector(selector)?.getAttribute('content') ?? '');
  return {
    document: squash(document.querySelector('title')?.textContent ?? ''),
    og: meta('meta[property="og:title"]') || meta('meta[name="twitter:title"]'),
    site: meta('meta[property="og:site_name"]') || meta('meta[name="application-name"]'),
    headings: Array.from(document.querySelectorAll('h1'), (h) => squash(h.textContent ?? '')),
  };
}

/**
 * The article's own title, never the site's name nor the <title> and <h1> run together. The
 * <h1> when the <title> holds it ("Title | Site"), is made of parts ("City News | Metro Herald",
 * a section and the site), is missing, or the page has one <h1>; else the og:title, the <title>
 * or Readability's title, split at its separators, as its longest part that is not the site's
 * name (og:site_name; without one, the last part, where sites put their name).
 */
function articleTitle(sources: TitleSources, readability: string): string {
  const parts = (title: string) => {
    const all = title
      .split(TITLE_SEPARATOR)
      .map(squash)
      .filter((p) => p.length >= 2);
    const known = key(sources.site);
    const kept =
      known !== '' ? all.filter((p) => key(p) !== known) : all.length > 1 ? all.slice(0, -1) : all;
    return kept.length > 0 ? kept : all;
  };
  // A heading that is only a lesser part of the <title> is the site's logo or a section's name.
  const titleParts = sources.document.split(TITLE_SEPARATOR).map(key);
  const longestPart = titleParts.reduce((a, b) => (b.length > a.length ? b : a), '');
  const siteNames = new Set([key(sources.site), ...titleParts.filter((p) => p !== longestPart)]);
  const headings = sources.headings.filter((h) => h.length >= 2 && !siteNames.has(key(h)));
  const heading = headings[0];
  if (heading !== undefined) {
    const within = (title: string) => title !== '' && key(title).includes(key(heading));
    const sectioned = sources.document.split(TITLE_SEPARATOR).length > 1;
    if (
      within(sources.document) ||
      within(sources.og) ||
      sectioned ||
      sources.document === '' ||
      headings.length === 1
    ) {
      return heading;
    }
  }
  for (const title of [sources.og, sources.document, squash(readability)]) {
    const longest = parts(title).reduce((a, b) => (b.length > a.length ? b : a), '');
    if (longest !== '') return longest;
  }
  return '';
}

/**
 * Where the article's title stands: where the content opens with it, else as the page shows it
 * nearest before the content (its <h1>), else anywhere (its <title>).
 */
function titleRange(compact: Compact, title: string, before: number) {
  const squeezed = title.replace(/\s+/g, '');
  if (squeezed.length < 2) return null;
  if (compact.text.startsWith(squeezed, before)) return null;
  const k = compact.text.lastIndexOf(squeezed, before - squeezed.length);
  if (k >= 0 && before - (k + squeezed.length) < 500) {
    return { from: compact.at[k] ?? 0, to: (compact.at[k + squeezed.length - 1] ?? 0) + 1 };
  }
  return compact.find(title);
}

/** How many start tags a page has, up to one more than MAX_READER_ELEMENTS. */
function startTags(page: string): number {
  const tag = /<[a-zA-Z]/g;
  let n = 0;
  while (n <= MAX_READER_ELEMENTS && tag.exec(page) !== null) n++;
  return n;
}

/** Whether a DOM has at most MAX_READER_ELEMENTS elements, nested at most MAX_READER_DEPTH deep. */
function withinBounds(root: { children: ArrayLike<unknown> } | null): boolean {
  if (!root) return false;
  type Node = { children: ArrayLike<unknown> };
  const stack: Array<{ node: Node; depth: number }> = [{ node: root, depth: 1 }];
  let elements = 0;
  for (let top = stack.pop(); top !== undefined; top = stack.pop()) {
    elements++;
    if (elements > MAX_READER_ELEMENTS || top.depth > MAX_READER_DEPTH) return false;
    const { children } = top.node;
    for (let i = 0; i < children.length; i++) {
      stack.push({ node: children[i] as Node, depth: top.depth + 1 });
    }
  }
  return true;
}

/** The line of `text` holding `range`, without its surrounding white space. */
function lineAround(text: string, range: { from: number; to: number }) {
  let from = text.lastIndexOf('\n', range.from - 1) + 1;
  let to = text.indexOf('\n', range.to);
  if (to < 0) to = text.length;
  while (from < to && isSpaceCode(text.charCodeAt(from))) from++;
  while (to > from && isSpaceCode(text.charCodeAt(to - 1))) to--;
  return { from, to };
}
