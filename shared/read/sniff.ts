/**
 * What kind of file an object is, from its first bytes (magic numbers), the names inside a ZIP
 * or OLE2 container, its key's suffix and its content type, in that order of trust: a `.pdf` key
 * holding text is read as text, and a PDF named `.txt` as a PDF.
 */
import { zipEntryNames } from './zip';

export type Sniffed =
  | { kind: 'text' }
  | { kind: 'pdf' }
  | { kind: 'docx' }
  /** A picture: its text needs OCR. */
  | { kind: 'image'; label: string }
  /** A document format not read: `advice` says what to convert it to. */
  | { kind: 'unsupported'; label: string; advice: string }
  /** Not a document at all: archives, executables, media. */
  | { kind: 'binary'; label: string }
  /** An Office file encrypted with a password ("Word document"): it cannot be read. */
  | { kind: 'protected'; label: string };

type Magic = readonly [offset: number, bytes: readonly number[]];

const ascii = (text: string): number[] => Array.from(text, (c) => c.charCodeAt(0));

function has(bytes: Uint8Array, [offset, magic]: Magic): boolean {
  return offset + magic.length <= bytes.length && magic.every((b, i) => bytes[offset + i] === b);
}

const IMAGES: ReadonlyArray<readonly [string, Magic]> = [
  ['PNG image', [0, [0x89, 0x50, 0x4e, 0x47]]],
  ['JPEG image', [0, [0xff, 0xd8, 0xff]]],
  ['GIF image', [0, ascii('GIF8')]],
  ['TIFF image', [0, [0x49, 0x49, 0x2a, 0x00]]],
  ['TIFF image', [0, [0x4d, 0x4d, 0x00, 0x2a]]],
  ['WebP image', [8, ascii('WEBP')]],
  // "BM", the file size, then four reserved zero bytes: text that opens with "BM" has no NULs.
  ['BMP image', [6, [0, 0, 0, 0]]],
  ['HEIC image', [4, ascii('ftypheic')]],
  ['JPEG 2000 image', [0, [0x00, 0x00, 0x00, 0x0c, 0x6a, 0x50, 0x20, 0x20]]],
];

const BINARY: ReadonlyArray<readonly [string, Magic]> = [
  ['gzip archive', [0, [0x1f, 0x8b]]],
  ['7-Zip archive', [0, [0x37, 0x7a, 0xbc, 0xaf]]],
  ['RAR archive', [0, ascii('Rar!')]],
  ['ELF executable', [0, [0x7f, 0x45, 0x4c, 0x46]]],
  ['Windows executable', [0, ascii('MZ')]],
  ['RIFF media file', [0, ascii('RIFF')]],
];

const OLE2: Magic = [0, [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]];
const ZIP: Magic = [0, ascii('PK\u0003\u0004')];
const RTF: Magic = [0, ascii('{\\rtf')];

const TO_DOCX = 'save it as .docx (Word) or PDF and upload that';
const TO_PDF = 'save it as PDF and upload that';

/** Legacy and other office formats by key suffix: what they are and what to convert them to. */
const OFFICE_SUFFIXES: Record<string, readonly [string, string]> = {
  doc: ['legacy Word document (.doc)', TO_DOCX],
  dot: ['legacy Word template (.dot)', TO_DOCX],
  wps: ['WPS Writer document (.wps)', TO_DOCX],
  wpt: ['WPS Writer template (.wpt)', TO_DOCX],
  xls: ['legacy Excel workbook (.xls)', TO_PDF],
  et: ['WPS Spreadsheets workbook (.et)', TO_PDF],
  ppt: ['legacy PowerPoint presentation (.ppt)', TO_PDF],
  dps: ['WPS Presentation (.dps)', TO_PDF],
  msg: ['Outlook message (.msg)', TO_PDF],
};

/** The streams that name an OLE2 file's application, as UTF-16LE in its directory. */
const OLE2_STREAMS: ReadonlyArray<readonly [string, string, string]> = [
  ['WordDocument', 'legacy Word document (.doc)', TO_DOCX],
  ['Workbook', 'legacy Excel workbook (.xls)', TO_PDF],
  ['PowerPoint Document', 'legacy PowerPoint presentation (.ppt)', TO_PDF],
];

