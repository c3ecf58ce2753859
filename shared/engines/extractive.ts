import type { EngineInfo } from '../contract';
import { isWide, SENTENCE_END } from '../text/chars';
import { type Sentence, splitSentences } from '../text/segment';
import {
  configHash,
  type DraftArticle,
  type DraftKeyPoint,
  type DraftTask,
  type Engine,
  type PreparedDocument,
} from './engine';

/** Bumped whenever the offline engine's output for the same input changes. */
export const EXTRACTIVE_VERSION = 'extractive-1';

export interface ExtractiveOptions {
  /** Summary length budget for wide scripts (CJK), in characters. Default 180. */
  summaryChars?: number;
  /** Summary length budget for Latin scripts, in words. Default 60. */
  summaryWords?: number;
  /** How many key points per article. Default 5. */
  keyPoints?: number;
}

/**
 * The offline engine: no network, no model. The summary is extractive (sentences ranked by
 * centrality, the cosine to the document's centroid, and by position); tasks come from
 * enumerations the text makes itself (一是/二是, 第一/第二, （一）, 一、, 1. 2., bullets, and
 * series of clauses opening with the same verb such as 抓…).
 */
export function createExtractiveEngine(options: ExtractiveOptions = {}): Engine {
  const budget = {
    chars: options.summaryChars ?? 180,
    words: options.summaryWords ?? 60,
    keyPoints: options.keyPoints ?? 5,
  };
  const info: EngineInfo = {
    name: 'extractive',
    model: null,
    promptVersion: EXTRACTIVE_VERSION,
    configHash: configHash({ engine: 'extractive', version: EXTRACTIVE_VERSION, ...budget }),
  };
  return {
    info,
    async digest(document) {
      const article = digestArticle(document, budget);
      return {
        summary: article.summary,
        articles: [article],
        usage: { llmCalls: 0, inputTokens: 0, outputTokens: 0, estimatedCostUsd: 0 },
      };
    },
  };
}

type Budget = { chars: number; words: number; keyPoints: number };

/** Reporter credits and bylines as newspapers print them. */
const CREDIT = [
  /^[（(]\s*(?:本报)?(?:记者|通讯员|特约记者)[^（()）]*[）)]$/,
  /^(?:本报记者|记者|通讯员)\s*\S{2,4}(?:\s+\S{2,4})*$/,
  /^(?:文|图|撰文|摄影|文图)\s*[/／:：]/,
  /^By\s+[A-Z][\w.'-]*(?:\s+[A-Z][\w.'-]*){0,3}$/,
];
const CAPTION = /^(?:图为|图片|上图|下图|左图|右图|Photo:|Pictured:)/;

function isCredit(text: string): boolean {
  return CREDIT.some((re) => re.test(text));
}

function digestArticle(document: PreparedDocument, budget: Budget): DraftArticle {
  const { normalized, language } = document;
  const { text, paragraphs } = normalized;
  const near = (index: number) => normalized.toSource[index] ?? 0;

  // Leading short lines without sentence punctuation are the title (one or two lines).
  const titleParts: string[] = [];
  let bodyFrom = 0;
  for (const p of paragraphs) {
    const line = text.slice(p.start, p.end);
    if (titleParts.length >= 2 || !isHeadingLike(line) || isCredit(line)) break;
    titleParts.push(line);
    bodyFrom++;
  }
  const bylines: string[] = [];
  const body = paragraphs.slice(bodyFrom).filter((p) => {
    const line = text.slice(p.start, p.end);
    if (isCredit(line)) {
      bylines.push(line.replace(/^[（(]\s*|\s*[）)]$/g, ''));
      return false;
    }
    return !CAPTION.test(line);
  });

  const sentences = splitSentences(text, body, language).filter(
    (s) => !CAPTION.test(s.text) && !isCredit(s.text),
  );
  const ranked = rankSentences(sentences, language);
  const wide = language === 'zh';
  const summary = pickSummary(ranked, wide, budget);
  const keyPoints: DraftKeyPoint[] = ranked
    .filter((r) => r.sentence.text.length >= (wide ? 12 : 40))
    .slice(0, budget.keyPoints)
    .sort((a, b) => a.sentence.start - b.sentence.start)
    .map(({ sentence }) => ({
      point: stripEnd(sentence.text),
      quote: sentence.text,
      near: near(sentence.start),
    }));

  return {
    title: titleParts.length > 0 ? titleParts.join(' ') : null,
    byline: bylines.length > 0 ? [...new Set(bylines)].join('; ') : null,
    summary,
    keyPoints,
    tasks: findTasks(sentences, near),
  };
}

