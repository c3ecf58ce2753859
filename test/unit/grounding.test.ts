import { describe, expect, it } from 'vitest';
import { beforeEllipsis, findAnchor, QuoteLocator } from '../../shared/text/grounding';
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

  it('matches a quote that ends in an ellipsis on what precedes it', () => {
    const source = '会议强调，一是加强组织领导，明确责任分工。二是落实配套资金。';
    const l = new QuoteLocator(source);
    // Before: the ellipsis was looked for too, and the quote was not found.
    for (const quote of [
      '一是加强组织领导……',
      '一是加强组织领导…',
      '一是加强组织领导...',
      '一是加强组织领导⋯⋯',
    ]) {
      expect(l.locate(quote)?.evidence, quote).toEqual({
        quote: '一是加强组织领导',
        start: 5,
        end: 13,
      });
    }
    expect(l.locate('……明确责任分工')?.evidence.quote).toBe('明确责任分工');
    expect(l.locate('一是加强……分工')?.evidence.quote).toBe('一是加强');
    expect(l.locate('……')).toBeNull();
  });

  it('keeps an ellipsis that the source itself holds', () => {
    const l = new QuoteLocator('Wait... the plan was approved.');
    expect(l.locate('Wait... the plan')?.evidence.quote).toBe('Wait... the plan');
    expect(findAnchor('等等……然后批准。', '等等……然')).toBe(0);
  });

  it('keeps a quote without an ellipsis as it is', () => {
    expect(beforeEllipsis('Wait. Go on.')).toBe('Wait. Go on.');
    expect(beforeEllipsis('The plan... was approved')).toBe('The plan');
  });
});

describe('findAnchor', () => {
  it('finds where an anchor starts, ignoring spaces, width, quote shapes and case', () => {
    const sentence = 'The "Highways  Team" will clear ALL drains by March.';
    expect(findAnchor(sentence, 'the “highways team”')).toBe(0);
    expect(findAnchor(sentence, 'all drains')).toBe(sentence.indexOf('ALL'));
    expect(findAnchor('二是由市财政局负责，年底前落实配套资金。', '年底前落实')).toBe(10);
    expect(findAnchor('二是由市财政局负责。', '市财政局…')).toBe(3);
  });

  it('returns -1 for an anchor that is not in the text or says nothing', () => {
    expect(findAnchor('一是加强组织领导。', '二是')).toBe(-1);
    expect(findAnchor('一是加强组织领导。', ' ')).toBe(-1);
    expect(findAnchor('一是加强组织领导。', '…')).toBe(-1);
  });
});
