import { countTokens } from 'gpt-tokenizer/encoding/o200k_base';
import { describe, expect, it } from 'vitest';
import { countInPieces, loadTokenCounter, TOKENIZER_PIECE } from '../../shared/engines/tokens';
import { SAMPLE_000, SAMPLE_004, sampleText } from '../support/fixtures';
import { repeatTo } from '../support/worst-case';

describe('token counting', () => {
  it('hands the tokenizer pieces of at most TOKENIZER_PIECE units that make up the text', () => {
    const pieces: string[] = [];
    const text = `${repeatTo('会议强调要坚持以人民为中心的发展思想', 30_000)} ${repeatTo('word ', 10_000)}😀`;
    countInPieces((piece) => {
      pieces.push(piece);
      return 1;
    }, text);
    expect(Math.max(...pieces.map((p) => p.length))).toBeLessThanOrEqual(TOKENIZER_PIECE);
    expect(pieces.join('')).toBe(text);
    // Where the text has spaces, a piece ends before one, so no word is cut.
    const english = pieces.filter((p) => p.includes('word'));
    expect(english.slice(1, -1).every((p) => p.startsWith(' ') && p.endsWith('word'))).toBe(true);
  });

  it('counts the samples within 0.1% of the count of the whole text at once', () => {
    for (const text of [sampleText(SAMPLE_000), sampleText(SAMPLE_004)]) {
      const whole = countTokens(text);
      expect(Math.abs(countInPieces(countTokens, text) - whole)).toBeLessThanOrEqual(whole * 0.001);
    }
  });

  it('counts 100 KB of Chinese without punctuation in a fraction of a second', async () => {
    const count = await loadTokenCounter();
    const started = performance.now();
    // One word to the tokenizer: counted at once, it took 6 s.
    expect(
      count(repeatTo('会议强调要坚持以人民为中心的发展思想扎实推进各项工作落实', 100_000)),
    ).toBeGreaterThan(10_000);
    expect(performance.now() - started).toBeLessThan(2_000);
  });
});
