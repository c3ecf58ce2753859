/**
 * The review page's data and the pure functions over it (no DOM): the task table's rows, owner
 * names as people read them, filters and free-text search, counts. Unit-tested in Node; bundled
 * into the page by esbuild.
 */
import type { Digest, ErrorRecord, Evidence, Format } from '../../../shared/contract';

/** One document as the page receives it (embedded as JSON in the HTML file). */
export interface PageDocument {
  key: string;
  digest?: Digest;
  error?: ErrorRecord;
  /**
   * The text evidence offsets count in: for a PDF or Word file the text kept of it, for HTML the
   * page's text (not its markup), else the decoded object; null when unreadable.
   */
  source: string | null;
  /**
   * Links relative to the page: the digest or error record's JSON, the source object, and the
   * text kept of a PDF or Word file.
   */
  links?: { record?: string; source?: string; text?: string };
  /**
   * The digest as stored, when `digest` is a copy with its evidence re-counted in the text shown
   * (an HTML page's): what a link without a file opens.
   */
  stored?: Digest;
}

export interface PageData {
  title: string;
  documents: PageDocument[];
}

/** A task with the document and article it belongs to: one row of the task table. */
export interface TaskRow {
  /** Index of the document in {@link PageData.documents}. */
  doc: number;
  /** Index of the article within the digest. */
  article: number;
  /** Index of the task within the article. */
  index: number;
  task: string;
  /** As people read it: list markers such as "1." or "（一）" taken off; null when not stated. */
  owner: string | null;
  deadline: string | null;
  evidence: Evidence;
  /** Lower-cased text that free-text search looks in. */
  haystack: string;
}

/** What the filters are set to. Empty strings mean "any". */
export interface Filters {
  /** An owner, `(none)` for tasks without one, or empty for any. */
  owner: string;
  /** `with` (a deadline is stated), `without`, or empty for any. */
  deadline: string;
  /** A document key, or empty for every document. */
  document: string;
  /** Free text: every word must appear in the task, owner, deadline, quote or document key. */
  text: string;
}

export const NO_FILTERS: Filters = { owner: '', deadline: '', document: '', text: '' };

/**
 * Leading list markers an extracted owner may carry from the list it was found in:
 * "1." "2、" "(3)" "（一）" "一、" "第一，". They say where the item stood, not who owns it.
 */
const LIST_MARKER =
  /^\s*(?:[(（]\s*(?:\d+|[一二三四五六七八九十]+)\s*[)）]|(?:\d+|[一二三四五六七八九十]+)\s*[.、．)）]|第[一二三四五六七八九十]+[，,、])\s*/u;

/** An owner as people read it: without a list marker in front; null when nothing is left. */
export function cleanOwner(owner: string | null | undefined): string | null {
  if (!owner) return null;
  let text = owner.trim();
  for (let i = 0; i < 3 && LIST_MARKER.test(text); i++) text = text.replace(LIST_MARKER, '');
  return text === '' ? null : text;
}

/** Every task of every digest, in document order. */
export function taskRows(documents: readonly PageDocument[]): TaskRow[] {
  const rows: TaskRow[] = [];
  documents.forEach((doc, docIndex) => {
    doc.digest?.articles.forEach((article, articleIndex) => {
      article.tasks.forEach((task, index) => {
        const owner = cleanOwner(task.owner);
        rows.push({
          doc: docIndex,
          article: articleIndex,
          index,
          task: task.task,
          owner,
          deadline: task.deadline ?? null,
          evidence: task.evidence,
          haystack: [task.task, owner ?? '', task.deadline ?? '', task.evidence.quote, doc.key]
            .join('\n')
            .toLowerCase(),
        });
      });
    });
  });
  return rows;
}

/** The owners named in the rows, sorted, each once. */
export function ownersOf(rows: readonly TaskRow[]): string[] {
  const owners = new Set<string>();
  for (const row of rows) if (row.owner) owners.add(row.owner);
  return [...owners].sort((a, b) => a.localeCompare(b, 'zh'));
}

/** The search's words, lower-cased; white space separates them. */
export function searchWords(text: string): string[] {
  return text.toLowerCase().split(/\s+/u).filter(Boolean);
}

/** Whether a task passes the owner and deadline filters (not the document or text ones). */
export function matchesTaskFilters(
  task: { owner: string | null; deadline: string | null },
  filters: Filters,
): boolean {
  if (filters.owner === '(none)' && task.owner) return false;
  if (filters.owner !== '' && filters.owner !== '(none)' && task.owner !== filters.owner) {
    return false;
  }
  if (filters.deadline === 'with' && !task.deadline) return false;
  if (filters.deadline === 'without' && task.deadline) return false;
  return true;
}

/** The rows every filter lets through, in order. */
export function filterRows(
  rows: readonly TaskRow[],
  documents: readonly PageDocument[],
  filters: Filters,
): TaskRow[] {
  const words = searchWords(filters.text);
  return rows.filter(
    (row) =>
      matchesTaskFilters(row, filters) &&
      (filters.document === '' || documents[row.doc]?.key === filters.document) &&
      words.every((word) => row.haystack.includes(word)),
  );
}

/** Whether a document matches the free-text search: its key, summaries, titles or tasks. */
export function documentMatches(doc: PageDocument, words: readonly string[]): boolean {
  if (words.length === 0) return true;
  const parts: string[] = [doc.key];
  if (doc.error) parts.push(doc.error.error.code, doc.error.error.message);
  if (doc.digest) {
    parts.push(doc.digest.summary);
    for (const article of doc.digest.articles) {
      parts.push(article.title ?? '', article.summary);
      for (const task of article.tasks)
        parts.push(task.task, task.owner ?? '', task.deadline ?? '');
    }
  }
  const text = parts.join('\n').toLowerCase();
  return words.every((word) => text.includes(word));
}

export interface Counts {
  documents: number;
  digests: number;
  errors: number;
  tasks: number;
}

export function countsOf(documents: readonly PageDocument[]): Counts {
  let digests = 0;
  let errors = 0;
  let tasks = 0;
  for (const doc of documents) {
    if (doc.digest) {
      digests++;
      for (const article of doc.digest.articles) tasks += article.tasks.length;
    }
    if (doc.error) errors++;
  }
  return { documents: documents.length, digests, errors, tasks };
}

/**
 * Whether an article's summary says nothing the document's does not: a one-article document
 * whose two summaries are the same text (then the page shows it once).
 */
export function repeatsDocumentSummary(digest: Digest): boolean {
  const [only, ...rest] = digest.articles;
  if (!only || rest.length > 0) return false;
  const squash = (text: string) => text.replace(/\s+/gu, '');
  return squash(only.summary) === squash(digest.summary);
}

const KEPT_NAMES: Partial<Record<Format, string>> = {
  pdf: 'PDF',
  docx: 'Word file',
  image: 'picture',
};

/**
 * What the source pane shows, in words: the text read out of a PDF or Word file, an HTML page as
 * its text, or the source as it is.
 */
export function sourceCaption(doc: PageDocument): string {
  const source = doc.digest?.source;
  if (source?.textKey) return `Text read out of the ${KEPT_NAMES[source.format] ?? source.format}`;
  if (source?.format === 'html') return 'The page as text';
  return 'Source';
}

/** JSON safe to place inside a <script> element of an HTML page. */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}
