/**
 * Markdown read as a person reads it rendered: headings, paragraphs and list items as lines of
 * their own, emphasis, code spans, link targets, images, HTML tags, front matter, fenced code
 * and reference definitions left out. Every character read keeps the range of the file it came
 * from, so evidence offsets index the file itself.
 */
import { isWide, unitsToString } from '../text/chars';
import type { ReadFrom } from './readable';

const FRONT_MATTER = /^(?:---|\+\+\+)[ \t]*$/;
const FENCE = /^[ ]{0,3}(`{3,}|~{3,})/;
const ATX = /^[ ]{0,3}(#{1,6})(?:[ \t]+|$)/;
const SETEXT_OR_RULE = /^[ ]{0,3}(?:=+|-+|(?:\*[ \t]*){3,}|(?:_[ \t]*){3,})[ \t]*$/;
const REFERENCE = /^[ ]{0,3}\[[^\]]+\]:[ \t]*\S/;
const TABLE_RULE = /^[ \t]*\|?[ \t]*:?-{3,}:?[ \t]*(?:\|[ \t]*:?-{3,}:?[ \t]*)*\|?[ \t]*$/;
const QUOTE = /^[ ]{0,3}>[ ]?/;
const LIST_ITEM = /^([ \t]*)([-*+]|\d{1,9}[.)])([ \t]+)(\[[ xX]\][ \t]+)?/;
const IMAGE = /^!\[[^\]]*\](?:\([^)]*\)|\[[^\]]*\])/;
const LINK = /^\[((?:[^\]\\]|\\.)+)\](?:\(([^)]*)\)|\[[^\]]*\])/;
const AUTOLINK = /^<((?:https?|mailto):[^>\s]+|[^>\s@]+@[^>\s]+)>/i;
const TAG = /^<\/?[a-zA-Z][^>]*>|^<!--[\s\S]*?-->/;
const PUNCTUATION = /[!-/:-@[-`{-~]/;

/**
 * Reads a Markdown file's text: one line per heading, paragraph (its lines joined), list item,
 * table row and quoted paragraph. The numbers of an enumeration (two items or more, numbered
 * from one up) are kept: the offline engine reads its items by them and leaves them out of what
 * it writes. Every other list marker (bullets, a lone "1.", numbers that do not count up) is read
 * as the indent a rendered list shows, two spaces over the marker, so that it never reaches a
 * title, summary or task and the item still starts a paragraph of its own.
 */
export function markdownToText(markdown: string): ReadFrom {
  const out: number[] = [];
  const starts: number[] = [];
  const ends: number[] = [];
  const emitUnit = (unit: number, start: number, end: number) => {
    out.push(unit);
    starts.push(start);
    ends.push(end);
  };
  const last = () => (out.length > 0 ? String.fromCharCode(out[out.length - 1] ?? 0) : '');

  let open = false;
  const breakLine = (at: number) => {
    if (out.length > 0 && last() !== '\n') emitUnit(0x0a, at, at);
    open = false;
  };
  /** Continues an open paragraph on a new line of the file: a space, none between CJK. */
  const join = (at: number, next: string) => {
    const prev = last();
    if (prev !== '' && prev !== ' ' && !(isWide(prev) && isWide(next))) emitUnit(0x20, at, at);
  };

  const inline = (from: number, to: number) => {
    let i = from;
    while (i < to) {
      const ch = markdown[i] ?? '';
      const rest = () => markdown.slice(i, Math.min(to, i + 2000));
      if (ch === '\\' && i + 1 < to && PUNCTUATION.test(markdown[i + 1] ?? '')) {
        emitUnit(markdown.charCodeAt(i + 1), i, i + 2);
        i += 2;
        continue;
      }
      if (ch === '`') {
        let n = 1;
        while (markdown[i + n] === '`') n++;
        const close = markdown.indexOf('`'.repeat(n), i + n);
        if (close > 0 && close + n <= to) {
          for (let j = i + n; j < close; j++) emitUnit(markdown.charCodeAt(j), j, j + 1);
          i = close + n;
          continue;
        }
      }
      if (ch === '!' && markdown[i + 1] === '[') {
        const image = IMAGE.exec(rest());
        if (image) {
          i += image[0].length;
          continue;
        }
      }
      if (ch === '[') {
        const link = LINK.exec(rest());
        if (link) {
          inline(i + 1, i + 1 + (link[1]?.length ?? 0));
          i += link[0].length;
          continue;
        }
      }
      if (ch === '<') {
        const auto = AUTOLINK.exec(rest());
        if (auto) {
          for (let j = i + 1; j < i + auto[0].length - 1; j++) {
            emitUnit(markdown.charCodeAt(j), j, j + 1);
          }
          i += auto[0].length;
          continue;
        }
        const tag = TAG.exec(rest());
        if (tag) {
          i += tag[0].length;
          continue;
        }
      }
      if (ch === '*' || ch === '_' || ch === '~') {
        let n = 1;
        while (markdown[i + n] === ch) n++;
        const before = i > from ? (markdown[i - 1] ?? ' ') : ' ';
        const after = i + n < to ? (markdown[i + n] ?? ' ') : ' ';
        const spaced = /\s/.test(before) && /\s/.test(after);
        const intraword = ch === '_' && /[\p{L}\p{N}]/u.test(before) && /[\p{L}\p{N}]/u.test(after);
        // A lone tilde is text ("~5 km"); only ~~strike~~ is markup.
        if (!spaced && !intraword && (ch !== '~' || n >= 2)) {
          i += n;
          continue;
        }
        for (let j = 0; j < n; j++) emitUnit(markdown.charCodeAt(i + j), i + j, i + j + 1);
        i += n;
        continue;
      }
      emitUnit(markdown.charCodeAt(i), i, i + 1);
      i++;
    }
  };

  const lines: Array<{ start: number; end: number }> = [];
  const re = /\r\n|\r|\n/g;
  let lineStart = 0;
  for (let m = re.exec(markdown); m !== null; m = re.exec(markdown)) {
    lines.push({ start: lineStart, end: m.index });
    lineStart = m.index + m[0].length;
  }
  lines.push({ start: lineStart, end: markdown.length });

  const enumerated = enumerations(markdown, lines);
  let fence: string | null = null;
  let comment = false;
  let index = 0;
  // Front matter (YAML or TOML metadata) is not part of what a reader sees.
  const first = lines[0];
  if (first && FRONT_MATTER.test(markdown.slice(first.start, first.end))) {
    const marker = markdown.slice(first.start, first.start + 3);
    const close = lines.findIndex(
      (l, i) => i > 0 && markdown.slice(l.start, l.end).trim() === marker,
    );
    if (close > 0) index = close + 1;
  }
  for (; index < lines.length; index++) {
    const line = lines[index] as { start: number; end: number };
    let start = line.start;
    const { end } = line;
    let text = markdown.slice(start, end);
    if (fence !== null) {
      if (text.trimStart().startsWith(fence)) fence = null;
      continue;
    }
    if (comment) {
      if (text.includes('-->')) comment = false;
      continue;
    }
    if (text.trim() === '') {
      breakLine(start);
      continue;
    }
    const fenced = FENCE.exec(text);
    if (fenced) {
      fence = fenced[1]?.slice(0, 3) ?? '```';
      breakLine(start);
      continue;
    }
    if (/^[ ]{0,3}<!--/.test(text) && !text.includes('-->')) {
      comment = true;
      continue;
    }
    // Before the table rule, which `---` also matches: under a paragraph's line it is a Setext
    // heading's underline, and what follows is no longer that paragraph.
    if (SETEXT_OR_RULE.test(text)) {
      // Under a paragraph line, === or --- makes it a heading; alone, a rule. Either way: a break.
      breakLine(start);
      continue;
    }
    if (REFERENCE.test(text) || TABLE_RULE.test(text)) continue;
    for (let q = QUOTE.exec(text); q !== null; q = QUOTE.exec(text)) {
      start += q[0].length;
      text = markdown.slice(start, end);
    }
    const heading = ATX.exec(text);
    if (heading) {
      breakLine(start);
      const content = text.slice(heading[0].length).replace(/[ \t]+#+[ \t]*$|[ \t]+$/, '');
      inline(start + heading[0].length, start + heading[0].length + content.length);
      breakLine(end);
      continue;
    }
    const item = LIST_ITEM.exec(text);
    if (item) {
      breakLine(start);
      const markerAt = start + (item[1]?.length ?? 0);
      const marker = item[2] ?? '-';
      if (enumerated.has(index)) {
        for (let j = 0; j < marker.length; j++)
          emitUnit(markdown.charCodeAt(markerAt + j), markerAt + j, markerAt + j + 1);
        emitUnit(0x20, markerAt + marker.length, markerAt + marker.length + 1);
      } else {
        emitUnit(0x20, markerAt, markerAt + marker.length);
        emitUnit(0x20, markerAt + marker.length, markerAt + marker.length + 1);
      }
      inline(start + item[0].length, end);
      open = true;
      continue;
    }
    if (text.trimStart().startsWith('|')) {
      breakLine(start);
      const cells = text.split('|');
      let at = start;
      for (const cell of cells) {
        const lead = cell.length - cell.trimStart().length;
        const content = cell.trim();
        if (content !== '') {
          if (last() !== '\n' && out.length > 0) emitUnit(0x20, at, at);
          inline(at + lead, at + lead + content.length);
        }
        at += cell.length + 1;
      }
      breakLine(end);
      continue;
    }
    const lead = text.length - text.trimStart().length;
    if (open) join(start, text.trimStart()[0] ?? '');
    else breakLine(start);
    // A backslash at the end of a line is a hard line break, not text.
    const body = text.trimEnd().replace(/\\$/, '');
    inline(start + lead, start + body.length);
    open = true;
  }
  return {
    text: unitsToString(Uint16Array.from(out), out.length),
    start: Int32Array.from(starts),
    end: Int32Array.from(ends),
  };
}

/**
 * The lines (by index) of ordered list items that make an enumeration: two or more at one
 * indent, numbered 1, 2, 3… with nothing but blank lines, their own text and deeper items
 * between them. A heading, a bullet or an item further out ends one.
 */
function enumerations(markdown: string, lines: Array<{ start: number; end: number }>): Set<number> {
  const kept = new Set<number>();
  let run: { indent: number; last: number; members: number[] } | null = null;
  const close = () => {
    if (run && run.members.length >= 2) for (const i of run.members) kept.add(i);
    run = null;
  };
  lines.forEach(({ start, end }, i) => {
    const text = markdown.slice(start, end);
    const item = LIST_ITEM.exec(text);
    if (item) {
      const indent = (item[1] ?? '').replace(/\t/g, '    ').length;
      const number = /^\d+/.exec(item[2] ?? '')?.[0];
      const current = run as { indent: number; last: number; members: number[] } | null;
      if (current && indent > current.indent) return;
      if (number === undefined) {
        close();
        return;
      }
      const n = Number(number);
      if (current && indent === current.indent && n === current.last + 1) {
        current.last = n;
        current.members.push(i);
        return;
      }
      close();
      if (n === 1) run = { indent, last: 1, members: [i] };
      return;
    }
    if (ATX.test(text) || SETEXT_OR_RULE.test(text) || FENCE.test(text)) close();
  });
  close();
  return kept;
}
