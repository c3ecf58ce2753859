import type { Encoding } from '../contract';
import { DocumentError } from '../errors';
import { unitsToString } from './chars';

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

/** Share of the bytes from `start`, every `step`-th, among the first `limit`, that match. */
function byteShare(
  bytes: Uint8Array,
  matches: (b: number) => boolean,
  start = 0,
  step = 1,
  limit = 8192,
): number {
  const n = Math.min(bytes.length, limit);
  let hits = 0;
  let total = 0;
  for (let i = start; i < n; i += step) {
    total++;
    if (matches(bytes[i] ?? 0)) hits++;
  }
  return total === 0 ? 0 : hits / total;
}

const isNul = (b: number) => b === 0;
/** C0 control bytes other than white space and escape: never in text of any 8-bit encoding. */
const isControl = (b: number) =>
  b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d && b !== 0x0c && b !== 0x1b;

/** Share of code points that are control characters other than tab, line breaks and form feed. */
function controlShare(text: string): number {
  let control = 0;
  let total = 0;
  for (const ch of text) {
    total++;
    const c = ch.codePointAt(0) ?? 0;
    // NUL is left out: stray or padding NULs occur in real text files and are dropped later.
    if (
      (c > 0 && c < 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d && c !== 0x0c) ||
      c === 0xfffd
    ) {
      control++;
    }
    if (total >= 8192) break;
  }
  return total === 0 ? 0 : control / total;
}

/**
 * Decodes an object's bytes as text, detecting the encoding: byte-order marks first, then UTF-16
 * by its NUL pattern, then strict UTF-8, then GB18030, Big5 and Windows-1252 (Latin-1), the one
 * whose characters read most like text of its script.
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
  if (decoded.text.replace(/\0/g, '').trim() === '') {
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

  // UTF-16 text without a BOM: NUL bytes at even or odd positions only (Latin text).
  const evenNul = byteShare(bytes, isNul, 0, 2, 4096);
  const oddNul = byteShare(bytes, isNul, 1, 2, 4096);
  if (oddNul > 0.3 && evenNul < 0.05) return utf16(bytes, 'utf-16le');
  if (evenNul > 0.3 && oddNul < 0.05) return utf16(bytes, 'utf-16be');

  const utf8 = tryDecode('utf-8', bytes);
  if (utf8 !== null) return { text: utf8, encoding: 'utf-8' };
  // Text cut off in the middle of a multi-byte character is still UTF-8: keep what is whole.
  for (let cut = 1; cut <= 3 && cut < bytes.length; cut++) {
    const head = tryDecode('utf-8', bytes.subarray(0, bytes.length - cut));
    if (head !== null && /[^\p{ASCII}]/u.test(head)) {
      return {
        text: new TextDecoder('utf-8', { ignoreBOM: true }).decode(bytes),
        encoding: 'utf-8',
      };
    }
  }
  // CJK text in UTF-16 without a BOM has no NUL bytes; it reads as CJK in one byte order only.
  if (bytes.length % 2 === 0) {
    for (const encoding of ['utf-16le', 'utf-16be'] as const) {
      const text = tryDecode(encoding, bytes);
      if (text !== null && plausibleShare(text) > 0.97) return { text, encoding };
    }
  }
  // Single- and double-byte text encodings never use C0 control bytes other than white space.
  if (byteShare(bytes, isControl) > 0.01) {
    throw new DocumentError('binary_input', 'The object holds binary data, not text.');
  }
  // GB18030 accepts almost any byte pairs, so Big5 text decodes as GB18030 too, into rare
  // characters: the decoding that yields more common Chinese characters wins. Windows-1252
  // accepts any byte; Latin text in it has its few non-ASCII letters inside words, while Chinese
  // read as Windows-1252 is runs of accented capitals and symbols, which score near zero.
  const candidates = (['gb18030', 'big5', 'windows-1252'] as const)
    .map((encoding) => ({
      encoding,
      text: encoding === 'windows-1252' ? windows1252(bytes) : tryDecode(encoding, bytes),
    }))
    .filter(
      (c): c is { encoding: 'gb18030' | 'big5' | 'windows-1252'; text: string } => c.text !== null,
    )
    .map((c) => ({
      ...c,
      score: c.encoding === 'windows-1252' ? latinShare(c.text) : commonShare(c.text),
    }))
    .filter((c) => c.encoding !== 'windows-1252' || c.score >= LATIN_MIN_SHARE)
    .sort((a, b) => b.score - a.score);
  const best = candidates[0];
  if (best) return { text: best.text, encoding: best.encoding };
  throw new DocumentError(
    'undecodable',
    'The object is not valid text in any supported encoding (UTF-8, UTF-16, GB18030, Big5, Windows-1252).',
  );
}

/**
 * Bytes 0x80-0x9F of Windows-1252 (the rest is Latin-1, byte for code point); undefined ones stay
 * C1 controls, as the WHATWG decoder has them. Decoded here because Node's TextDecoder reads the
 * `windows-1252` label as Latin-1 in some versions, which turns “ ” — € into control characters.
 */
const CP1252_HIGH = '€\u0081‚ƒ„…†‡ˆ‰Š‹Œ\u008dŽ\u008f\u0090‘’“”•–—˜™š›œ\u009džŸ';

function windows1252(bytes: Uint8Array): string {
  const units = new Uint16Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i] ?? 0;
    units[i] = b >= 0x80 && b < 0xa0 ? CP1252_HIGH.charCodeAt(b - 0x80) : b;
  }
  return unitsToString(units, units.length);
}

