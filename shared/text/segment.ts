/** A sentence of a normalized text: its trimmed text and [start, end) UTF-16 range. */
export interface Sentence {
  text: string;
  start: number;
  end: number;
  /** Index of the paragraph it belongs to. */
  paragraph: number;
}

const LIST_NUMBER = /^(?:\(?\d{1,3}[.)]|[a-zA-Z][.)]|[-•·●▪*])$/;

const segmenters = new Map<string, Intl.Segmenter>();

function segmenter(language: string): Intl.Segmenter {
  let s = segmenters.get(language);
  if (!s) {
    s = new Intl.Segmenter(language === 'und' ? 'en' : language, { granularity: 'sentence' });
    segmenters.set(language, s);
  }
  return s;
}

/**
 * Splits paragraphs into sentences with `Intl.Segmenter` (ICU rules: 。！？ and their Latin forms
 * end sentences; closing quotes stay with their sentence).
 */
export function splitSentences(
  text: string,
  paragraphs: ReadonlyArray<{ start: number; end: number }>,
  language: string,
): Sentence[] {
  const sentences: Sentence[] = [];
  const seg = segmenter(language);
  paragraphs.forEach((p, paragraph) => {
    let carried: number | null = null;
    for (const { segment, index } of seg.segment(text.slice(p.start, p.end))) {
      const lead = segment.length - segment.trimStart().length;
      const body = segment.trim();
      if (body === '') continue;
      const start: number = carried ?? p.start + index + lead;
      const end = p.start + index + lead + body.length;
      // ICU ends a sentence after a list number ("1."); keep the number with its item.
      if (LIST_NUMBER.test(body)) {
        carried = start;
        continue;
      }
      carried = null;
      sentences.push({ text: text.slice(start, end), start, end, paragraph });
    }
    if (carried !== null) {
      const end = p.end;
      sentences.push({ text: text.slice(carried, end).trim(), start: carried, end, paragraph });
    }
  });
  return sentences;
}
