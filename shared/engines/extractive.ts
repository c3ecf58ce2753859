import type { EngineInfo } from '../contract';
import { chineseNumeral } from '../text/chars';
import { commitmentsIn, findDeadline, findOwner } from '../text/commitments';
import { instructionSpans } from '../text/injection';
import { type ArticleLayout, cleanSentence, leadingTitle, splitArticles } from '../text/layout';
import { type Sentence, splitSentences } from '../text/segment';
import type { TimeLimit } from '../time-limit';
import {
  configHash,
  type DraftArticle,
  type DraftKeyPoint,
  type DraftTask,
  type Engine,
  type PreparedDocument,
} from './engine';

/** Bumped whenever the offline engine's output for the same input changes. */
export const EXTRACTIVE_VERSION = 'extractive-6';

export interface ExtractiveOptions {
  /**
   * Longest summary for wide scripts (CJK), in characters. Default 180. A sentence longer than
   * the whole budget is cut to it (ending in "…").
   */
  summaryChars?: number;
  /**
   * Longest summary for Latin scripts, in words, counting at least one word for every 10
   * characters. Default 60.
   */
  summaryWords?: number;
  /** How many key points per article. Default 5. */
  keyPoints?: number;
  /** How many tasks per document, the first in reading order kept. Default 100. */
  maxTasks?: number;
  /**
   * How many articles a page is split into at most. Default 50: the text of any further
   * articles is read as part of the last one.
   */
  maxArticles?: number;
}

/** Longest key point and its quote, in UTF-16 units: longer sentences are cut (at a clause). */
export const MAX_POINT_LENGTH = 400;
/** Longest task heading and its quote, in UTF-16 units. */
export const MAX_TASK_LENGTH = 200;
/** How many bylines an article's `byline` joins at most, and its longest length in UTF-16 units. */
const MAX_BYLINES = 8;
const MAX_BYLINE_LENGTH = 300;

/**
 * The offline engine: no network, no model. The summary is extractive (sentences ranked by
 * centrality, the cosine to the document's centroid, and by position; Chinese news by position
 * with background sentences discounted, its closing credit left out, in a length fitted to the
 * document, and a short item of up to {@link SHORT_NEWS} characters by its most central clauses);
 * tasks come from
 * enumerations the text makes itself (一是/二是, 第一/第二, （一）, 一、, 1. 2., bullets, and
 * series of clauses opening with the same verb such as 抓…) and from sentences that commit
 * someone, one task per action, with owners and deadlines as written (see `text/commitments`).
 * Sentences addressed to the model ({@link instructionSpans}) give no summary, key point or task.
 */
export function createExtractiveEngine(options: ExtractiveOptions = {}): Engine {
  const budget = {
    chars: options.summaryChars ?? 180,
    words: options.summaryWords ?? 60,
    keyPoints: options.keyPoints ?? 5,
    maxTasks: options.maxTasks ?? 100,
    maxArticles: options.maxArticles ?? 50,
  };
  const info: EngineInfo = {
    name: 'extractive',
    model: null,
    promptVersion: EXTRACTIVE_VERSION,
    configHash: configHash({ engine: 'extractive', version: EXTRACTIVE_VERSION, ...budget }),
  };
  return {
    info,
    costly: false,
    async digest(document) {
      const { normalized, language, timeLimit } = document;
      const near = (index: number) => normalized.toSource[index] ?? 0;
      // Text addressed to the model is data: no summary, key point or task is made of it.
      const untrusted = instructionSpans(document.source, normalized, language);
      const layouts = capArticles(splitArticles(normalized), budget.maxArticles).map((layout) => {
        const read = readArticle(document, layout);
        return { ...read, sentences: outside(read.sentences, untrusted, normalized.toSource) };
      });
      let tasksLeft = budget.maxTasks;
      const genre = genreOf(
        normalized.text,
        layouts.flatMap((l) => l.sentences),
      );
      const boxes = summaryBoxes(normalized.text);
      const articles = layouts.map(({ article, sentences: read }) => {
        // A Chinese news item's closing credit (（投资者报）, 新民网, @某某) is no part of its news.
        const sentences =
          language === 'zh' && genre === 'news' ? withoutTrailingCredit(read) : read;
        const ranked = rankSentences(
          sentences,
          language,
          timeLimit,
          genre,
          boxedSentences(sentences, boxes),
        );
        const size = sentences.reduce((n, s) => n + measure(s.text, language), 0);
        const tasks = findTasks(sentences, language, near, timeLimit, tasksLeft);
        tasksLeft -= tasks.length;
        const short = language === 'zh' && genre === 'news' && size <= SHORT_NEWS;
        return {
          ...article,
          summary: short
            ? pickClauses(sentences, size, budget.chars)
            : pickSummary(ranked, language, summaryLimit(size, language, budget, genre)),
          keyPoints: keyPointsOf(ranked, language, budget.keyPoints, near),
          tasks,
        };
      });
      const all = layouts.flatMap((l) => l.sentences);
      const size = all.reduce((n, s) => n + measure(s.text, language), 0);
      const summary =
        articles.length === 1
          ? (articles[0]?.summary ?? '')
          : pickSummary(
              rankSentences(all, language, timeLimit, genre, boxedSentences(all, boxes)),
              language,
              summaryLimit(size, language, budget, genre),
            );
      return {
        summary,
        articles,
        usage: { llmCalls: 0, inputTokens: 0, outputTokens: 0, estimatedCostUsd: 0 },
      };
    },
  };
}

