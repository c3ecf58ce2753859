import type { Format } from '../../shared/contract';

/**
 * Inputs that made text processing superlinear or its output unbounded (issue 11), generated at
 * any size: the unit tests read them at a few hundred KB, the benchmarks at 1 and 10 MB.
 */
export interface WorstCase {
  name: string;
  format: Format;
  /** About `bytes` bytes of UTF-8 of this input. */
  make: (bytes: number) => string;
}

/** `unit` repeated to about `bytes` bytes of UTF-8, cut at a whole unit. */
export function repeatTo(unit: string, bytes: number): string {
  return unit.repeat(Math.max(1, Math.floor(bytes / Buffer.byteLength(unit))));
}

const ENGLISH =
  'The committee met on Monday and agreed that the new budget will fund three more schools. ';
const CHINESE = '会议强调，要坚持以人民为中心的发展思想，扎实推进各项工作落实。';

export const WORST_CASES: readonly WorstCase[] = [
  { name: 'English, one line', format: 'text', make: (n) => repeatTo(ENGLISH, n) },
  {
    name: 'English, one line, no punctuation',
    format: 'text',
    make: (n) => repeatTo(ENGLISH.replace(/[.,]/g, '').toLowerCase(), n),
  },
  { name: 'Chinese, one line', format: 'text', make: (n) => repeatTo(CHINESE, n) },
  {
    name: 'Chinese, no punctuation',
    format: 'text',
    make: (n) => repeatTo(CHINESE.replace(/[，。]/g, ''), n),
  },
  { name: '一是抓好落实。 repeated', format: 'text', make: (n) => repeatTo('一是抓好落实。', n) },
  {
    name: '一是…二是…三是… repeated',
    format: 'text',
    make: (n) => repeatTo('一是抓好落实。二是抓好督查。三是抓好宣传。', n),
  },
  {
    name: '<head> tags, then a <title>',
    format: 'html',
    make: (n) => `<html>${repeatTo('<head>', n - 40)}<title>Title</title></html>`,
  },
  {
    name: 'unclosed tags (<a )',
    format: 'html',
    make: (n) => `<html><body>${repeatTo('<a ', n - 30)}</body></html>`,
  },
  {
    name: '<p> paragraphs',
    format: 'html',
    make: (n) => `<html><body>${repeatTo(`<p>${ENGLISH}</p>`, n - 30)}</body></html>`,
  },
];
