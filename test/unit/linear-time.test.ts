import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Format } from '../../shared/contract';
import {
  createExtractiveEngine,
  MAX_POINT_LENGTH,
  MAX_TASK_LENGTH,
} from '../../shared/engines/extractive';
import { DocumentError } from '../../shared/errors';
import { digestContent } from '../../shared/pipeline';
import { codePointCounter, codePointIndex, isSpaceCode, SPACE } from '../../shared/text/chars';
import { normalize } from '../../shared/text/normalize';
import { MAX_SENTENCE, SEGMENT_WINDOW, splitSentences } from '../../shared/text/segment';
import { TimeLimit } from '../../shared/time-limit';
import { prepare } from '../support/documents';
import { repeatTo, WORST_CASES } from '../support/worst-case';

const engine = createExtractiveEngine();

/** The fastest of `runs` digests of `text`, in milliseconds (the fastest is the least noisy). */
async function fastest(text: string, format: Format, runs = 2): Promise<number> {
  let best = Number.POSITIVE_INFINITY;
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    await digestContent({ engine }, text, format);
    best = Math.min(best, performance.now() - started);
  }
  return best;
}

/** Sentences as one segmenter call over each whole paragraph finds them (the reference). */
function wholeParagraphSentences(text: string): string[] {
  const segmenter = new Intl.Segmenter('en', { granularity: 'sentence' });
  return [...segmenter.segment(text)].map((s) => s.segment.trim()).filter((s) => s !== '');
}