function isHeadingLike(line: string): boolean {
  const limit = isWide(line[0]) ? 40 : 120;
  return line.length <= limit && !SENTENCE_END.test(line) && !/[，,。]$/.test(line);
}

function stripEnd(text: string): string {
  return text.replace(/[\s。．.！!？?；;，,：:]+$/u, '');
}

// --- summary ---------------------------------------------------------------------------------

const STOPWORDS = new Set(
  'the and for that with this from have has had was were are its their they them will would which about into also than then there been being more most some such only over after before other when what where who whom while said says say not but can could may might our your his her she him you'.split(
    ' ',
  ),
);

/** Content features: Han character bigrams and lower-cased Latin words of three letters or more. */
function features(text: string): Map<string, number> {
  const counts = new Map<string, number>();
  const add = (f: string) => counts.set(f, (counts.get(f) ?? 0) + 1);
  for (const run of text.match(/\p{Script=Han}+/gu) ?? []) {
    for (let i = 0; i + 1 < run.length; i++) add(run.slice(i, i + 2));
    if (run.length === 1) add(run);
  }
  for (const word of text.toLowerCase().match(/[a-z][a-z'-]{2,}/g) ?? []) {
    if (!STOPWORDS.has(word)) add(word);
  }
  return counts;
}

interface Ranked {
  sentence: Sentence;
  score: number;
}

/** Scores sentences by cosine to the centroid (centrality), lead position and paragraph lead. */
function rankSentences(sentences: Sentence[], language: string): Ranked[] {
  const vectors = sentences.map((s) => features(s.text));
  const centroid = new Map<string, number>();
  for (const v of vectors) for (const [f, n] of v) centroid.set(f, (centroid.get(f) ?? 0) + n);
  let centroidNorm = 0;
  for (const n of centroid.values()) centroidNorm += n * n;
  centroidNorm = Math.sqrt(centroidNorm) || 1;
  const minLength = language === 'zh' ? 10 : 30;
  let previousParagraph = -1;
  return sentences
    .map((sentence, i) => {
      const v = vectors[i] ?? new Map<string, number>();
      let dot = 0;
      let norm = 0;
      for (const [f, n] of v) {
        dot += n * (centroid.get(f) ?? 0);
        norm += n * n;
      }
      const centrality = norm === 0 ? 0 : dot / (Math.sqrt(norm) * centroidNorm);
      const lead = 1 / (1 + i / 3);
      const opensParagraph = sentence.paragraph !== previousParagraph;
      previousParagraph = sentence.paragraph;
      const tooShort = sentence.text.length < minLength;
      const score = tooShort ? 0 : centrality * 0.6 + lead * 0.3 + (opensParagraph ? 0.1 : 0);
      return { sentence, score };
    })
    .sort((a, b) => b.score - a.score);
}

function pickSummary(ranked: Ranked[], wide: boolean, budget: Budget): string {
  const size = (t: string) => (wide ? t.length : t.split(/\s+/).length);
  const limit = wide ? budget.chars : budget.words;
  const chosen: Sentence[] = [];
  let used = 0;
  for (const { sentence, score } of ranked) {
    if (score <= 0) break;
    const n = size(sentence.text);
    if (used + n > limit && chosen.length > 0) continue;
    chosen.push(sentence);
    used += n;
    if (used >= limit * 0.8) break;
  }
  return chosen
    .sort((a, b) => a.start - b.start)
    .map((s) => s.text)
    .join(wide ? '' : ' ');
}

// --- tasks -----------------------------------------------------------------------------------

const CN_DIGITS: Record<string, number> = {
  一: 1,
  二: 2,
  三: 3,
  四: 4,
  五: 5,
  六: 6,
  七: 7,
  八: 8,
  九: 9,
  十: 10,
};

function chineseNumber(s: string): number {
  if (s.length === 1) return CN_DIGITS[s] ?? 0;
  if (s.startsWith('十')) return 10 + (CN_DIGITS[s.slice(1)] ?? 0);
  const [tens = '', ones = ''] = s.split('十');
  return (CN_DIGITS[tens] ?? 0) * 10 + (CN_DIGITS[ones] ?? 0);
}

const CN = '[一二三四五六七八九十]{1,3}';
/** Ordinal markers that open an enumerated item, by family. */
const MARKERS: ReadonlyArray<{
  family: string;
  re: RegExp;
  number: (m: RegExpExecArray) => number;
}> = [
  { family: 'shi', re: new RegExp(`^(${CN})是`), number: (m) => chineseNumber(m[1] ?? '') },
  {
    family: 'di',
    re: new RegExp(`^第(${CN})(?:是|[，,、：:])`),
    number: (m) => chineseNumber(m[1] ?? ''),
  },
  {
    family: 'paren-cn',
    re: new RegExp(`^[（(](${CN})[）)]`),
    number: (m) => chineseNumber(m[1] ?? ''),
  },
  { family: 'dun', re: new RegExp(`^(${CN})、`), number: (m) => chineseNumber(m[1] ?? '') },
  { family: 'paren-num', re: /^[（(](\d{1,2})[）)]/, number: (m) => Number(m[1]) },
  { family: 'num', re: /^(\d{1,2})(?:[.．、]|\)(?!\S*\)))\s*(?!\d)/, number: (m) => Number(m[1]) },
  { family: 'bullet', re: /^[-•·●▪*]\s+/, number: () => 0 },
];

