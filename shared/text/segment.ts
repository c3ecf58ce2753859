/** A sentence of a normalized text: its trimmed text and [start, end) UTF-16 range. */
export interface Sentence {
  text: string;
  start: number;
  end: number;
  /** Index of the paragraph it belongs to. */
  paragraph: number;
}

const LIST_NUMBER = /^(?:\(?\d{1,3}[.)]|[a-zA-Z][.)]|[-•·●▪*])$/;

/**
 * UTF-16 units handed to the segmenter at a time. V8's `Intl.Segmenter` takes time quadratic in
 * the length of the string it iterates (a 1 MB paragraph took seconds, 10 MB minutes), so a
 * paragraph is read in windows of this size; from 1,000 to 4,000 units costs about the same.
 */
export const SEGMENT_WINDOW = 4096;

/**
 * The longest sentence, in UTF-16 units: longer runs (text without sentence punctuation) are cut,
 * at clause punctuation or white space where there is some. Sentences of real prose are a few
 * hundred units at most; an unbounded one would become an unbounded summary or key point.
 */
export const MAX_SENTENCE = 2000;

/** Clause punctuation and white space: where an overlong sentence is best cut (after it). */
const SOFT_BREAK = /[，,；;、：:\s]/;

const segmenters = new Map<string, Intl.Segmenter>();

function segmenter(language: string): Intl.Segmenter {
  let s = segmenters.get(language);
  if (!s) {
    s = new Intl.Segmenter(language === 'und' ? 'en' : language, { granularity: 'sentence' });
    segmenters.set(language, s);
  }
  return s;
}

/** Moves `index` back off the low half of a surrogate pair, so no cut splits a character. */
function whole(text: string, index: number, floor: number): number {
  const c = text.charCodeAt(index);
  return index > floor && c >= 0xdc00 && c <= 0xdfff ? index - 1 : index;
}

/** Where to end a piece of `text` that starts at `from` and must end by `limit`. */
function cutPoint(text: string, from: number, limit: number): number {
  for (let i = limit - 1; i > from + (limit - from) / 2; i--) {
    if (SOFT_BREAK.test(text[i] ?? '')) return i + 1;
  }
  return whole(text, limit, from + 1);
}

/**
 * Splits paragraphs into sentences with `Intl.Segmenter` (ICU rules: 。！？ and their Latin forms
 * end sentences; closing quotes stay with their sentence). Linear in the text's length: text is
 * segmented in windows of {@link SEGMENT_WINDOW} units, each window restarting at the last
 * sentence the one before may have cut short; no sentence is longer than {@link MAX_SENTENCE}
 * units. Paragraphs one line break apart share windows (ICU always ends a sentence at a line
 * break), since each call to the segmenter has a cost of its own.
 */
export function splitSentences(
  text: string,
  paragraphs: ReadonlyArray<{ start: number; end: number }>,
  language: string,
): Sentence[] {
  const sentences: Sentence[] = [];
  const seg = segmenter(language);
  /** The paragraph being read, by index. */
  let paragraph = 0;
  /** Where a list number ("1.") that opens the next sentence starts. */
  let carried: number | null = null;
  /** Takes the trimmed [start, end) as a sentence, cut into pieces if it is too long. */
  const take = (start: number, end: number) => {
    let from = start;
    while (from < end) {
      const to = end - from > MAX_SENTENCE ? cutPoint(text, from, from + MAX_SENTENCE) : end;
      const piece = text.slice(from, to);
      const lead = piece.length - piece.trimStart().length;
      const body = piece.trim();
      if (body !== '') {
        const s = from + lead;
        sentences.push({ text: body, start: s, end: s + body.length, paragraph });
      }
      from = to;
    }
  };
  /** Ends the paragraph being read (a list number at its end is a sentence) and moves on. */
  const closeParagraph = () => {
    const p = paragraphs[paragraph];
    if (carried !== null && p) take(carried, p.end);
    carried = null;
    paragraph++;
  };
  /** Moves on to the paragraph that holds `index`. */
  const reach = (index: number) => {
    while (paragraph < paragraphs.length && index >= (paragraphs[paragraph]?.end ?? 0)) {
      closeParagraph();
    }
  };

  let first = 0;
  while (first < paragraphs.length) {
    // A run of paragraphs separated by one line break each, read as one text.
    let last = first;
    for (;;) {
      const p = paragraphs[last];
      const next = paragraphs[last + 1];
      if (!p || !next || next.start !== p.end + 1 || text.charCodeAt(p.end) !== 0x0a) break;
      last++;
    }
    paragraph = first;
    carried = null;
    const runEnd = paragraphs[last]?.end ?? 0;
    let from = paragraphs[first]?.start ?? 0;
    while (from < runEnd) {
      const to =
        runEnd - from > SEGMENT_WINDOW ? whole(text, from + SEGMENT_WINDOW, from + 1) : runEnd;
      const final = to === runEnd;
      const found: Array<{ start: number; end: number; body: string }> = [];
      for (const { segment, index } of seg.segment(text.slice(from, to))) {
        const body = segment.trim();
        if (body === '') continue;
        const start = from + index + (segment.length - segment.trimStart().length);
        found.push({ start, end: start + body.length, body });
      }
      // The window's last sentence may go on past it: read it again at the head of the next
      // window, unless it is all the window holds (then it is cut at the longest length).
      let next = to;
      if (!final && found.length > 1) {
        next = found.pop()?.start ?? to;
      } else if (!final) {
        found.length = 0;
        const end = cutPoint(text, from, Math.min(to, from + MAX_SENTENCE));
        reach(from);
        const start = carried ?? from;
        carried = null;
        take(start, end);
        next = end;
      }
      for (const { start, end, body } of found) {
        reach(start);
        // ICU ends a sentence after a list number ("1."); keep the number with its item.
        if (LIST_NUMBER.test(body)) {
          carried ??= start;
          continue;
        }
        take(carried ?? start, end);
        carried = null;
      }
      from = next;
    }
    while (paragraph <= last) closeParagraph();
    first = last + 1;
  }
  return sentences;
}
