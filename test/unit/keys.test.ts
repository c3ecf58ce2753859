import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../shared/config';
import { decodeEventKey, digestKey, encodeEventKey, errorKey, keyRole } from '../../shared/keys';

const settings = parseConfig({}).pipeline;

describe('keys', () => {
  it('maps input keys to digest and error keys, keeping sub-folders', () => {
    expect(digestKey('incoming/2026/报告 一.txt', settings)).toBe('digests/2026/报告 一.txt.json');
    expect(errorKey('incoming/a.pdf', settings)).toBe('errors/a.pdf.json');
  });

  it('tells input keys from output, error and other keys', () => {
    expect(keyRole('incoming/a.txt', settings)).toBe('input');
    expect(keyRole('digests/a.txt.json', settings)).toBe('output');
    expect(keyRole('errors/a.txt.json', settings)).toBe('error');
    expect(keyRole('elsewhere/a.txt', settings)).toBe('other');
  });

  it('decodes keys as S3 encodes them in events: + is a space, UTF-8 percent-escapes', () => {
    expect(decodeEventKey('incoming/%E6%96%B0%E9%97%BB+%E7%A8%BF.txt')).toBe(
      'incoming/新闻 稿.txt',
    );
    expect(decodeEventKey('incoming/a%2Bb.txt')).toBe('incoming/a+b.txt');
    for (const key of ['incoming/新闻 稿.txt', 'incoming/a+b (1)&c.txt', 'incoming/x/y%z.txt']) {
      expect(decodeEventKey(encodeEventKey(key))).toBe(key);
    }
  });
});

describe('record keys of long input keys', () => {
  const inputOf = (bytes: number) => `incoming/${'a'.repeat(bytes - 'incoming/'.length)}`;

  it('mirrors the input key while the record key fits in 1,024 bytes', () => {
    const key = inputOf(1020);
    expect(digestKey(key, settings)).toBe(`digests/${key.slice(9)}.json`);
    expect(Buffer.byteLength(digestKey(key, settings))).toBe(1024);
  });

  it('hashes the key under _long-keys/ when the record key would exceed 1,024 bytes', () => {
    // digests/ is one byte shorter than incoming/ and .json five longer: 1,021 bytes overflow.
    for (const bytes of [1021, 1022, 1024]) {
      expect(digestKey(inputOf(bytes), settings)).toMatch(
        /^digests\/_long-keys\/[0-9a-f]{64}\.json$/,
      );
    }
    // errors/ is two bytes shorter: 1,021 bytes still fit, 1,022 do not.
    expect(Buffer.byteLength(errorKey(inputOf(1021), settings))).toBe(1024);
    expect(errorKey(inputOf(1022), settings)).toMatch(/^errors\/_long-keys\/[0-9a-f]{64}\.json$/);
    expect(digestKey(inputOf(1021), settings)).not.toBe(digestKey(inputOf(1022), settings));
  });

  it('counts bytes, not characters, for keys in Chinese', () => {
    const key = `incoming/${'报'.repeat(338)}`; // 9 + 1,014 bytes, 347 characters
    expect(digestKey(key, settings)).toMatch(/_long-keys\//);
  });
});
