import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import { DocumentError } from '../../shared/errors';
import { decodeText } from '../../shared/text/decode';
import { SAMPLE_000, sampleText } from '../support/fixtures';

const text = sampleText(SAMPLE_000).slice(0, 400);

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    if (error instanceof DocumentError) return error.code;
    throw error;
  }
  return undefined;
}

describe('decodeText', () => {
  it('decodes UTF-8 with and without a byte-order mark', () => {
    expect(decodeText(Buffer.from(text))).toEqual({ text, encoding: 'utf-8' });
    const bom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text)]);
    expect(decodeText(bom)).toEqual({ text, encoding: 'utf-8' });
  });

  it('detects UTF-16 LE and BE by their byte-order marks', () => {
    expect(decodeText(iconv.encode(text, 'utf-16le', { addBOM: true }))).toEqual({
      text,
      encoding: 'utf-16le',
    });
    expect(decodeText(iconv.encode(text, 'utf-16be', { addBOM: true }))).toEqual({
      text,
      encoding: 'utf-16be',
    });
  });

  it('detects BOM-less UTF-16 LE from its NUL pattern in mostly-ASCII text', () => {
    const english =
      'The council will publish the plan by March.\nIt must consult residents first.\n';
    expect(decodeText(iconv.encode(english, 'utf-16le'))).toEqual({
      text: english,
      encoding: 'utf-16le',
    });
  });

  it('falls back to GB18030 for GBK-encoded Chinese', () => {
    expect(decodeText(iconv.encode(text, 'gbk'))).toEqual({ text, encoding: 'gb18030' });
  });

  it('detects BOM-less UTF-16 holding Chinese text, in either byte order', () => {
    expect(decodeText(iconv.encode(text, 'utf-16le'))).toEqual({ text, encoding: 'utf-16le' });
    expect(decodeText(iconv.encode(text, 'utf-16be'))).toEqual({ text, encoding: 'utf-16be' });
  });

  it('tells Big5 from GBK by the characters each decoding yields', () => {
    const traditional =
      '會議強調，一是加強組織領導，明確責任分工。二是由市財政局負責，年底前落實配套資金。三是做好宣傳引導。';
    expect(decodeText(iconv.encode(traditional, 'big5'))).toEqual({
      text: traditional,
      encoding: 'big5',
    });
    expect(decodeText(iconv.encode(text, 'gb18030'))).toEqual({ text, encoding: 'gb18030' });
    const short = '会议强调抓落实。';
    expect(decodeText(iconv.encode(short, 'gbk'))).toEqual({ text: short, encoding: 'gb18030' });
  });

  it('keeps UTF-8 text cut off in the middle of a character', () => {
    const bytes = Buffer.from(text);
    const cut = bytes.subarray(0, bytes.length - 1);
    const decoded = decodeText(cut);
    expect(decoded.encoding).toBe('utf-8');
    expect(decoded.text.startsWith(text.slice(0, -1))).toBe(true);
  });

  it('keeps CRLF and CR line endings and stray NUL bytes in the decoded text', () => {
    const crlf = `第一段。\r\n第二段。\r第三段。\u0000${text}\u0000\u0000`;
    expect(decodeText(Buffer.from(crlf))).toEqual({ text: crlf, encoding: 'utf-8' });
    expect(() => decodeText(Buffer.from('\u0000\u0000 \n\u0000'))).toThrow(/only whitespace/);
  });

  it('decodes Windows-1252 text that is neither UTF-8 nor a Chinese encoding', () => {
    // The reproduction: two lines of English with one "é" were undecodable.
    const notes = 'Notes from the café meeting on Tuesday.\nThe committee will publish it.\n';
    expect(decodeText(iconv.encode(notes, 'win1252'))).toEqual({
      text: notes,
      encoding: 'windows-1252',
    });
    // Bytes 0x80-0x9F are the curly quotes, dashes and euro sign, not control characters.
    const typographic = 'The “final” budget – €5 million — was approved. Straße, año, Œuvre.';
    expect(decodeText(iconv.encode(typographic, 'win1252'))).toEqual({
      text: typographic,
      encoding: 'windows-1252',
    });
  });

  it('keeps reading Chinese as GB18030 or Big5, never as Windows-1252', () => {
    for (const chinese of [text, '会议强调抓落实。', '中文English混合 text 测试']) {
      expect(decodeText(iconv.encode(chinese, 'gbk')).encoding).toBe('gb18030');
    }
    const traditional = '會議強調，一是加強組織領導。';
    expect(decodeText(iconv.encode(traditional, 'big5')).encoding).toBe('big5');
  });

  it('rejects binary formats by signature and by control-character noise', () => {
    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]);
    expect(codeOf(() => decodeText(png))).toBe('binary_input');
    expect(codeOf(() => decodeText(Buffer.from('%PDF-1.7\n%âãÏÓ\n')))).toBe('binary_input');
    const noise = Buffer.from(Array.from({ length: 512 }, (_, i) => (i * 37) % 256));
    expect(codeOf(() => decodeText(noise))).toBe('binary_input');
  });

  it('rejects empty and blank objects as empty_input', () => {
    expect(codeOf(() => decodeText(new Uint8Array()))).toBe('empty_input');
    expect(codeOf(() => decodeText(Buffer.from(' \r\n\t\u3000\n')))).toBe('empty_input');
  });
});
