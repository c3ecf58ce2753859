/**
 * The text layer of a PDF, read with PDF.js (`pdfjs-dist`, its legacy build, which runs on Node
 * 20 and 24) and put in reading order ({@link layoutText}). Loaded only when a PDF arrives
 * (package import `#pdf-reader`), as its own file in the deployed bundle, with PDF.js's character
 * maps and standard font data beside it.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DocumentError } from '../errors';
import type { TimeLimit } from '../time-limit';
import { layoutText, type PageText, type TextRun } from './pdf-layout';

/**
 * Stands in for the browser's DOMMatrix, Path2D and ImageData, which PDF.js's display layer
 * creates or looks for when it loads and which Node lacks (PDF.js takes them from the native
 * `@napi-rs/canvas`, which is not shipped: nothing here renders). Reading text never uses them.
 */
class NotRendered {
  constructor() {
    Object.assign(this, { a: 1, b: 0, c: 0, d: 1, e: 0, f: 0, is2D: true, isIdentity: true });
  }
}
for (const name of ['DOMMatrix', 'Path2D', 'ImageData']) {
  const scope = globalThis as Record<string, unknown>;
  scope[name] ??= NotRendered;
}
// Loaded after the stand-ins are in place (static imports would be evaluated before them).
const pdfjs = await import('pdfjs-dist/legacy/build/pdf.mjs');
// PDF.js runs its worker's code in this thread when it finds it here: no worker file to locate.
(globalThis as { pdfjsWorker?: unknown }).pdfjsWorker = await import(
  'pdfjs-dist/legacy/build/pdf.worker.mjs'
);

/**
 * Where PDF.js's data is: `pdfjs/` beside this file in the deployed bundle, else the package.
 * The character maps (`cmaps/`) decode CJK text in fonts with a predefined encoding
 * (UniGB-UCS2-H and the like, common in Chinese documents); without them that text drops out.
 */
function dataDir(): string {
  const bundled = fileURLToPath(new URL('./pdfjs/', import.meta.url));
  if (existsSync(join(bundled, 'cmaps'))) return bundled;
  return dirname(createRequire(import.meta.url).resolve('pdfjs-dist/package.json'));
}

const DATA_DIR = dataDir();

/** A page with fewer non-space characters than this holds no text layer to speak of. */
const MIN_PAGE_TEXT = 10;

export interface PdfText {
  /** The text, one paragraph a line, in reading order. */
  text: string;
  pages: number;
  /** Pages (1-based) that are images without a text layer: scanned. */
  scanned: number[];
}

/**
 * Reads the text layer of a PDF.
 * @throws {DocumentError} `unreadable_document` when the file is damaged or needs a password.
 */
export async function readPdf(bytes: Uint8Array, timeLimit: TimeLimit): Promise<PdfText> {
  const task = pdfjs.getDocument({
    // PDF.js may take the buffer over: a copy leaves the object's bytes (and their hash) alone.
    data: new Uint8Array(bytes),
    cMapUrl: join(DATA_DIR, 'cmaps/'),
    cMapPacked: true,
    standardFontDataUrl: join(DATA_DIR, 'standard_fonts/'),
    disableFontFace: true,
    isEvalSupported: false,
    useSystemFonts: false,
    verbosity: pdfjs.VerbosityLevel.ERRORS,
  });
  let document: Awaited<typeof task.promise>;
  try {
    document = await task.promise;
  } catch (error) {
    await task.destroy();
    const name = error instanceof Error ? error.name : '';
    throw new DocumentError(
      'unreadable_document',
      name === 'PasswordException'
        ? 'The PDF is protected by a password; upload a copy without one.'
        : 'The PDF is damaged and cannot be read; export it again and upload the new file.',
      { cause: error },
    );
  }
  try {
    const pages: PageText[] = [];
    const bare: number[] = [];
    for (let n = 1; n <= document.numPages; n++) {
      timeLimit.check('reading the PDF');
      const page = await document.getPage(n);
      const [, , width, height] = page.view;
      const content = await page.getTextContent();
      const runs: TextRun[] = [];
      let characters = 0;
      for (const item of content.items) {
        if (!('str' in item) || item.str === '') continue;
        const [a = 0, b = 0, , , x = 0, y = 0] = item.transform as number[];
        characters += item.str.replace(/\s/g, '').length;
        runs.push({
          text: item.str,
          x,
          y,
          width: item.width,
          size: Math.hypot(a, b) || item.height,
        });
      }
      if (characters < MIN_PAGE_TEXT) bare.push(n);
      pages.push({ width: width ?? 0, height: height ?? 0, runs });
      page.cleanup();
    }
    // Pages without text in a file with images are scans; without images, blank.
    const scanned = bare.length > 0 && hasImages(bytes) ? bare : [];
    return { text: layoutText(pages), pages: document.numPages, scanned };
  } finally {
    await document.destroy();
  }
}

/**
 * Whether the file holds an image. An image is a stream, and a stream's dictionary is never
 * compressed, so its `/Subtype /Image` is in the bytes as written: no page is parsed again, and
 * no image decoded, to tell a scan.
 */
function hasImages(bytes: Uint8Array): boolean {
  return /\/Subtype\s*\/Image\b/.test(
    Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1'),
  );
}
