/**
 * Reading a newspaper page's layout: which lines are titles, bylines, reporter credits, photo
 * captions and section headings, and where one article ends and the next begins.
 */
import { isWide, SENTENCE_END } from './chars';
import type { Normalized } from './normalize';
import type { Sentence } from './segment';

/** Reporter credits and bylines as newspapers print them. */
const CREDIT = [
  /^[（(]\s*(?:本报|本台|新华社)?\s*(?:记者|通讯员|特约记者|实习生)[^（()）]*[）)]$/u,
  /^(?:本报记者|记者|通讯员)\s*\S{2,4}(?:\s+\S{2,4})*$/u,
  /^(?:文|图|撰文|摄影|文图|文\/图)\s*[/／:：]/u,
  /^By\s+[A-Z][\w.'-]*(?:\s+(?:and\s+)?[A-Z][\w.'-]*){0,4}$/,
];

/** An author line with the author's offices: "区委常委、纪委书记，…副总指挥 仲伟富". */
const AUTHOR_LINE = /^[\p{Script=Han}、，,（）()“”\s]{4,80}\s[\p{Script=Han}]{2,4}$/u;

/** Photo captions: a line that opens like one, or a sentence that says 图为 anywhere. */
const CAPTION_LINE = /^(?:图为|图片|上图|下图|左图|右图|Photo:|Pictured:|Image:)/u;
const CAPTION = /^(?:图为|图片|上图|下图|左图|右图|Photo:|Pictured:|Image:)|图为/u;

/** An inline byline: 文/张茂盛 梁永超 图/郭永乐 李伟杰. */
const INLINE_BYLINE =
  /^(?:(?:文|图|文图|摄影)\s*[/／]\s*\p{Script=Han}{2,4}(?:\s+\p{Script=Han}{2,4})*\s*)+/u;

/** A section letter or a short label opening an inline section heading: "A ", "人:". */
const SECTION_OPENER = /^(?:[A-H]\s+|\p{Script=Han}{1,2}[:：])/u;

export function isCredit(text: string): boolean {
  return CREDIT.some((re) => re.test(text));
}

export function isCaption(text: string): boolean {
  return CAPTION.test(text);
}

/** A short line without closing punctuation: a title or a heading. */
export function isHeadingLike(line: string): boolean {
  const limit = isWide(line[0]) ? 40 : 120;
  return line.length <= limit && !SENTENCE_END.test(line) && !/[，,。：:.]$/.test(line);
}

export interface ArticleLayout {
  title: string | null;
  bylines: string[];
  /** Body paragraphs, as ranges of the normalized text. */
  paragraphs: Array<{ start: number; end: number }>;
}

/**
 * Splits a page into articles. A reporter credit ends an article. Title lines at the top of an
 * article are its title; title lines left over after the last credit (a page laid out with the
 * second article's title at the bottom) go to the article that has none, with an author line
 * below them as its byline. A page without credits is one article.
 */
export function splitArticles(normalized: Normalized): ArticleLayout[] {
  const { text, paragraphs } = normalized;
  const lineOf = (p: { start: number; end: number }) => text.slice(p.start, p.end);
  const articles: ArticleLayout[] = [];
  let current: ArticleLayout = { title: null, bylines: [], paragraphs: [] };
  let titleLines: string[] = [];

  const close = () => {
    if (current.paragraphs.length > 0) articles.push(current);
    current = { title: null, bylines: [], paragraphs: [] };
  };

  for (const p of paragraphs) {
    const line = lineOf(p);
    if (isCredit(line)) {
      current.bylines.push(line.replace(/^[（(]\s*|\s*[）)]$/g, ''));
      close();
      continue;
    }
    if (current.paragraphs.length === 0 && titleLines.length > 0 && AUTHOR_LINE.test(line)) {
      current.bylines.push(line);
      continue;
    }
    if (
      current.paragraphs.length === 0 &&
      current.title === null &&
      isHeadingLike(line) &&
      titleLines.length < 3
    ) {
      titleLines.push(line);
      continue;
    }
    if (titleLines.length > 0) {
      current.title = titleLines.join(' ');
      titleLines = [];
    }
    if (CAPTION_LINE.test(line)) continue;
    current.paragraphs.push(p);
  }
  // Lines after the last credit: a title (and author line) printed below its article.
  const leftoverTitle = titleLines.length > 0 ? titleLines.join(' ') : null;
  const leftoverBylines = current.paragraphs.length === 0 ? current.bylines : [];
  close();
  if (leftoverTitle) {
    const untitled =
      articles.find((a) => a.title === null && a !== articles[0]) ??
      articles.find((a) => a.title === null);
    if (untitled) {
      untitled.title = leftoverTitle;
      untitled.bylines = [...leftoverBylines, ...untitled.bylines];
    } else if (articles.length === 0) {
      articles.push({ title: leftoverTitle, bylines: leftoverBylines, paragraphs: [] });
    }
  }
  return articles.length > 0 ? articles : [{ title: null, bylines: [], paragraphs: [] }];
}

/** Space-separated chunks that read as a heading: short, without sentence punctuation. */
function headingChunks(text: string, maxChunk: number): number {
  const re = /\S+\s+/gy;
  let end = 0;
  let chunks = 0;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    const chunk = m[0].trim();
    if (chunk.length > maxChunk || /[，,。.！!？?；;、]/u.test(chunk)) break;
    end = re.lastIndex;
    chunks++;
  }
  return chunks > 0 && end < text.length ? end : 0;
}

export interface CleanSentence extends Sentence {
  /** An inline byline found at its start and removed from it. */
  byline?: string;
}

/**
 * Strips page furniture from the start of a sentence of one-line scraped text: an inline byline
 * (文/… 图/…), a section letter with its heading ("A 不进则退 抢抓机遇谋发展"), a labelled
 * sub-heading ("人:凝共识 强作风 激斗志"). The sentence keeps its place in the text, moved past
 * what was removed. Returns null for a sentence that was nothing but furniture or a caption.
 */
export function cleanSentence(sentence: Sentence): CleanSentence | null {
  let { text, start } = sentence;
  const result: CleanSentence = { ...sentence };
  const cut = (n: number) => {
    const lead = text.slice(n);
    const trimmed = lead.trimStart();
    start += n + (lead.length - trimmed.length);
    text = trimmed;
  };
  const byline = INLINE_BYLINE.exec(text);
  if (byline) {
    result.byline = byline[0].trim();
    cut(byline[0].length);
  }
  const opener = SECTION_OPENER.exec(text);
  if (opener) {
    const rest = text.slice(opener[0].length);
    const heading = headingChunks(rest, 16);
    if (heading > 0 || /^\S+$/.test(rest.trim())) cut(opener[0].length + heading);
  }
  if (
    text === '' ||
    isCaption(text) ||
    isCredit(text) ||
    (opener && !/[，,。.！!？?；;]/u.test(text))
  )
    return null;
  return { ...result, text, start };
}

/**
 * The title at the head of a one-line article: two or more short chunks before the first real
 * sentence ("重构良好政治生态 重整旗鼓再出发 蓬江区将…"). Returns its length in the sentence.
 */
export function leadingTitle(sentence: Sentence): number {
  const end = headingChunks(sentence.text, 16);
  const chunks = sentence.text.slice(0, end).trim().split(/\s+/).length;
  return end > 0 && chunks >= 2 ? end : 0;
}