/** The least share of plausible non-ASCII characters for text to be read as Windows-1252. */
const LATIN_MIN_SHARE = 0.8;

/** Latin letters of Windows-1252 beyond ASCII: À-ÿ but × and ÷, Œ œ Š š Ž ž Ÿ ƒ. */
const LATIN_LETTER = /[À-ÖØ-öø-ÿŒœŠšŽžŸƒ]/u;
/** Typographic punctuation and signs of Windows-1252 and Latin-1 that stand between words. */
const LATIN_SIGN = /[\u00a0¡¢£¥§©«®°±´µ¶·»¿×÷‘’‚“”„†‡•…‰‹›€™–—]/u;
/** A character a letter inside a word stands next to. */
const WORD_CHAR = /[A-Za-zÀ-ÖØ-öø-ÿ'’-]/u;

/**
 * Share of the non-ASCII characters of `text` that read as Western European text: letters next
 * to a letter (inside a word), signs next to a space, a letter or a digit, and neither in a run
 * of three or more non-ASCII characters (what double-byte text read as Windows-1252 becomes).
 * C1 control characters (bytes 0x80-0x9F that Windows-1252 leaves undefined) count against it.
 */
function latinShare(text: string): number {
  const chars = Array.from(text.slice(0, 16_384));
  const nonAscii = (ch: string | undefined) => ch !== undefined && ch.charCodeAt(0) >= 0x80;
  let plausible = 0;
  let total = 0;
  for (let i = 0; i < chars.length; ) {
    if (!nonAscii(chars[i])) {
      i++;
      continue;
    }
    let end = i;
    while (nonAscii(chars[end])) end++;
    total += end - i;
    if (end - i < 3) {
      for (let j = i; j < end; j++) {
        const ch = chars[j] ?? '';
        const around = `${chars[j - 1] ?? ' '}${chars[j + 1] ?? ' '}`;
        if (LATIN_LETTER.test(ch) ? WORD_CHAR.test(around) : LATIN_SIGN.test(ch)) plausible++;
      }
    }
    i = end;
  }
  return total === 0 ? 0 : plausible / total;
}

/**
 * The most frequent Chinese characters in simplified and traditional forms: real text is full of
 * them, text decoded with the wrong double-byte encoding hardly has any.
 */
const COMMON = new Set(
  '的一是不了人我在有他这中大来上国个到说们为子和你地出道也时年得就那要下以生会自着去之过家学对可她里后小么心多天而能好都然没日于起还发成事只作当想看文无开手十用主行方又如前所本见经头面公同三已老从动两长知民样现分将外但身些与高意进把法此实回二理美点月明其种声全工己话儿者向情部正名定女问力机给等几很业最间新什打便位因重被走电四第门相次东政海口使教西再平真听世气信北少关并内加化由却代军产入先山五太水万市眼体别处总才场师书比住员九笑性通目华报立马命张活难神数件安表原车白应路期叫死常提感金何更反合放做系计或司利受光王果亲界及今京务制解各任至清物台象记边共风战干接它许八特觉望直服毛林题建南度统色字请交爱让认算论百吃义科怎元社术结六功指思非流每青管夫连远资队跟带花快条院变联言权往展该领传近留红治决周保达办运武半候七必城父强步完革深区即求品士转量空甚众技轻程告江语英基派满式李息写呢识极令黄德收脸钱党倒未持取设始版双历越史商千片容研像找友孩站广改议形委早房音火际则首单据导影失拿网香似斯专石若兵弟谁校读志飞观争究包组造落视济喜离虽坏兴切支依這個們為說時國會過還後發對動進實現兩長從樣經頭見門問間聽氣東關產萬馬電書車應邊認論計級區義專業與來學當麼裡種無開點機體員總場師變聯權傳運達辦帶條隊導歷錢黨將於務設記動總報質華軍陽際線響轉號類農會經濟發展。，、',
);

function commonShare(text: string): number {
  let common = 0;
  let total = 0;
  for (const ch of text) {
    if (ch.charCodeAt(0) < 0x80) continue;
    total++;
    if (COMMON.has(ch)) common++;
  }
  return total === 0 ? 0 : common / total;
}

/** Share of characters that text is made of: CJK, kana, CJK punctuation, ASCII, white space. */
function plausibleShare(text: string): number {
  let ok = 0;
  let total = 0;
  for (const ch of text) {
    total++;
    const c = ch.codePointAt(0) ?? 0;
    if (
      (c >= 0x20 && c < 0x7f) ||
      c === 0x0a ||
      c === 0x0d ||
      c === 0x09 ||
      (c >= 0x3000 && c <= 0x30ff) ||
      (c >= 0x4e00 && c <= 0x9fff) ||
      (c >= 0xff00 && c <= 0xffef) ||
      c === 0x2014 ||
      c === 0x2026 ||
      (c >= 0x2018 && c <= 0x201d)
    ) {
      ok++;
    }
  }
  return total === 0 ? 0 : ok / total;
}

function utf16(bytes: Uint8Array, encoding: 'utf-16le' | 'utf-16be'): Decoded {
  const text = tryDecode(encoding, bytes);
  if (text === null) {
    throw new DocumentError('undecodable', `The object is not valid ${encoding.toUpperCase()}.`);
  }
  return { text, encoding };
}