/** ZIP-based formats other than .docx, by a telling entry name. */
const ZIP_FORMATS: ReadonlyArray<readonly [RegExp, string, string]> = [
  [/^xl\//, 'Excel workbook (.xlsx)', TO_PDF],
  [/^ppt\//, 'PowerPoint presentation (.pptx)', TO_PDF],
  [/^content\.xml$/, 'OpenDocument file (.odt, .ods or .odp)', TO_DOCX],
  [/^META-INF\/container\.xml$/, 'EPUB e-book', TO_PDF],
  [/^Contents\/.*\.xml$/i, 'WPS or Hancom document', TO_DOCX],
];

function suffixOf(key: string): string | undefined {
  return /\.([a-z0-9]+)$/i.exec(key)?.[1]?.toLowerCase();
}

function utf16Index(bytes: Uint8Array, text: string): boolean {
  const needle = Buffer.from(text, 'utf16le');
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).includes(needle);
}

/** What an encrypted Office Open XML file is, by its key's suffix. */
const PROTECTED_SUFFIXES: Record<string, string> = {
  docx: 'Word document',
  docm: 'Word document',
  dotx: 'Word template',
  xlsx: 'Excel workbook',
  xlsm: 'Excel workbook',
  pptx: 'PowerPoint presentation',
};

/**
 * Which application wrote an OLE2 (Compound File) document: by its suffix, else its streams. A
 * password-protected .docx, .xlsx or .pptx is an OLE2 file too: Office encrypts the whole ZIP
 * into a stream named EncryptedPackage (MS-OFFCRYPTO), whatever the key's suffix says.
 */
function ole2(bytes: Uint8Array, key: string): Sniffed {
  if (utf16Index(bytes, 'EncryptedPackage')) {
    return {
      kind: 'protected',
      label: PROTECTED_SUFFIXES[suffixOf(key) ?? ''] ?? 'Office document',
    };
  }
  const bySuffix = OFFICE_SUFFIXES[suffixOf(key) ?? ''];
  if (bySuffix) return { kind: 'unsupported', label: bySuffix[0], advice: bySuffix[1] };
  for (const [stream, label, advice] of OLE2_STREAMS) {
    if (utf16Index(bytes, stream)) return { kind: 'unsupported', label, advice };
  }
  return { kind: 'unsupported', label: 'legacy Office (OLE2) document', advice: TO_PDF };
}

function zip(bytes: Uint8Array): Sniffed {
  const names = zipEntryNames(bytes);
  if (names.includes('word/document.xml')) return { kind: 'docx' };
  for (const [pattern, label, advice] of ZIP_FORMATS) {
    if (names.some((name) => pattern.test(name))) return { kind: 'unsupported', label, advice };
  }
  return { kind: 'binary', label: 'ZIP archive' };
}

/**
 * A PDF opens with `%PDF-`, or has it within its first 1,024 bytes after some junk (a mail
 * header) and then ends with `%%EOF`, as readers accept it; text that merely quotes the header
 * does not end like that.
 */
function isPdf(bytes: Uint8Array): boolean {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (has(bytes, [0, ascii('%PDF-')])) return true;
  const at = buffer.subarray(0, 1024).indexOf('%PDF-');
  return at > 0 && buffer.subarray(Math.max(0, buffer.length - 1024)).includes('%%EOF');
}

/**
 * Tells how to read an object.
 * @param key the object key (its suffix names legacy office formats that share a container).
 * @param contentType the object's `Content-Type`, or null.
 */
export function sniff(bytes: Uint8Array, key: string, contentType: string | null): Sniffed {
  if (isPdf(bytes)) return { kind: 'pdf' };
  if (has(bytes, ZIP)) return zip(bytes);
  if (has(bytes, OLE2)) return ole2(bytes, key);
  if (has(bytes, RTF)) {
    return { kind: 'unsupported', label: 'Rich Text Format document (.rtf)', advice: TO_DOCX };
  }
  for (const [label, magic] of IMAGES) {
    if (has(bytes, magic) && (label !== 'BMP image' || has(bytes, [0, ascii('BM')]))) {
      return { kind: 'image', label };
    }
  }
  for (const [label, magic] of BINARY) if (has(bytes, magic)) return { kind: 'binary', label };
  if (contentType?.startsWith('image/')) return { kind: 'image', label: `${contentType} image` };
  return { kind: 'text' };
}

/** `label` after its indefinite article: "an Excel workbook", "a legacy Word document". */
export function withArticle(label: string): string {
  return `${/^(?:[aeio]|u(?!ni|s[eu]))/i.test(label) ? 'an' : 'a'} ${label}`;
}