type Budget = { chars: number; words: number };

/** Every how many iterations a long loop reads the clock: often enough, and nearly free. */
const CHECK_EVERY = 1024;

/** A function to call once per iteration of a long loop: it checks the time limit now and then. */
function pacer(timeLimit: TimeLimit, stage: string): () => void {
  let n = 0;
  return () => {
    if (++n % CHECK_EVERY === 0) timeLimit.check(stage);
  };
}

/** Adds `items` to `target`; unlike push(...items), for any number of items (no call arguments). */
function append<T>(target: T[], items: readonly T[]): void {
  for (const item of items) target.push(item);
}

/**
 * The sentences that lie outside every span (UTF-16 ranges of the source, in reading order, as
 * {@link instructionSpans} gives them). A binary search per sentence: spans can be many.
 */
function outside(
  sentences: Sentence[],
  spans: ReadonlyArray<{ from: number; to: number }>,
  toSource: ArrayLike<number>,
): Sentence[] {
  if (spans.length === 0) return sentences;
  return sentences.filter((s) => {
    const from = toSource[s.start] ?? 0;
    const to = (toSource[s.end - 1] ?? from) + 1;
    const span = spans[firstIndex(spans, (x) => x.to > from)];
    return span === undefined || span.from >= to;
  });
}

/** At most `max` articles: the paragraphs of the ones beyond it go to the last one kept. */
function capArticles(layouts: ArticleLayout[], max: number): ArticleLayout[] {
  if (layouts.length <= max) return layouts;
  const kept = layouts.slice(0, Math.max(1, max));
  const last = kept[kept.length - 1];
  if (last) {
    last.paragraphs = [
      ...last.paragraphs,
      ...layouts.slice(kept.length).flatMap((layout) => layout.paragraphs),
    ];
  }
  return kept;
}

/**
 * Cuts `text` to at most `max` UTF-16 units, after the last clause punctuation or space in its
 * second half if there is one (so that what is left still reads as a clause).
 */
function cutAt(text: string, max: number): string {
  if (text.length <= max) return text;
  for (let i = max - 1; i > max / 2; i--) {
    if (/[，,；;、：:\s]/u.test(text[i] ?? '')) return text.slice(0, i + 1).trimEnd();
  }
  const c = text.charCodeAt(max);
  // Not between the halves of a surrogate pair.
  return text.slice(0, c >= 0xdc00 && c <= 0xdfff ? max - 1 : max);
}

/**
 * Weights of centrality and position in a sentence's score. News and reports put what matters
 * first; centrality keeps a long document's summary on its main subject. Tuned on the
 * evaluation set's news and meetings (`npm run eval`).
 */
const W_CENTRAL = 0.3;
const W_LEAD = 0.6;

/**
 * Longest summary of Chinese news, in characters. Editors sum up long news in about 50-150
 * characters (CLTS 75-80, NLPCC 2017 at most 60), and summaries half as long again as the
 * reference lose to Lead-3 on precision.
 */
const NEWS_MOST = 120;

/**
 * Summary length: a share of the article, within the configured budget's bounds. Chinese news is
 * summed up in about a twentieth of its length, in at least 80 characters (half of a text
 * shorter than 160) and at most {@link NEWS_MOST}. Items of up to {@link SHORT_NEWS} characters
 * are summed up in clauses instead ({@link pickClauses}).
 */
function summaryLimit(size: number, language: string, budget: Budget, genre: Genre): number {
  if (language === 'zh' && genre === 'news') {
    const least = Math.min(80, Math.round(size * 0.5));
    return Math.min(budget.chars, NEWS_MOST, Math.max(least, Math.round(size * 0.05)));
  }
  return language === 'zh'
    ? Math.min(budget.chars, Math.max(80, Math.round(size * 0.08)))
    : Math.min(budget.words, Math.max(35, Math.round(size * 0.08)));
}

/** What kind of document a Chinese text is, for its summary: see {@link genreOf}. */
type Genre = 'news' | 'policy';

/**
 * Openings of news sentences that give background or add to another sentence rather than tell
 * the news: 近年来, 长期以来, 此前, 此外, 同时…. Such sentences weigh half in a news summary.
 */
const BACKGROUND =
  /^(?:近年来|近年來|近些年|多年来|多年來|长期以来|長期以來|一直以来|一直以來|过去|過去|此前|早在|[^，,。]{1,12}以来|[^，,。]{1,12}以來|此外|另外|同时|同時|与此同时|與此同時|不过|不過|然而|但是)/u;

/**
 * News or a policy document (or a speech, or a page of them): news tells what happened first and
 * gives background later; a policy document states its tasks in an outline. A document with a
 * file number (国发〔2019〕3号) or three sentences opening an enumeration is read as policy.
 */
