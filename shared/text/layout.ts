/**
 * Reading a newspaper page's layout: which lines are titles, bylines, reporter credits, photo
 * captions and section headings, and where one article ends and the next begins.
 */
import { isWide, SENTENCE_END } from './chars';
import type { Normalized } from './normalize';
import type { Sentence } from './segment';

/** Reporter credits and bylines as newspapers print them. */
const CREDIT = [
  /^[（(]\s*(?:本报|本台|新华社)?\s*(?:记者|通讯员|特约记者|实习生|见习记者)[^（()）]*[）)]$/u,
  /^(?:本报记者|记者|通讯员)\s*\S{2,4}(?:\s+\S{2,4})*$/u,
  /^(?:文|图|撰文|摄影|文图|文\/图)\s*[/／:：]/u,
  /^(?:作者|撰稿)\s*[:：]\s*\S.{0,40}$/u,
  // "By Jane Doe", "Posted by Sam Lee on March 3, 2025", "By Jane Doe | 3 March 2025".
  /^(?:By|Posted by|Written by|Reported by|Words by)\s+[A-Z][\w.'-]*(?:\s+(?:and\s+)?[A-Z][\w.'-]*){0,4}(?:\s*(?:[|·•—–,-]|\bon\b)\s*[\w ,.:/-]{0,30}\d[\w ,.:/-]{0,12})?$/,
];

/**
 * Lines about the page rather than the story: the source, the editors. Left out of everything.
 * Also in parentheses at the end of a story: （责任编辑：张三）.
 */
const EDITORIAL =
  /^[（(]?\s*(?:来源|稿源|责任编辑|责编|编辑|校对|审核|审校|值班编辑|监制|出品)\s*[:：][^（()）]{0,40}[）)]?$/u;

/**
 * A credit opening a story's first paragraph: 本报讯（记者 张三）, 新华社北京3月5日电（记者 李四）,
 * 【环球网报道 记者 王五】. Group 1 is the credit as printed.
 */
const LEADING_CREDIT = new RegExp(
  [
    '^((?:(?:本报|本台|本刊)(?:[\\p{Script=Han}\\d]{0,8})?讯|(?:新华社|中新社|中新网|人民网|央视网|新华网|央广网)[\\p{Script=Han}\\d]{0,12}电)',
    '\\s*(?:[（(]\\s*(?:本报|本台|新华社)?\\s*(?:记者|通讯员|特约记者|实习生|见习记者)[^（()）]{0,40}[）)])?',
    '|[（(]\\s*(?:本报|本台|新华社)?\\s*(?:记者|通讯员|特约记者|实习生|见习记者)[^（()）]{0,40}[）)]',
    '|【[^【】]{0,30}(?:记者|通讯员|报道|讯|电|综合)[^【】]{0,30}】)\\s*',
  ].join(''),
  'u',
);

/** A bracketed tag opening a paragraph, 【编者按】, 【新闻链接】: furniture, left out. */
const LEADING_TAG = /^【[^【】]{1,12}】\s*/u;

/** An author line with the author's offices: "区委常委、纪委书记，…副总指挥 仲伟富". */
const AUTHOR_LINE = /^[\p{Script=Han}、，,（）()“”\s]{4,80}\s[\p{Script=Han}]{2,4}$/u;

/**
 * A labelled field under a title ("Attendees: Ana, Ben", "Date: 3 March", "发布时间：…"): the
 * start of the text, not more of the title.
 */
const FIELD_LINE = /^(?:[\p{L}\p{N}]+ ){0,2}[\p{L}\p{N}]+\s*[:：]\s*\S/u;

/** Photo captions: a line that opens like one, or a sentence that says 图为 anywhere. */
const CAPTION_LINE = /^(?:图为|图片|上图|下图|左图|右图|Photo:|Pictured:|Image:)/u;
const CAPTION = /^(?:图为|图片|上图|下图|左图|右图|Photo:|Pictured:|Image:)|图为/u;

/**
 * A caption line of a printed page: it ends with the photographer's credit (刘兆明摄(人民视觉),
 * 新华社记者 李贺 摄, （张三摄）), or is the agency's credit alone (新华社发).
 */
const CREDITED_PHOTO =
  /(?:^|[。！？!?\s])[（(]?(?:新华社记者\s*|记者\s*)?\p{Script=Han}{2,4}(?:\s+\p{Script=Han}{2,4})*\s*摄(?:影)?\s*(?:[（(][^（）()]{1,12}[）)])?[）)]?\s*$|^(?:新华社|中新社)\s*(?:发|供图)$/u;

/** An inline byline: 文/张茂盛 梁永超 图/郭永乐 李伟杰. */
const INLINE_BYLINE =
  /^(?:(?:文|图|文图|摄影)\s*[/／]\s*\p{Script=Han}{2,4}(?:\s+\p{Script=Han}{2,4})*\s*)+/u;

/**
 * A section letter or a short label opening an inline section heading: "A ", "人:". The letter
 * only before a Chinese heading: in English, "A public workshop…" opens a sentence.
 */
const SECTION_OPENER = /^(?:[A-H]\s+(?=\p{Script=Han})|\p{Script=Han}{1,2}[:：])/u;

export function isCredit(text: string): boolean {
  return CREDIT.some((re) => re.test(text));
}

/** Whether a line names the source or the editors: page furniture, not the story. */
export function isEditorial(text: string): boolean {
  return EDITORIAL.test(text);
}

export function isCaption(text: string): boolean {
  return CAPTION.test(text);
}

/** A short line without closing punctuation: a title or a heading. */
export function isHeadingLike(line: string): boolean {
  // A Chinese line may open with digits or Latin letters (27日，…; iPhone…): any wide character in
  // its first few makes it wide.
  const limit = [...line.slice(0, 8)].some((ch) => isWide(ch)) ? 40 : 120;
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
    if (isEditorial(line) || CREDITED_PHOTO.test(line)) continue;
    if (isCredit(line)) {
      current.bylines.push(line.replace(/^[（(]\s*|\s*[）)]$/g, ''));
      // Under a title, before any text ("By Jane Doe"), a credit opens its story; after the
      // text (（本报记者 张三）), it ends it.
      if (current.paragraphs.length === 0 && titleLines.length > 0) continue;
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
      titleLines.length < 3 &&
      !(titleLines.length > 0 && FIELD_LINE.test(line))
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
  const credit = LEADING_CREDIT.exec(text);
  if (credit?.[1]) {
    result.byline = credit[1].replace(/^【|】$/g, '').trim();
    cut(credit[0].length);
  } else {
    const tag = LEADING_TAG.exec(text);
    if (tag) cut(tag[0].length);
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
    isEditorial(text) ||
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
  // Latin words are all short chunks: an English sentence would lose all but its last word.
  if (!isWide(sentence.text[0])) return 0;
  const end = headingChunks(sentence.text, 16);
  const chunks = sentence.text.slice(0, end).trim().split(/\s+/).length;
  return end > 0 && chunks >= 2 ? end : 0;
}