interface Candidate {
  family: string;
  number: number;
  sentence: Sentence;
  markerLength: number;
}

/** Tasks from the text's own enumerations: runs of the same marker family counting up from one. */
function findTasks(sentences: Sentence[], near: (index: number) => number): DraftTask[] {
  const candidates: Candidate[] = [];
  for (const sentence of openings(sentences)) {
    for (const { family, re, number } of MARKERS) {
      const m = re.exec(sentence.text);
      if (m) {
        candidates.push({ family, number: number(m), sentence, markerLength: m[0].length });
        break;
      }
    }
  }
  const items: Candidate[] = [];
  const byFamily = new Map<string, Candidate[]>();
  for (const c of candidates) byFamily.set(c.family, [...(byFamily.get(c.family) ?? []), c]);
  for (const [family, list] of byFamily) {
    if (family === 'bullet') {
      if (list.length >= 2) items.push(...list);
      continue;
    }
    let run: Candidate[] = [];
    const flush = () => {
      if (run.length >= 2) items.push(...run);
      run = [];
    };
    for (const c of list) {
      if (c.number === 1) flush();
      const last = run[run.length - 1];
      if (c.number === 1 || (last && c.number === last.number + 1)) run.push(c);
    }
    flush();
  }
  const tasks = items
    .sort((a, b) => a.sentence.start - b.sentence.start)
    .map((c) => taskFrom(c.sentence, c.markerLength, near));
  tasks.push(...verbSeries(sentences, near));
  const seen = new Set<string>();
  return tasks
    .filter((t) => t.task.length >= 2 && !seen.has(t.task) && seen.add(t.task))
    .sort((a, b) => (a.near ?? 0) - (b.near ?? 0));
}

/**
 * Where an enumerated item may open: a sentence, or a clause after a colon, semicolon or comma
 * (会议要求：一是…；二是…).
 */
