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
    for (const unit of text.split('')) {
      out.push(unit);
      starts.push(start);
      ends.push(end);
    }
  };
  let i = 0;
  let skipping: string | null = null;
  while (i < html.length) {
    const ch = html[i] ?? '';
    if (ch === '<') {
      if (html.startsWith('<!--', i)) {
        const close = html.indexOf('-->', i + 4);
        i = close < 0 ? html.length : close + 3;
        continue;
      }
      const m = /^<\/?([a-zA-Z][a-zA-Z0-9-]*)[^>]*>/.exec(html.slice(i, i + 2000));
      if (!m) {
        if (!skipping) emit('<', i, i + 1);
        i++;
        continue;
      }
      const name = (m[1] ?? '').toLowerCase();
      const closing = m[0].startsWith('</');
      if (skipping) {
        if (closing && name === skipping) skipping = null;
      } else if (name === 'title' && !closing) {
        emit('\n', i, i);
      } else if (SKIP.test(name) && !closing && !m[0].endsWith('/>')) {
        // The title inside the head is kept: skip only up to it.
        const titleAt = name === 'head' ? html.toLowerCase().indexOf('<title', i) : -1;
        const headEnd = html.toLowerCase().indexOf('</head', i);
        if (titleAt < 0 || (headEnd >= 0 && titleAt > headEnd)) skipping = name;
      } else if (BLOCK.test(name)) {
        emit('\n', i, i);
      }
      i += m[0].length;
      continue;
    }
    if (skipping) {
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
  if (extension === 'md' || extension === 'markdown') return 'markdown';
  if (contentType?.includes('html')) return 'html';
  return HTML_START.test(text.slice(0, 1000)) ? 'html' : 'text';
}