function genreOf(text: string, sentences: Sentence[]): Genre {
  if (/〔\d{4}〕\d+号/u.test(text)) return 'policy';
  let items = 0;
  for (const s of sentences) {
    if (
      /^(?:[一二三四五六七八九十]{1,3}(?:是|、)|第[一二三四五六七八九十]{1,3}[，,、]|[（(][一二三四五六七八九十]{1,3}[）)])/u.test(
        s.text,
      ) &&
      ++items >= 3
    )
      return 'policy';
  }
  return 'news';
}

/**
 * A text's length as budgets count it: characters for Chinese, else words, and at least one word
 * for every 10 characters (so that a run without spaces cannot pass for a short text).
 */
function measure(text: string, language: string): number {
  return language === 'zh'
    ? text.length
    : Math.max(text.split(/\s+/).length, Math.ceil(text.length / 10));
}

/** An article's sentences with page furniture removed, its title and bylines. */
function readArticle(document: PreparedDocument, layout: ArticleLayout) {
  const { normalized, language } = document;
  const bylines = [...layout.bylines];
  let title = layout.title;
  const sentences: Sentence[] = [];
  const tick = pacer(document.timeLimit, 'reading sentences');
  for (const raw of splitSentences(normalized.text, layout.paragraphs, language)) {
    tick();
    let sentence = cleanSentence(raw);
    if (sentence === null) continue;
    if (sentence.byline) bylines.push(sentence.byline);
    if (title === null && sentences.length === 0) {
      const cut = leadingTitle(sentence);
      if (cut > 0) {
        title = sentence.text.slice(0, cut).trim();
        sentence = { ...sentence, text: sentence.text.slice(cut), start: sentence.start + cut };
      }
    }
    sentences.push({
      text: sentence.text,
      start: sentence.start,
      end: sentence.end,
      paragraph: sentence.paragraph,
    });
  }
  const article: Omit<DraftArticle, 'summary' | 'keyPoints' | 'tasks'> = {
    title,
    byline:
      bylines.length > 0
        ? cutAt([...new Set(bylines)].slice(0, MAX_BYLINES).join('; '), MAX_BYLINE_LENGTH)
        : null,
  };
  return { article, sentences };
}

function keyPointsOf(
  ranked: Ranked[],
  language: string,
  count: number,
  near: (i: number) => number,
): DraftKeyPoint[] {
  return ranked
    .filter((r) => r.score > 0 && r.sentence.text.length >= (language === 'zh' ? 12 : 40))
    .slice(0, count)
    .sort((a, b) => a.sentence.start - b.sentence.start)
    .map(({ sentence }) => {
      const quote = cutAt(withoutMarker(sentence.text), MAX_POINT_LENGTH);
      return { point: stripEnd(quote), quote, near: near(sentence.start) };
    });
}

/** A list item's marker (•, -, *, 1., 2)): the engine reads lists by it, a reader skips it. */
const ITEM_MARKER = /^(?:[-•·●▪*+]\s+|\d{1,2}[.)．](?!\d)\s*)/u;

function withoutMarker(text: string): string {
  return withoutDanglingOpener(text.replace(ITEM_MARKER, ''));
}

/**
 * `text` without the opening bracket or quotation mark it ends with: the sentence segmenter
 * leaves the opener of the next sentence's title or credit on the sentence before (…刊登。《).
 */
