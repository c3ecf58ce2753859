/**
 * The seam where an OCR step plugs in. None ships yet: a scan or a picture ends with a
 * `needs_ocr` error record that says what it is. A step that implements {@link OcrStep} and is
 * passed to the pipeline (`PipelineDeps.ocr`) is given those objects instead, and what it
 * returns is read like a PDF's text layer: kept under `TEXT_PREFIX`, indexed by evidence offsets.
 */
import { DocumentError } from '../errors';
import type { TimeLimit } from '../time-limit';
import { withArticle } from './sniff';

/** What an OCR step is given. */
export interface OcrInput {
  /** The object's bytes. */
  bytes: Uint8Array;
  /** `pdf`: a PDF whose pages have no text layer; `image`: a picture. */
  kind: 'pdf' | 'image';
  /** What the reader found, for messages: "PNG image", "PDF of 3 pages". */
  label: string;
  /** For a PDF, the pages (1-based) that are images without text; the others have text. */
  pages?: number[];
}

/** Reads the text of scans and pictures. */
export interface OcrStep {
  /** Recognises the text of `input`, one paragraph a line, in reading order. An image needs a
   * `Format` of its own in the contract (a minor version), added with the first step.
   * @throws {DocumentError} when the input holds no legible text. */
  recognize(input: OcrInput, timeLimit: TimeLimit): Promise<string>;
}

/** A scan or a picture that no OCR step read: its record says so, and what it is. */
export class NeedsOcrError extends DocumentError {
  constructor(readonly input: OcrInput) {
    const pages = input.pages?.length ?? 0;
    super(
      'needs_ocr',
      input.kind === 'image'
        ? `The object is ${withArticle(input.label)}: its text can only be read by OCR, which is not set up.`
        : `The object is ${withArticle(input.label)} whose ${pages === 1 ? 'page is an image' : `${pages} pages are images`} without a text layer (a scan): its text can only be read by OCR, which is not set up. A PDF with a text layer (exported, or scanned with OCR) is read.`,
    );
  }
}
