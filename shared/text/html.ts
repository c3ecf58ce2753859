import type { Format } from '../contract';

/** Text read out of an HTML page, with each character's [start, end) range in the page. */
export interface HtmlText {
  text: string;
  rawStart: Int32Array;
  rawEnd: Int32Array;
}

const BLOCK =
  /^(?:p|div|br|li|ul|ol|h[1-6]|tr|td|th|table|section|article|header|footer|aside|nav|blockquote|pre|hr|title|figure|figcaption|main|dd|dt|dl)$/i;
const SKIP = /^(?:script|style|head|noscript|template|svg)$/i;
/** Elements with no content: hiding one hides nothing after it. */
const VOID = /^(?:area|base|br|col|embed|hr|img|input|link|meta|param|source|track|wbr)$/;
/** Elements whose end tag may be left out: the next one of the same name closes them. */
const OPTIONAL_END = /^(?:p|li|dt|dd|tr|td|th|option)$/;
const ATTRIBUTE = /([^\s"'>/=]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+)))?/g;
const HIDING_STYLE =
  /(?:^|;)\s*(?:display\s*:\s*none|visibility\s*:\s*(?:hidden|collapse))\s*(?:!important\s*)?(?:;|$)/;

/**
 * Whether a start tag hides its element from a reader: the `hidden` attribute (not
 * `hidden="until-found"`, which find-in-page reveals), `aria-hidden="true"`, or an inline style
 * with display:none or visibility:hidden. Stylesheets and classes are not evaluated.
 */
function hides(tag: string, name: string): boolean {
  if (!/hidden|none|collapse/i.test(tag)) return false;
  for (const m of tag.slice(1 + name.length).matchAll(ATTRIBUTE)) {
    const attribute = (m[1] ?? '').toLowerCase();
    const value = (m[2] ?? m[3] ?? m[4] ?? '').trim().toLowerCase();
    if (attribute === 'hidden' && value !== 'until-found') return true;
    if (attribute === 'aria-hidden' && value === 'true') return true;
    if (attribute === 'style' && HIDING_STYLE.test(value)) return true;
  }
  return false;
}

const ENTITIES: Record<string, string> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
  nbsp: '\u00a0',
  ldquo: '“',
  rdquo: '”',
  lsquo: '‘',
  rsquo: '’',
  mdash: '—',
  ndash: '–',
  hellip: '…',
  middot: '·',
  copy: '©',
  ensp: '\u2002',
  emsp: '\u2003',
};

function decodeEntity(entity: string): string | undefined {
  if (entity.startsWith('#x') || entity.startsWith('#X')) {
    const code = Number.parseInt(entity.slice(2), 16);
    return Number.isFinite(code) && code > 0 && code <= 0x10ffff
      ? String.fromCodePoint(code)
      : undefined;
  }
  if (entity.startsWith('#')) {
    const code = Number.parseInt(entity.slice(1), 10);
    return Number.isFinite(code) && code > 0 && code <= 0x10ffff
      ? String.fromCodePoint(code)
      : undefined;
  }
  return ENTITIES[entity.toLowerCase()];
}

const TAG = /^<\/?([a-zA-Z][a-zA-Z0-9-]*)[^>]*>/;

/**
 * The index of the first match of `re` (global) at or after a position, for positions that
 * never decrease: the last answer is kept while it is still ahead, so all calls together read
 * the text once.
 */
function nextMatch(text: string, re: RegExp): (from: number) => number {
  let found = Number.NEGATIVE_INFINITY;
  return (from) => {
    if (found !== -1 && found < from) {
      re.lastIndex = from;
      found = re.exec(text)?.index ?? -1;
    }
    return found;
  };
}

/**
 * Reads the visible text of an HTML page: scripts, styles and the head left out (the title
 * kept), block elements as line breaks, entities decoded. Every character keeps the range of the
 * page it came from, so evidence can point into the page itself.
 */
export function htmlToText(html: string): HtmlText {
  const out: string[] = [];
  const starts: number[] = [];
  const ends: number[] = [];
  const emit = (text: string, start: number, end: number) => {
    if (text.length === 1) {
      out.push(text);
      starts.push(start);
      ends.push(end);
      return;
    }
    for (const unit of text.split('')) {
      out.push(unit);
      starts.push(start);
      ends.push(end);
    }
  };
  // Searches that go on from where the last one ended: looked up again for every tag, they
  // made a page of many <head> or unclosed tags quadratic.
  const nextTitle = nextMatch(html, /<title/gi);
  const nextHeadEnd = nextMatch(html, /<\/head/gi);
  const nextTagEnd = nextMatch(html, />/g);
  let i = 0;
  let skipping: string | null = null;
  /** A hidden element being skipped, and how deep inside elements of its name the reader is. */
  let hidden: { name: string; depth: number } | null = null;
  while (i < html.length) {
    const ch = html[i] ?? '';
    if (ch === '<') {
      if (html.startsWith('<!--', i)) {
        const close = html.indexOf('-->', i + 4);
        i = close < 0 ? html.length : close + 3;
        continue;
      }
      // A tag ends at the first ">" and is at most 2,000 units long.
      const gt = nextTagEnd(i);
      // <!doctype …> and <?xml …?> are markup, not text.
      if ((html[i + 1] === '!' || html[i + 1] === '?') && gt >= 0 && gt - i < 2000) {
        i = gt + 1;
        continue;
      }
      const m = gt >= 0 && gt - i < 2000 ? TAG.exec(html.slice(i, gt + 1)) : null;
      if (!m) {
        if (!skipping && !hidden) emit('<', i, i + 1);
        i++;
        continue;
      }
      const name = (m[1] ?? '').toLowerCase();
      const closing = m[0].startsWith('</');
      const selfClosing = m[0].endsWith('/>') || VOID.test(name);
      if (hidden && !skipping) {
        // An open <li> or <p> is closed by its next sibling, which is read (unless hidden too).
        const sibling =
          !closing && name === hidden.name && hidden.depth === 1 && OPTIONAL_END.test(name);
        if (sibling) {
          hidden = null;
        } else {
          if (name === hidden.name && !selfClosing) hidden.depth += closing ? -1 : 1;
          if (hidden.depth === 0) hidden = null;
          i += m[0].length;
          continue;
        }
      }
      if (skipping) {
        if (closing && name === skipping) skipping = null;
      } else if (!closing && !selfClosing && hides(m[0], name)) {
        // Text a reader never sees is not read: it could carry instructions or fake tasks.
        hidden = { name, depth: 1 };
      } else if (name === 'title' && !closing) {
        emit('\n', i, i);
      } else if (SKIP.test(name) && !closing && !m[0].endsWith('/>')) {
        // The title inside the head is kept: skip only up to it.
        const titleAt = name === 'head' ? nextTitle(i) : -1;
        const headEnd = nextHeadEnd(i);
        if (titleAt < 0 || (headEnd >= 0 && titleAt > headEnd)) skipping = name;
      } else if (BLOCK.test(name)) {
        emit('\n', i, i);
      }
      i += m[0].length;
      continue;
    }
    if (skipping || hidden) {
      i++;
      continue;
    }
    if (ch === '&') {
      const m = /^&(#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[a-zA-Z]{2,8});/.exec(html.slice(i, i + 12));
      const decoded = m ? decodeEntity(m[1] ?? '') : undefined;
      if (m && decoded !== undefined) {
        emit(decoded, i, i + m[0].length);
        i += m[0].length;
        continue;
      }
    }
    emit(ch, i, i + 1);
    i++;
  }
  return { text: out.join(''), rawStart: Int32Array.from(starts), rawEnd: Int32Array.from(ends) };
}

const HTML_START = /^\s*(?:<!doctype html|<html[\s>]|<head[\s>]|<body[\s>])/i;

/** How to read an object: by its key's extension, then its content type, then its first bytes. */
export function detectFormat(key: string, contentType: string | null, text: string): Format {
  const extension = /\.([a-z0-9]+)$/i.exec(key)?.[1]?.toLowerCase();
  if (extension === 'html' || extension === 'htm' || extension === 'xhtml') return 'html';
  if (extension === 'md' || extension === 'markdown' || extension === 'mdown') return 'markdown';
  if (contentType?.includes('html')) return 'html';
  if (contentType?.includes('markdown')) return 'markdown';
  return HTML_START.test(text.slice(0, 1000)) ? 'html' : 'text';
}
