/**
 * Reading an object: one reader per format, chosen from its bytes, key and content type
 * ({@link sniff}). Text, Markdown and HTML are decoded here; the PDF and Word readers, with
 * their libraries, are separate modules loaded only when such a file arrives, so that a text
 * document's cold start never loads them.
 */
import type { Encoding, Format } from '../contract';
import { DocumentError } from '../errors';
import { decodeText } from '../text/decode';
import { detectFormat } from '../text/html';
import { TimeLimit } from '../time-limit';
import { NeedsOcrError, type OcrInput, type OcrStep } from './ocr';
import { sniff, withArticle } from './sniff';

export type { OcrInput, OcrStep } from './ocr';
export { type Readable, readableText } from './readable';

/** An object as stored: its key, its `Content-Type` and its bytes. */
export interface StoredDocument {
  key: string;
  contentType: string | null;
  bytes: Uint8Array;
}

/** What an object says, and what its evidence offsets will index. */
export interface DocumentText {
  format: Format;
  /** The text encoding it was decoded with; null for a file whose text was read out of it. */
  encoding: Encoding | null;
  /**
   * What evidence offsets index: the decoded object (text, Markdown, HTML: read further by
   * {@link readableText}), or the text read out of a PDF, Word file or picture.
   */
  text: string;
  /** Whether `text` was read out of a file that is not text: it is kept beside the digest. */
  kept: boolean;
}

export interface ReadOptions {
  /** Reads scans and pictures; without one they end with `needs_ocr`. */
  ocr?: OcrStep | undefined;
  /** Checked between the pages of a PDF. Default: none. */
  timeLimit?: TimeLimit | undefined;
}

/** A PDF is a scan when at least this share of its pages are images without text. */
const SCANNED_SHARE = 0.5;

/**
 * Reads an object's text.
 * @throws {DocumentError} `empty_input` (nothing to read), `binary_input` (not a document),
 *   `unsupported_format` (a legacy or other office format: the message says what to convert it
 *   to), `needs_ocr` (a scan or a picture, without an OCR step), `unreadable_document` (a
 *   damaged or password-protected PDF or Word file), `undecodable` (text in no supported
 *   encoding).
 */
export async function readDocument(
  document: StoredDocument,
  { ocr, timeLimit = TimeLimit.none() }: ReadOptions = {},
): Promise<DocumentText> {
  const { key, contentType, bytes } = document;
  if (bytes.length === 0) throw new DocumentError('empty_input', 'The object is empty.');
  const recognized = async (input: OcrInput, format: Format): Promise<DocumentText> => {
    if (!ocr) throw new NeedsOcrError(input);
    const text = await ocr.recognize(input, timeLimit);
    return readOut(format, text, `${input.label} (recognized)`);
  };
  const sniffed = sniff(bytes, key, contentType);
  switch (sniffed.kind) {
    case 'pdf': {
      const { readPdf } = await import('#pdf-reader');
      const pdf = await readPdf(bytes, timeLimit);
      if (pdf.scanned.length > 0 && pdf.scanned.length >= pdf.pages * SCANNED_SHARE) {
        const label = `PDF of ${pdf.pages} page${pdf.pages === 1 ? '' : 's'}`;
        return recognized({ bytes, kind: 'pdf', label, pages: pdf.scanned }, 'pdf');
      }
      return readOut('pdf', pdf.text, 'PDF');
    }
    case 'docx': {
      const { readDocx } = await import('#docx-reader');
      const docx = await readDocx(bytes);
      if (docx.text.trim() === '' && docx.images > 0) {
        throw new DocumentError(
          'needs_ocr',
          'The Word document holds only pictures (a scan): their text can only be read by OCR, which is not set up.',
        );
      }
      return readOut('docx', docx.text, 'Word document');
    }
    case 'image':
      return recognized({ bytes, kind: 'image', label: sniffed.label }, 'image');
    case 'unsupported':
      throw new DocumentError(
        'unsupported_format',
        `The object is ${withArticle(sniffed.label)}, which is not read: ${sniffed.advice}.`,
      );
    case 'protected':
      throw new DocumentError(
        'unreadable_document',
        `The object is a password-protected ${sniffed.label}, which cannot be read: upload a copy without the password.`,
      );
    case 'binary':
      throw new DocumentError(
        'binary_input',
        `The object is ${withArticle(sniffed.label)}, not a document.`,
      );
    case 'text': {
      const decoded = decodeText(bytes);
      return {
        format: detectFormat(key, contentType, decoded.text),
        encoding: decoded.encoding,
        text: decoded.text,
        kept: false,
      };
    }
  }
}

function readOut(format: Format, text: string, label: string): DocumentText {
  if (text.trim() === '') throw new DocumentError('empty_input', `The ${label} holds no text.`);
  return { format, encoding: null, text, kept: true };
}
