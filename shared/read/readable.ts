import type { Format } from '../contract';
import { markdownToText } from './markdown';

/** Text read out of another text: each UTF-16 unit with the [start, end) range it came from. */
export interface ReadFrom {
  text: string;
  start: Int32Array;
  end: Int32Array;
}

/** What the engine reads, and, when it was read out of markup, the text evidence offsets index. */
export interface Readable {
  text: string;
  /** The marked-up source and where each unit of `text` came from in it. */
  raw?: ReadFrom;
}

/**
 * The text a reader sees in a source whose evidence offsets index the source itself: the main
 * content of an HTML page (its reader, with `@mozilla/readability` and `linkedom`, is loaded only
 * when a page arrives), Markdown without its markup; text, and the text read out of a PDF or Word
 * file, as it is.
 */
export async function readableText(source: string, format: Format): Promise<Readable> {
  if (format === 'markdown') return mapped(source, markdownToText(source));
  if (format === 'html') {
    const { readHtml } = await import('#html-reader');
    return mapped(source, readHtml(source));
  }
  return { text: source };
}

function mapped(source: string, read: ReadFrom): Readable {
  return { text: read.text, raw: { text: source, start: read.start, end: read.end } };
}
