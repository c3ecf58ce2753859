import { describe, expect, it } from 'vitest';
import { QuoteLocator } from '../../shared/text/grounding';
import { codePointSlice, SAMPLE_000, sampleText, squash } from '../support/fixtures';

describe('QuoteLocator', () => {
  const source = sampleText(SAMPLE_000);
  const locator = new QuoteLocator(source);

  it('finds a quote that a scanned page breaks across lines and blank lines', () => {
    const found = locator.locate('将始终站在工委（区委）中心工作第一线');
    expect(found).not.toBeNull();
    const { start, end, quote } = found?.evidence ?? { start: 0, end: 0, quote: '' };
    expect(squash(codePointSlice(source, start, end))).toBe(squash(quote));
    expect(quote).toBe('将始终站在工委（区委）中心工作第一线');
  });

  it('returns null for a quote that is not in the source', () => {
    expect(locator.locate('全面推进人工智能产业发展')).toBeNull();
    expect(locator.locate('   ')).toBeNull();
  });

  it('tolerates full-width punctuation, quote shapes and letter case', () => {
    const l = new QuoteLocator('He said "Go, now" and left.');
    expect(l.locate('said “go，now”')?.evidence.quote).toBe('said "Go, now"');
  });

  it('counts offsets in code points, not UTF-16 units', () => {
    const text = '𠀀𠀁 emoji 😀 then 目标任务';
    const found = new QuoteLocator(text).locate('目标任务');
    expect(found?.evidence).toEqual({ quote: '目标任务', start: 16, end: 20 });
    expect(codePointSlice(text, 16, 20)).toBe('目标任务');
  });

  it('picks the occurrence nearest the hint when a quote repeats', () => {
    const text = '抓落实。中间的话。抓落实。';
    const l = new QuoteLocator(text);
    expect(l.locate('抓落实')?.evidence.start).toBe(0);
    expect(l.locate('抓落实', 9)?.evidence.start).toBe(9);
  });

  it('joins a word hyphenated at a line end, and keeps other line-end hyphens', () => {
    const text = 'The infor-\nmation office said Covid-\n19 cases fell in 2019-\n2020.';
    const l = new QuoteLocator(text);
    expect(l.locate('the information office')?.evidence.quote).toBe('The infor-mation office');
    expect(l.locate('Covid- 19 cases')?.evidence.quote).toBe('Covid-19 cases');
    expect(l.locate('2019-2020')).not.toBeNull();
    for (const quote of ['the information office', 'Covid- 19 cases', '2019-2020']) {
      const {
        start,
        end,
        quote: found,
      } = l.locate(quote)?.evidence ?? { start: 0, end: 0, quote: '' };
      expect(squash(codePointSlice(text, start, end))).toBe(squash(found));
    }
  });
});