function withoutDanglingOpener(text: string): string {
  return text.replace(/[（(《〈“「『【[]+\s*$/u, '');
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

/**
 * The heading of the summary box that Chinese papers print with long stories: 核心阅读 (People's
 * Daily), 核心提示, 内容提要, 内容摘要, 摘要, 导读, on a line of its own. The paragraphs below it
 * are the editors' summary of the story.
 */
const SUMMARY_BOX =
  /^[ \t]*(?:核心阅读|核心提示|内容提要|内容摘要|摘要|导读)[ \t]*[:：]?[ \t]*$/gmu;

/** What a summary box's sentence adds to its score: more than any other sentence can have. */
const BOXED = 10;

/** Where the summary boxes of a text begin: the offsets right after their headings. */
function summaryBoxes(text: string): number[] {
  return [...text.matchAll(SUMMARY_BOX)].map((m) => (m.index ?? 0) + m[0].length);
}

/**
 * The sentences of the summary boxes beginning at `boxes`: the paragraph after each heading, and
 * the next one too when the first is short (a box is one or two paragraphs; what follows it is
 * the story, often under a heading of its own).
 */
function boxedSentences(sentences: Sentence[], boxes: readonly number[]): Set<Sentence> {
  const boxed = new Set<Sentence>();
  for (const from of boxes) {
    const first = firstIndex(sentences, (s) => s.start >= from);
    let paragraph = sentences[first]?.paragraph;
    let length = 0;
    for (let i = first; i < sentences.length && paragraph !== undefined; i++) {
      const s = sentences[i] as Sentence;
      if (s.paragraph !== paragraph) {
        const alone = sentences[i + 1]?.paragraph !== s.paragraph;
        const heading = alone && s.text.length <= 30;
        if (length >= BOX_SHORT || s.paragraph !== paragraph + 1 || heading) break;
        paragraph = s.paragraph;
      }
      boxed.add(s);
      length += s.text.length;
    }
  }
  return boxed;
}

/** A summary box's first paragraph shorter than this (characters) goes on in the next one. */
const BOX_SHORT = 60;

/** Scores sentences by cosine to the centroid (centrality), lead position and paragraph lead. */
function rankSentences(
  sentences: Sentence[],
  language: string,
  timeLimit: TimeLimit,
  genre: Genre,
  boxed: ReadonlySet<Sentence> = new Set(),
): Ranked[] {
  const news = language === 'zh' && genre === 'news';
  const tick = pacer(timeLimit, 'ranking sentences');
  const vectors = sentences.map((s) => {
    tick();
    return features(s.text);
  });
  const centroid = new Map<string, number>();
  for (const v of vectors) for (const [f, n] of v) centroid.set(f, (centroid.get(f) ?? 0) + n);
  let centroidNorm = 0;
  for (const n of centroid.values()) centroidNorm += n * n;
  centroidNorm = Math.sqrt(centroidNorm) || 1;
  const minLength = language === 'zh' ? 16 : 30;
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
      // Lists of names and places (many commas, few verbs) inform less than their length says.
      const commas = (sentence.text.match(/[,，、]/g) ?? []).length;
      const listy =
        commas >= 6 && commas / Math.max(1, measure(sentence.text, language)) > 0.15 ? 0.5 : 1;
      const background = news && BACKGROUND.test(sentence.text) ? 0.5 : 1;
      const score = tooShort
        ? 0
        : (centrality * W_CENTRAL + lead * W_LEAD + (opensParagraph ? 0.1 : 0)) *
          listy *
          background;
      // The editors' own summary outranks every sentence chosen by position or centrality.
      return { sentence, score: boxed.has(sentence) ? score + BOXED : score };
    })
    .sort((a, b) => b.score - a.score);
}

/**
 * The best-ranked sentences that fit `limit` (characters for Chinese, words otherwise), in
 * reading order. The best sentence is taken even when it alone is over the limit, cut to it:
 * text without sentence punctuation would otherwise be summarised by itself.
 */
function pickSummary(ranked: Ranked[], language: string, limit: number): string {
  const chosen: Sentence[] = [];
  let used = 0;
  // With the editors' summary box at hand, the summary is made of it alone.
  const boxed = (ranked[0]?.score ?? 0) >= BOXED;
  for (const { sentence, score } of ranked) {
    if (score <= 0 || (boxed && score < BOXED)) break;
    const n = measure(sentence.text, language);
    if (used + n > limit && chosen.length > 0) continue;
    chosen.push(sentence);
    used += n;
    if (used >= limit * 0.8) break;
  }
  const summary = chosen
    .sort((a, b) => a.start - b.start)
    .map((s) => withoutMarker(s.text))
    .join(language === 'zh' ? '' : ' ');
  return used > limit ? clip(summary, language, limit) : summary;
}

/** `text` cut to `limit` characters (Chinese) or words, with an ellipsis to show the cut. */
function clip(text: string, language: string, limit: number): string {
  const kept =
    language === 'zh'
      ? cutAt(text, limit - 1)
      : cutAt(text.split(/\s+/).slice(0, limit).join(' '), limit * 10 - 1);
  return `${stripEnd(kept)}…`;
}

/**
 * What closes a Chinese news item without telling news: its source in brackets at the very end
 * (（投资者报）, (中新网), （分享自@电动邦）, (图)), or a short tail after the last full stop naming
 * the outlet or the account (新民网, 大公网内蒙古频道：, @巴东县人民法院, Via郑州晚报, 详见，).
 */
const BRACKETED_CREDIT = /[（(][^（()）。！？，,]{1,16}[）)]["”]?\s*$/u;
const CREDIT_TAIL_LENGTH = 14;

/**
 * `sentences` without the credit that closes a news item ({@link BRACKETED_CREDIT}, or a last
 * sentence of up to 14 characters with neither a full stop nor a comma in it).
 */
function withoutTrailingCredit(sentences: Sentence[]): Sentence[] {
  const kept = [...sentences];
  for (let guard = 0; guard < 3 && kept.length > 1; guard++) {
    let last = kept[kept.length - 1] as Sentence;
    // The segmenter leaves the opening bracket of a credit on the sentence before it: 。（|投资者报）
    const dangling = /[（(]\s*$/u.exec(last.text);
    if (dangling) {
      const text = last.text.slice(0, dangling.index);
      last = { ...last, text, end: last.start + text.length };
      kept[kept.length - 1] = last;
    }
    const bracket = BRACKETED_CREDIT.exec(last.text);
    if (bracket && bracket.index > 0) {
      const text = last.text.slice(0, bracket.index).trimEnd();
      kept[kept.length - 1] = { ...last, text, end: last.start + text.length };
      continue;
    }
    const bare = last.text.replace(/["”\s]+$/u, '');
    if (
      (bracket && bracket.index === 0) ||
      (bare.length <= CREDIT_TAIL_LENGTH &&
        !/[。！？!?，,；;]/u.test(bare.slice(0, -1)) &&
        !/[。！？!?]$/u.test(bare))
    ) {
      kept.pop();
      continue;
    }
    break;
  }
  return kept;
}

/** Longest Chinese news text, in characters, summed up in clauses rather than sentences (a post). */
const SHORT_NEWS = 300;
/**
 * Shortest summary of a short news item, in characters: about a headline. LCSTS authors' headlines
 * run 9-41 characters (19 on average); the development posts scored alike from 14 to 26.
 */
const SHORT_NEWS_LEAST = 22;

/**
 * Clause openings that date a news item or name its source rather than tell the news: 今天下午,
 * 目前, 据…报道, 记者…获悉. Only that clause weighs less: the rest of its sentence is often the
 * news itself.
 */
const OPENER =
  /^(?:目前|当前|當前|如今|[今昨明前]天(?:上午|下午|晚上)?|[上下]午|日前|近日|另?据[^，,]{0,20}(?:报道|報道|消息|获悉|獲悉|介绍|介紹)|[^，,]{0,12}记者[^，,]{0,20}(?:获悉|獲悉|了解到|从|從))/u;

/**
 * The summary of a short news item (a post of a few sentences): its clauses (cut at ，；：——)
 * that agree most with the rest of it, a little weighted by position, in reading order, up to a
 * fifth of its length (at least {@link SHORT_NEWS_LEAST} characters, at most `most`). Its author would sum it up in
 * a headline-length line, and its first three sentences are nearly the whole item, so what is
 * left out makes the summary. Weights tuned on the tuning posts of `news_zh.jsonl`, the least
 * length on the development posts of `news_zh_lcsts.jsonl` (`npm run eval`). A clause that only
 * says who speaks ({@link REPORTS}) is never chosen alone, and clauses of two sentences stay two
 * sentences, so that the summary says nothing in a form the source does not.
 */
function pickClauses(sentences: Sentence[], size: number, most: number): string {
  const clauses: Array<{
    text: string;
    index: number;
    sentence: number;
    weight: number;
    /** The clause before it when that one only says who speaks ("发言人表示，"). */
    speaker?: string;
  }> = [];
  for (const [n, s] of sentences.entries()) {
    // A sentence of background (近年来…, …以来) weighs half in all its clauses.
    const background = BACKGROUND.test(s.text) ? 0.5 : 1;
    const parts = withoutDanglingOpener(s.text)
      .split(/(?<=[，,；;：:]|——)/u)
      .filter((p) => p.trim() !== '');
    for (const [i, part] of parts.entries()) {
      const text = part.trim();
      // "发言人表示，" says who speaks, not what: it is never chosen alone, only before what is
      // said when that is chosen and room is left (a source clause, 记者…获悉, not even then).
      const weight = REPORTS.test(text) ? 0 : background * (OPENER.test(text) ? 0.5 : 1);
      const before = parts[i - 1]?.trim() ?? '';
      const speaker = REPORTS.test(before) && !OPENER.test(before) ? parts[i - 1] : undefined;
      clauses.push({ text: part, index: clauses.length, sentence: n, weight, speaker });
    }
  }
  const vectors = clauses.map((c) => features(c.text));
  const centroid = new Map<string, number>();
  for (const v of vectors) for (const [f, n] of v) centroid.set(f, (centroid.get(f) ?? 0) + n);
  let centroidNorm = 0;
  for (const n of centroid.values()) centroidNorm += n * n;
  centroidNorm = Math.sqrt(centroidNorm) || 1;
  const scored = clauses.map((c, i) => {
    const v = vectors[i] ?? new Map<string, number>();
    let dot = 0;
    let norm = 0;
    for (const [f, n] of v) {
      // Less the clause's own features: a long clause would otherwise be central by itself.
      dot += n * ((centroid.get(f) ?? 0) - n);
      norm += n * n;
    }
    const centrality = norm === 0 ? 0 : dot / (Math.sqrt(norm) * centroidNorm);
    const lead = 1 / (1 + i / 6);
    const text = c.text.trim();
    const tiny = squash(text).length < 6 ? 0 : 1;
    // Centrality decides: a post's point is often in its second or last sentence.
    const score = (centrality + lead * 0.2) * tiny * c.weight;
    return { ...c, score };
  });
  const limit = Math.min(most, Math.max(SHORT_NEWS_LEAST, Math.round(size * 0.2)));
  const chosen: typeof scored = [];
  let used = 0;
  for (const c of [...scored].sort((a, b) => b.score - a.score)) {
    if (c.score <= 0) break;
    const n = squash(c.text).length;
    if (used + n > limit * 1.2 && chosen.length > 0) continue;
    chosen.push(c);
    used += n;
    if (used >= limit * 0.8) break;
  }
  if (chosen.length === 0) return '';
  for (const [i, c] of chosen.entries()) {
    const n = squash(c.speaker ?? '').length;
    if (c.speaker === undefined || used + n > limit * 1.2) continue;
    chosen[i] = { ...c, text: c.speaker + c.text };
    used += n;
  }
  chosen.sort((a, b) => a.index - b.index);
  const text = stripEnd(
    chosen
      .map((c, i) => {
        const clause = c.text.trim();
        const next = chosen[i + 1];
        // Clauses of two sentences are two sentences: a comma would make one the source lacks.
        if (!next || next.sentence === c.sentence || /[。！？!?]["”’」』]*$/u.test(clause))
          return clause;
        return `${stripEnd(clause).replace(/——$/u, '')}。`;
      })
      .join(''),
  ).replace(/——$/u, '');
  // The best clause is kept whole when it alone runs over the limit, up to the budget: a long
  // clause without commas is often the one that states the news.
  return text.length >= most ? clip(text, 'zh', most) : `${balancedQuotes(text)}。`;
}

/** A clause that ends on a verb of saying or learning (表示，, 指出：, 记者获悉，): who speaks, not what. */
const REPORTS =
  /(?:表示|認為|认为|[称稱]|指出|[说說]|透露|[强強][调調]|介[绍紹]|表明|坦言|直言|提到|回[应應]|宣布|[预預]计|[显顯]示|[发發]现|[获獲]悉|了解到|[证證]实|告[诉訴]|[写寫]道|看来|看來)\s*[，,：:]$/u;

/** `text` without its quotation marks when a clause cut left one open or closed alone. */
function balancedQuotes(text: string): string {
  const count = (re: RegExp) => (text.match(re) ?? []).length;
  const unbalanced =
    count(/“/gu) !== count(/”/gu) || count(/‘/gu) !== count(/’/gu) || count(/"/gu) % 2 === 1;
  return unbalanced ? text.replace(/[“”‘’"]/gu, '') : text;
}

const squash = (text: string) => text.replace(/[\s\p{P}\p{S}]/gu, '');

// --- tasks -----------------------------------------------------------------------------------

/** An ordinal's value (一 1, 十五 15, 二十三 23); 0 when it is none. */
function chineseNumber(s: string): number {
  return chineseNumeral(s) ?? 0;
}

const CN = '[一二三四五六七八九十]{1,3}';
/**
 * Ordinal markers that open an enumerated item, by family, with the family's level in a
 * document's outline: 一、 sections, （一） items, 1. sub-items, (1) details; 一是/第一/首先
 * and bullets are enumerations within a passage.
 */
const MARKERS: ReadonlyArray<{
  family: string;
  level: number;
  re: RegExp;
  number: (m: RegExpExecArray) => number;
}> = [
  {
    family: 'shi',
    level: 5,
    re: new RegExp(`^(${CN})是`),
    number: (m) => chineseNumber(m[1] ?? ''),
  },
  {
    family: 'di',
    level: 5,
    re: new RegExp(`^第(${CN})(?:是|[，,、：:])`),
    number: (m) => chineseNumber(m[1] ?? ''),
  },
  {
    family: 'paren-cn',
    level: 2,
    re: new RegExp(`^[（(](${CN})[）)]`),
    number: (m) => chineseNumber(m[1] ?? ''),
  },
  {
    family: 'dun',
    level: 1,
    re: new RegExp(`^(${CN})、`),
    number: (m) => chineseNumber(m[1] ?? ''),
  },
  { family: 'paren-num', level: 4, re: /^[（(](\d{1,2})[）)]/, number: (m) => Number(m[1]) },
  {
    family: 'num',
    level: 3,
    re: /^(\d{1,2})(?:[.．、]|\)(?!\S*\)))\s*(?!\d)/,
    number: (m) => Number(m[1]),
  },
  {
    family: 'order',
    level: 5,
    re: /^(首先|其次|再次|然后|最后)[，,、]?/u,
    number: (m) => ({ 首先: 1, 其次: 2, 再次: 3, 然后: 3, 最后: 4 })[m[1] as '首先'] ?? 0,
  },
  { family: 'bullet', level: 5, re: /^[-•·●▪*]\s+/, number: () => 0 },
];

/** Headings of a document's framing sections: their items are not tasks. */
const PREAMBLE =
  /^(?:总体要求|指导思想|基本原则|主要目标|发展目标|工作目标|总体目标|目标任务|重要意义|适用范围|基本思路|总体思路|工作原则|有关要求)/u;

interface Candidate {
  family: string;
  level: number;
  number: number;
  sentence: Sentence;
  markerLength: number;
}

/**
 * Tasks from the text's own enumerations: runs of one marker family counting up from one. In an
 * outline (一、 sections with items below them), the items of the level right below the sections
 * are the tasks, not the sections nor their sub-items, and items of framing sections (总体要求,
 * 基本原则…) are left out. Without enumerations: clauses opening with the same verb (抓…) and,
 * in English, sentences that commit someone (will, must, should).
 */
function findTasks(
  sentences: Sentence[],
  language: string,
  near: (index: number) => number,
  timeLimit: TimeLimit,
  limit: number,
): DraftTask[] {
  if (limit <= 0) return [];
  const candidates: Candidate[] = [];
  const tick = pacer(timeLimit, 'finding tasks');
  for (const sentence of openings(sentences)) {
    tick();
    for (const { family, level, re, number } of MARKERS) {
      const m = re.exec(sentence.text);
      if (m) {
        candidates.push({ family, level, number: number(m), sentence, markerLength: m[0].length });
        break;
      }
    }
  }
  const items: Candidate[] = [];
  const byFamily = new Map<string, Candidate[]>();
  for (const c of candidates) {
    const list = byFamily.get(c.family);
    if (list) list.push(c);
    else byFamily.set(c.family, [c]);
  }
  for (const [family, list] of byFamily) {
    if (family === 'bullet') {
      if (list.length >= 2) append(items, list);
      continue;
    }
    let run: Candidate[] = [];
    const flush = () => {
      if (run.length >= 2 && !run.every((c) => headsProse(c, sentences))) append(items, run);
      run = [];
    };
    for (const c of list) {
      if (c.number === 1) flush();
      const last = run[run.length - 1];
      if (c.number === 1 || (last && c.number === last.number + 1)) run.push(c);
    }
    flush();
  }
  const sections = items
    .filter((c) => c.level === 1)
    .sort((a, b) => a.sentence.start - b.sentence.start);
  const levels = [...new Set(items.map((c) => c.level))].sort((a, b) => a - b);
  const taskLevel = sections.length > 0 ? (levels.find((l) => l > 1) ?? 1) : levels[0];
  // The last section opening at or before the item (a binary search: outlines can be long).
  const sectionOf = (c: Candidate) =>
    sections[firstIndex(sections, (s) => s.sentence.start > c.sentence.start) - 1];
  const heading = (c: Candidate) => c.sentence.text.slice(c.markerLength);
  const chosen = items.filter(
    (c) =>
      c.level === taskLevel &&
      !PREAMBLE.test(heading(c)) &&
      !(c !== sectionOf(c) && PREAMBLE.test(heading(sectionOf(c) ?? c).replace(/^.*?、/u, ''))),
  );
  chosen.sort((a, b) => a.sentence.start - b.sentence.start);
  const tasks: DraftTask[] = [];
  const seen = new Set<string>();
  const keep = (found: readonly DraftTask[]) => {
    for (const t of found) {
      if (t.task.length >= 2 && !seen.has(t.task)) {
        seen.add(t.task);
        tasks.push(t);
      }
    }
  };
  // Items in reading order, up to the limit: the ones beyond it would be cut anyway. At most four
  // items per task kept are read, so that thousands of identical items cost no more than a few.
  for (let i = 0; i < chosen.length && tasks.length < limit && i < limit * 4; i++) {
    tick();
    const c = chosen[i] as Candidate;
    keep(
      tasksFrom(
        c.sentence,
        c.markerLength,
        near,
        itemBody(sentences, c.sentence, chosen[i + 1]?.sentence),
      ),
    );
  }
  if (language === 'zh') {
    // Chinese documents that enumerate their tasks state them there; prose around an enumeration
    // restates duties (各地区要…) rather than adding tasks.
    if (tasks.length === 0) keep(verbSeries(sentences, near, tick));
    if (tasks.length === 0) keep(commitments(sentences, near));
  } else if (sections.length === 0) {
    // Minutes and memos list some actions and state others in prose: both are tasks.
    const listed = new Set(chosen.map((c) => c.sentence.paragraph));
    keep(
      commitments(
        sentences.filter((s) => !listed.has(s.paragraph)),
        near,
      ),
    );
  }
  return tasks.sort((a, b) => (a.near ?? 0) - (b.near ?? 0)).slice(0, limit);
}

/**
 * Whether an enumerated item is a section heading of Latin text ("1. Storm drains") rather than
 * an action: a few words without sentence punctuation or a verb of commitment, with prose below
 * it. Minutes number their agenda this way and list their actions elsewhere.
 */
function headsProse(c: Candidate, sentences: Sentence[]): boolean {
  const text = c.sentence.text.slice(c.markerLength).trim();
  if (isWide(text) || /[.!?;:,]$/u.test(text) || text.split(/\s+/u).length > 6) return false;
  if (/\b(?:will|must|should|shall|to)\b/iu.test(text)) return false;
  const next = sentences[firstIndex(sentences, (s) => s.paragraph > c.sentence.paragraph)];
  return (
    next !== undefined && /[.!?]$/u.test(next.text) && !MARKERS.some((m) => m.re.test(next.text))
  );
}

/** A closing attribution to a spokesperson: ", a spokesperson said.", ", the ministry says.". */
const ATTRIBUTED =
  /,\s+(?:a|an|the|its|their)\s+(?:[\w'’-]+\s+){0,3}?(?:spokes(?:person|man|woman)|official|statement|ministry|department|council|company|agency)\s+(?:said|says|announced)\.?$/iu;

/** How many sentences that commit someone become tasks at most, the first in reading order. */
const MAX_COMMITMENTS = 20;

/**
 * A list marker opening a line of prose (a bullet, "1.", "(2)", 三、): no part of a task stated in
 * it, and still a verbatim quote without it.
 */
const LIST_MARKER =
  /^(?:[-•·●○▪■□◆◇►*–—]\s*|\d{1,2}[.．、)]\s+|[（(]\d{1,2}[）)]\s*|[一二三四五六七八九十]{1,3}、)/u;

/**
 * Sentences in which someone commits to or is told to act ("X will / must / is responsible for",
 * 由…负责, …牵头, 各部门要…前): one task per action, with its owner and deadline. Reported speech
 * (quotes, "said") states what someone thinks, not what they will do.
 */
function commitments(sentences: Sentence[], near: (index: number) => number): DraftTask[] {
  const tasks: DraftTask[] = [];
  for (const s of sentences) {
    if (tasks.length >= MAX_COMMITMENTS) break;
    if (s.text.length < 8 || s.text.length > 400) continue;
    // "X will publish the design by September, a spokesperson said.": the organisation's own
    // plan as its spokesperson states it; any other reported speech is what someone thinks.
    const text = s.text.replace(ATTRIBUTED, '.');
    if (/["“”]|\bsaid\b|\bsays\b|[?？]$/u.test(text)) continue;
    for (const c of commitmentsIn(text)) {
      const quote = cutAt(c.text.trim().replace(LIST_MARKER, ''), MAX_TASK_LENGTH).trim();
      if (measure(quote, isWide(quote) ? 'zh' : 'en') < 4) continue;
      tasks.push({
        task: stripEnd(quote),
        owner: c.owner,
        deadline: c.deadline,
        quote: stripEnd(quote),
        near: near(s.start + c.offset),
      });
    }
  }
  return tasks.slice(0, MAX_COMMITMENTS);
}

const isWide = (text: string) => /\p{Script=Han}/u.test(text);

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

/** How long an item's text may be, in UTF-16 units, for its further sentences to add tasks. */
const SHORT_ITEM = 160;

/**
 * The item's heading: the text after its marker up to the end of the first clause that says it,
 * with the owner and deadline its body states. A heading that assigns several actions to several
 * owners ("市财政局负责…，市审计局负责…") gives one task per action.
 */
function tasksFrom(
  sentence: Sentence,
  markerLength: number,
  near: (i: number) => number,
  body: string = sentence.text,
): DraftTask[] {
  const rest = sentence.text.slice(markerLength);
  let heading = rest.split(/(?<=[。！？!?；;])/u)[0] ?? rest;
  // A long Chinese heading is cut to its first clause; English clauses run longer.
  if (heading.length > (isWide(heading) ? 60 : 160)) {
    const clause = heading.split(/[，,：:]/u)[0] ?? heading;
    if (clause.length >= 4) heading = clause;
  }
  heading = cutAt(heading.trim(), MAX_TASK_LENGTH).trim();
  const at = markerLength + rest.indexOf(heading);
  const actions = commitmentsIn(heading);
  if (actions.length > 1 && new Set(actions.map((a) => a.owner)).size > 1) {
    return actions.map((a) => ({
      task: stripEnd(a.text.trim()),
      owner: a.owner,
      deadline: a.deadline,
      quote: stripEnd(a.text.trim()),
      near: near(sentence.start + at + a.offset),
    }));
  }
  const quote = sentence.text.slice(0, at + heading.length);
  const text = body.slice(markerLength);
  const owner = findOwner(text, true);
  const tasks: DraftTask[] = [
    {
      task: stripEnd(heading),
      owner,
      deadline: findDeadline(text),
      quote: stripEnd(quote),
      near: near(sentence.start),
    },
  ];
  // A short item (a line of minutes) may assign further actions to others ("…区财政局要做好资金
  //保障。"): they are tasks too. A long one (a policy paragraph) develops one task, and the
  // duties its sentences restate are not tasks of their own.
  if (text.length > SHORT_ITEM) return tasks;
  let offset = 0;
  for (const part of text.split(/(?<=[。！？!?；;])/u)) {
    for (const c of part.includes(heading) ? [] : commitmentsIn(part)) {
      if (c.owner === null || c.owner === owner || /^\s*[（(]/u.test(c.text)) continue;
      const said = stripEnd(cutAt(c.text.trim(), MAX_TASK_LENGTH).trim());
      tasks.push({
        task: said,
        owner: c.owner,
        deadline: c.deadline,
        quote: said,
        near: near(sentence.start + markerLength + offset + c.offset),
      });
    }
    offset += part.length;
  }
  return tasks;
}

/** The index of the first element for which `after` holds, in an array ordered so that it holds for a suffix. */
function firstIndex<T>(items: readonly T[], after: (item: T) => boolean): number {
  let lo = 0;
  let hi = items.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (after(items[mid] as T)) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

const ITEM_BODY = 600;

/**
 * An item's text: from its marker up to the next item, within its paragraph (600 chars at most).
 * `sentences` are in reading order, so only the few sentences from the item on are read.
 */
function itemBody(sentences: Sentence[], item: Sentence, next: Sentence | undefined): string {
  const parts: string[] = [];
  let length = 0;
  for (
    let i = firstIndex(sentences, (s) => s.end > item.start);
    i < sentences.length && length < ITEM_BODY;
    i++
  ) {
    const s = sentences[i] as Sentence;
    if (s.paragraph !== item.paragraph) break;
    if (next !== undefined && s.start >= next.start && next.paragraph === item.paragraph) break;
    const part = s.start < item.start ? s.text.slice(item.start - s.start) : s.text;
    parts.push(part);
    length += part.length;
  }
  return parts.join('').slice(0, ITEM_BODY);
}

const SERIES_VERBS = ['抓', '要', '将'];
const SERIES_PREFIX = /^(?:此外|同时|另外|还|并|要|着力|重点|继续|持续|坚持|切实){0,3}$/u;

/** Tasks written as a series of clauses that open with the same verb: 抓干部教育…抓作风建设…. */
function verbSeries(
  sentences: Sentence[],
  near: (i: number) => number,
  tick: () => void,
): DraftTask[] {
  const tasks: DraftTask[] = [];
  for (const verb of SERIES_VERBS) {
    const found: DraftTask[] = [];
    for (const sentence of sentences) {
      tick();
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
    if (found.length >= 3) append(tasks, found);
  }
  return tasks;
}
