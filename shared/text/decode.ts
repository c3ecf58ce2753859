import type { Encoding } from '../contract';
import { DocumentError } from '../errors';

export interface Decoded {
  /** The decoded text, byte-order mark removed, nothing else changed. Offsets refer to this. */
  text: string;
  encoding: Encoding;
}

/** Leading bytes of common binary formats: [label, magic bytes]. */
const BINARY_SIGNATURES: ReadonlyArray<readonly [string, readonly number[]]> = [
  ['PDF document', [0x25, 0x50, 0x44, 0x46, 0x2d]],
  ['ZIP archive or Office document', [0x50, 0x4b, 0x03, 0x04]],
  ['PNG image', [0x89, 0x50, 0x4e, 0x47]],
  ['JPEG image', [0xff, 0xd8, 0xff]],
  ['GIF image', [0x47, 0x49, 0x46, 0x38]],
  ['WebP or RIFF media', [0x52, 0x49, 0x46, 0x46]],
  ['gzip archive', [0x1f, 0x8b]],
  ['7-Zip archive', [0x37, 0x7a, 0xbc, 0xaf]],
  ['RAR archive', [0x52, 0x61, 0x72, 0x21]],
  ['ELF executable', [0x7f, 0x45, 0x4c, 0x46]],
  ['Windows executable', [0x4d, 0x5a]],
  ['OLE2 (legacy Office) document', [0xd0, 0xcf, 0x11, 0xe0]],
];

function startsWith(bytes: Uint8Array, prefix: readonly number[]): boolean {
  return prefix.length <= bytes.length && prefix.every((b, i) => bytes[i] === b);
}

function tryDecode(label: string, bytes: Uint8Array): string | null {
  try {
    return new TextDecoder(label, { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    return null;
  }
}

/** Share of even- or odd-indexed bytes that are NUL, the mark of UTF-16 text without a BOM. */
function nulShare(bytes: Uint8Array, parity: 0 | 1): number {
  const n = Math.min(bytes.length, 4096);
  let nul = 0;
  let total = 0;
  for (let i = parity; i < n; i += 2) {
    total++;
    if (bytes[i] === 0) nul++;
  }
  return total === 0 ? 0 : nul / total;
}

/** Share of code points that are control characters other than tab, line breaks and form feed. */
function controlShare(text: string): number {
  let control = 0;
  let total = 0;
  for (const ch of text) {
    total++;
    const c = ch.codePointAt(0) ?? 0;
    if ((c < 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d && c !== 0x0c) || c === 0xfffd)
      control++;
    if (total >= 8192) break;
  }
  return total === 0 ? 0 : control / total;
}

/**
 * Decodes an object's bytes as text, detecting the encoding: byte-order marks first, then UTF-16
 * by its NUL pattern, then strict UTF-8, then GB18030 and Big5.
 *
 * @throws {DocumentError} `binary_input` for known binary formats and control-character noise,
 *   `undecodable` when no supported encoding fits, `empty_input` for empty or blank text.
 */
export function decodeText(bytes: Uint8Array): Decoded {
  if (bytes.length === 0) throw new DocumentError('empty_input', 'The object is empty.');
  for (const [label, magic] of BINARY_SIGNATURES) {
    if (startsWith(bytes, magic)) {
      throw new DocumentError('binary_input', `The object is a ${label}, not text.`);
    }
  }
  const decoded = detect(bytes);
  if (controlShare(decoded.text) > 0.02) {
    throw new DocumentError('binary_input', 'The object holds binary data, not text.');
  }
  if (decoded.text.trim() === '') {
    throw new DocumentError('empty_input', 'The object holds only whitespace.');
  }
  return decoded;
}

function detect(bytes: Uint8Array): Decoded {
  if (startsWith(bytes, [0xef, 0xbb, 0xbf])) {
    const text = tryDecode('utf-8', bytes.subarray(3));
    if (text !== null) return { text, encoding: 'utf-8' };
  }
  if (startsWith(bytes, [0xff, 0xfe])) return utf16(bytes.subarray(2), 'utf-16le');
  if (startsWith(bytes, [0xfe, 0xff])) return utf16(bytes.subarray(2), 'utf-16be');

  const evenNul = nulShare(bytes, 0);
  const oddNul = nulShare(bytes, 1);
  if (oddNul > 0.3 && evenNul < 0.05) return utf16(bytes, 'utf-16le');
  if (evenNul > 0.3 && oddNul < 0.05) return utf16(bytes, 'utf-16be');

  const utf8 = tryDecode('utf-8', bytes);
  if (utf8 !== null) return { text: utf8, encoding: 'utf-8' };
  // Single- and double-byte text encodings never use C0 control bytes other than white space.
  if (controlByteShare(bytes) > 0.01) {
    throw new DocumentError('binary_input', 'The object holds binary data, not text.');
  }
  const gb = tryDecode('gb18030', bytes);
  if (gb !== null) return { text: gb, encoding: 'gb18030' };
  const big5 = tryDecode('big5', bytes);
  if (big5 !== null) return { text: big5, encoding: 'big5' };
  throw new DocumentError(
    'undecodable',
    'The object is not valid text in any supported encoding (UTF-8, UTF-16, GB18030, Big5).',
  );
}

function controlByteShare(bytes: Uint8Array): number {
  const n = Math.min(bytes.length, 8192);
  let control = 0;
  for (let i = 0; i < n; i++) {
    const b = bytes[i] ?? 0;
    if (b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d && b !== 0x0c && b !== 0x1b) control++;
  }
  return n === 0 ? 0 : control / n;
}

function utf16(bytes: Uint8Array, encoding: 'utf-16le' | 'utf-16be'): Decoded {
  const text = tryDecode(encoding, bytes);
  if (text === null) {
    throw new DocumentError('undecodable', `The object is not valid ${encoding.toUpperCase()}.`);
  }
  return { text, encoding };
}