describe('linear-time text processing', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('hands the sentence segmenter bounded windows when a paragraph is 1 MB long', () => {
    const segment = vi.spyOn(Intl.Segmenter.prototype, 'segment');
    const text = repeatTo('The council met on Monday. ', 1_000_000);
    const sentences = splitSentences(text, [{ start: 0, end: text.length }], 'en');
    const inputs = segment.mock.calls.map(([input]) => input.length);
    // One call over the whole paragraph made V8 take time quadratic in its length.
    expect(Math.max(...inputs)).toBeLessThanOrEqual(SEGMENT_WINDOW);
    expect(inputs.reduce((a, b) => a + b, 0)).toBeLessThan(text.length * 1.1);
    expect(sentences).toHaveLength(text.length / 'The council met on Monday. '.length);
    expect(sentences.every((s) => s.text === 'The council met on Monday.')).toBe(true);
  });

  it('finds the same sentences in windows as in one pass over the paragraph', () => {
    const parts = [
      'He said: “We will finish it.” ',
      'Dr. Smith arrived at 3 p.m. on Friday! ',
      'Is it done? ',
      '会议要求，抓好落实。',
      '“这是引语。”他说。',
      'Costs rose 2.5 per cent… then fell. ',
      '𠀀𠀁 rare characters here. ',
    ];
    const pieces: string[] = [];
    for (let i = 0, n = 0; n < 3 * SEGMENT_WINDOW; i++) {
      const part = parts[(i * 7) % parts.length] ?? '';
      pieces.push(part);
      n += part.length;
    }
    const text = pieces.join('');
    const found = splitSentences(text, [{ start: 0, end: text.length }], 'en');
    expect(found.map((s) => s.text)).toEqual(wholeParagraphSentences(text));
    for (const s of found) expect(text.slice(s.start, s.end)).toBe(s.text);
  });

  it('cuts text without sentence punctuation into sentences of at most MAX_SENTENCE units, at a space', () => {
    const text = repeatTo('word ', 50_000).trim();
    const sentences = splitSentences(text, [{ start: 0, end: text.length }], 'en');
    expect(sentences.length).toBeGreaterThan(text.length / MAX_SENTENCE);
    for (const s of sentences) {
      expect(s.text.length).toBeLessThanOrEqual(MAX_SENTENCE);
      expect(s.text.endsWith('word')).toBe(true);
      expect(text.slice(s.start, s.end)).toBe(s.text);
    }
    expect(sentences.map((s) => s.text).join(' ')).toBe(text);
  });

  it('treats as white space exactly the UTF-16 units that SPACE matches', () => {
    const differ: number[] = [];
    for (let c = 0; c < 0x10000; c++) {
      if (isSpaceCode(c) !== SPACE.test(String.fromCharCode(c))) differ.push(c);
    }
    expect(differ).toEqual([]);
  });

  it('counts code points from checkpoints as codePointIndex counts them from the start', () => {
    const text = `${'a𠀀'.repeat(3000)}\ud800x${'中'.repeat(5000)}😀`;
    const counter = codePointCounter(text);
    for (let i = 0; i <= text.length; i += 7) {
      expect(counter(i)).toBe(codePointIndex(text, i));
    }
    expect(counter(text.length)).toBe(codePointIndex(text, text.length));
  });

  it('keeps a lone surrogate as it is when normalizing, so offsets still map one to one', () => {
    const { text, toSource } = normalize('a\ud800b \udc00 c\ud83d\ude00');
    expect(text).toBe('a\ud800b \udc00 c\ud83d\ude00');
    expect(Array.from(toSource)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('digests the worst-case inputs in time linear in their size', async () => {
    const small = 50_000;
    const large = 400_000;
    const superlinear: string[] = [];
    // One input per fix (sentence windows, HTML searches, enumerated items); the benchmarks time
    // them all at 1 and 10 MB.
    const checked = WORST_CASES.filter((w) =>
      ['English, one line', '<head> tags, then a <title>', '一是…二是…三是… repeated'].includes(
        w.name,
      ),
    );
    expect(checked).toHaveLength(3);
    for (const worst of checked) {
      const a = await fastest(worst.make(small), worst.format);
      const b = await fastest(worst.make(large), worst.format);
      // Linear is 8 times as long (less with fixed costs); quadratic would be 64 times. The
      // margin is wide because a 2-core CI machine is noisy; a floor keeps tiny times from
      // turning jitter into a ratio.
      const ratio = b / Math.max(a, 5);
      if (ratio >= 24) superlinear.push(`${worst.name}: ${ratio.toFixed(1)} times as long`);
    }
    expect(superlinear).toEqual([]);
  }, 30_000);

  it('bounds the summary, key points and tasks of 1 MB of Chinese without punctuation', async () => {
    const text = repeatTo('会议强调要坚持以人民为中心的发展思想扎实推进各项工作落实', 1_000_000);
    const body = await digestContent({ engine }, text, 'text');
    expect(body.summary.length).toBeLessThanOrEqual(180);
    for (const article of body.articles) {
      expect(article.summary.length).toBeLessThanOrEqual(180);
      for (const point of article.keyPoints) {
        expect(point.point.length).toBeLessThanOrEqual(MAX_POINT_LENGTH);
      }
    }
  });

  it('bounds the summary of a long run of symbols without words to 10 characters a word', async () => {
    const body = await digestContent({ engine }, repeatTo('<>', 200_000), 'text');
    expect(body.summary.length).toBeLessThanOrEqual(60 * 10);
  });

  it('keeps at most 100 tasks and 50 articles however many the text holds', async () => {
    const lines: string[] = [];
    for (let article = 0; article < 80; article++) {
      lines.push(`第${article}号通知`, '');
      for (let item = 1; item <= 10; item++) {
        // Lines of many lengths, so that the page does not read as hard-wrapped.
        lines.push(`${item}. Team ${article} will finish job ${item}${' now'.repeat(item * 3)}.`);
      }
      lines.push('（记者 张明）', '');
    }
    const result = await engine.digest(prepare(lines.join('\n')));
    const tasks = result.articles.flatMap((a) => a.tasks);
    expect(result.articles).toHaveLength(50);
    expect(tasks).toHaveLength(100);
    expect(tasks[0]?.task).toBe('Team 0 will finish job 1 now now now');
    for (const task of tasks) expect(task.task.length).toBeLessThanOrEqual(MAX_TASK_LENGTH);
  });

  it('ends with too_slow when the time limit passes while reading a long document', async () => {
    let reads = 0;
    // A clock that moves on one millisecond each time it is read: the limit passes after 10 reads.
    const timeLimit = new TimeLimit(10, { clock: () => reads++ });
    const document = { ...prepare(repeatTo('一是抓好落实。', 300_000)), timeLimit };
    const failure = await engine.digest(document).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(DocumentError);
    expect((failure as DocumentError).code).toBe('too_slow');
  });
});
