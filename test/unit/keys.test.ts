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