function* openings(sentences: Sentence[]): Generator<Sentence> {
  for (const sentence of sentences) {
    yield sentence;
    const re = /[：:；;，,]\s*/gu;
    for (let m = re.exec(sentence.text); m !== null; m = re.exec(sentence.text)) {
      const offset = m.index + m[0].length;
      if (offset >= sentence.text.length) break;
      yield { ...sentence, text: sentence.text.slice(offset), start: sentence.start + offset };
    }
  }
}

/** The item's heading: the text after its marker up to the end of the first clause that says it. */
function taskFrom(
  sentence: Sentence,
  markerLength: number,
  near: (i: number) => number,
): DraftTask {
  const rest = sentence.text.slice(markerLength);
  let heading = rest.split(/(?<=[。！？!?；;])/u)[0] ?? rest;
  if (heading.length > 60) {
    const clause = heading.split(/[，,：:]/u)[0] ?? heading;
    if (clause.length >= 4) heading = clause;
  }
  heading = heading.trim();
  const quote = sentence.text.slice(0, markerLength + rest.indexOf(heading) + heading.length);
  return {
    task: stripEnd(heading),
    owner: findOwner(sentence.text),
    deadline: findDeadline(sentence.text),
    quote: stripEnd(quote),
    near: near(sentence.start),
  };
}

const SERIES_VERBS = ['抓'];
const SERIES_PREFIX = /^(?:此外|同时|另外|还|并|要|着力|重点|继续|持续|坚持|切实){0,3}$/u;

/** Tasks written as a series of clauses that open with the same verb: 抓干部教育…抓作风建设…. */
function verbSeries(sentences: Sentence[], near: (i: number) => number): DraftTask[] {
  const tasks: DraftTask[] = [];
  for (const verb of SERIES_VERBS) {
    const found: DraftTask[] = [];
    for (const sentence of sentences) {
      const clauses = sentence.text.split(/(?<=[，,；;。！？!?：:])/u);
      let offset = 0;
      for (const clause of clauses) {
        const at = clause.indexOf(verb);
        // The verb opens the clause, after an adverb or two, or right after an inline heading.
        const opens = SERIES_PREFIX.test(clause.slice(0, at)) || /\s$/.test(clause.slice(0, at));
        if (at >= 0 && opens) {
          const task = stripEnd(clause.slice(at));
          if (task.length >= 3 && task.length <= 30) {
            found.push({
              task,
              owner: null,
              deadline: findDeadline(sentence.text),
              quote: task,
              near: near(sentence.start + offset + at),
            });
          }
        }
        offset += clause.length;
      }
    }
    if (found.length >= 3) tasks.push(...found);
  }
  return tasks;
}

function findOwner(text: string): string | null {
  const m =
    /由([^，,。；;]{2,24}?)(?:牵头|负责)/u.exec(text) ??
    /(?:牵头单位|责任单位|负责单位)[:：]\s*([^，,。；;）)]{2,30})/u.exec(text) ??
    /^([^，,。；;]{2,16}?)(?:牵头|负责)/u.exec(text);
  return m?.[1]?.trim() ?? null;
}

const MONTHS =
  'January|February|March|April|May|June|July|August|September|October|November|December';
const DEADLINE = new RegExp(
  [
    '\\d{4}年(?:\\d{1,2}月)?(?:\\d{1,2}日)?(?:底|年底|末)?(?:前|以前|之前)',
    '(?:今|本|明)年(?:年)?底(?:前|以前)?',
    '年底前',
    '(?:by|before|until) (?:the end of )?(?:(?:' +
      MONTHS +
      ')(?: \\d{1,2}(?!\\d))?(?:,? \\d{4})?|\\d{4}|Q[1-4](?: \\d{4})?)',
  ].join('|'),
  'iu',
);

function findDeadline(text: string): string | null {
  return DEADLINE.exec(text)?.[0] ?? null;
}
