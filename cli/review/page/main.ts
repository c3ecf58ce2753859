/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
/**
 * The review page's script: two views over the embedded documents. "Documents" lists them, shows
 * one with its articles, summaries, tasks and key points, and highlights a selected item's
 * evidence in the source. "Tasks" is one table of every task across the documents, filtered by
 * owner, deadline, document and free text. Keys: / search, j/k (or arrows) move, Enter opens,
 * n/p next or previous task of the document, t and d switch views, Esc leaves the search.
 */
import './style.css';
import type { Evidence } from '../../../shared/contract';
import { count, counted, noun } from '../../count';
import {
  countsOf,
  documentMatches,
  type Filters,
  filterRows,
  matchesTaskFilters,
  ownersOf,
  type PageData,
  type PageDocument,
  repeatsDocumentSummary,
  searchWords,
  sourceCaption,
  type TaskRow,
  taskRows,
} from './model';

/** Task rows drawn at once; "Show more" draws the next as many (1,000 documents stay quick). */
const TABLE_PAGE = 300;

function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const node = document.getElementById(id);
  if (!node) throw new Error(`the page has no #${id}`);
  return node as T;
}

function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Partial<HTMLElementTagNameMap[K]> = {},
  ...children: Array<Node | string>
): HTMLElementTagNameMap[K] {
  const node = Object.assign(document.createElement(tag), props);
  node.append(...children);
  return node;
}

const data = JSON.parse(byId('data').textContent ?? '{}') as PageData;
const docs = data.documents;
const rows = taskRows(docs);
const rowsByDoc = new Map<number, TaskRow[]>();
for (const row of rows) {
  const list = rowsByDoc.get(row.doc);
  if (list) list.push(row);
  else rowsByDoc.set(row.doc, [row]);
}
const ownerSelect = byId<HTMLSelectElement>('owner');
const deadlineSelect = byId<HTMLSelectElement>('deadline');
const documentSelect = byId<HTMLSelectElement>('doc-filter');
const search = byId<HTMLInputElement>('search');

let view: 'documents' | 'tasks' = 'documents';
let current = -1;
/** Documents listed, after the search. */
let listed: number[] = [];
/** Task rows after the filters, and how many of them are drawn. */
let filtered: TaskRow[] = [];
let drawn = 0;
let selectedRow = -1;
const blobUrls = new Map<string, string>();

function filters(): Filters {
  return {
    owner: ownerSelect.value,
    deadline: deadlineSelect.value,
    document: documentSelect.value,
    text: search.value,
  };
}

function recordLink(doc: PageDocument, index: number) {
  const record = doc.stored ?? doc.digest ?? doc.error;
  if (!record) return null;
  if (doc.links?.record) {
    return el('a', {
      href: doc.links.record,
      textContent: 'JSON',
      className: 'record-link',
      target: '_blank',
    });
  }
  const a = el('a', { href: '#', textContent: 'JSON', className: 'record-link' });
  a.addEventListener('click', (event) => {
    event.preventDefault();
    const key = `record:${index}`;
    let url = blobUrls.get(key);
    if (!url) {
      url = URL.createObjectURL(
        new Blob([JSON.stringify(record, null, 2)], { type: 'application/json' }),
      );
      blobUrls.set(key, url);
    }
    window.open(url, '_blank', 'noopener');
  });
  return a;
}

/** A link to a copy of `text` made in the page (a bucket's page has no files beside it). */
function blobLink(text: string, label: string, className: string, key: string) {
  const a = el('a', { href: '#', textContent: label, className });
  a.addEventListener('click', (event) => {
    event.preventDefault();
    let url = blobUrls.get(key);
    if (!url) {
      url = URL.createObjectURL(new Blob([text], { type: 'text/plain;charset=utf-8' }));
      blobUrls.set(key, url);
    }
    window.open(url, '_blank', 'noopener');
  });
  return a;
}

function fileLink(href: string, label: string, className: string) {
  return el('a', { href, textContent: label, className, target: '_blank' });
}

function sourceLink(doc: PageDocument, index: number) {
  if (doc.links?.source) return fileLink(doc.links.source, 'source', 'source-link');
  // The original of a PDF or Word file is not in the page, and its kept text is not the source.
  if (doc.source === null || doc.digest?.source.textKey) return null;
  return blobLink(doc.source, 'source', 'source-link', `source:${index}`);
}

/** The text kept of a PDF or Word file, which its evidence offsets index. */
function keptTextLink(doc: PageDocument, index: number) {
  if (doc.links?.text) return fileLink(doc.links.text, 'text', 'text-link');
  if (doc.source === null || !doc.digest?.source.textKey) return null;
  return blobLink(doc.source, 'text', 'text-link', `text:${index}`);
}

function showSource(doc: PageDocument, evidence: Evidence | null) {
  const pre = byId('source');
  pre.replaceChildren();
  if (doc.source === null) {
    pre.append(
      el('span', { className: 'empty', textContent: 'The source text is not available.' }),
    );
    return;
  }
  if (!evidence) {
    pre.textContent = doc.source;
    return;
  }
  // Evidence offsets count Unicode code points, not UTF-16 units.
  const chars = Array.from(doc.source);
  const mark = el('mark', {
    id: 'highlight',
    textContent: chars.slice(evidence.start, evidence.end).join(''),
  });
  mark.dataset.start = String(evidence.start);
  mark.dataset.end = String(evidence.end);
  pre.append(chars.slice(0, evidence.start).join(''), mark, chars.slice(evidence.end).join(''));
  mark.scrollIntoView({ block: 'center' });
}

function item(text: string, evidence: Evidence, tags: string[], doc: PageDocument) {
  const li = el('li', { textContent: text, title: evidence.quote, tabIndex: -1 });
  li.dataset.start = String(evidence.start);
  li.dataset.end = String(evidence.end);
  for (const tag of tags) li.append(el('span', { className: 'tag', textContent: tag }));
  li.addEventListener('click', () => {
    for (const other of document.querySelectorAll('ol.items li.active')) {
      other.classList.remove('active');
    }
    li.classList.add('active');
    showSource(doc, evidence);
  });
  return li;
}

function showDocument(index: number) {
  const doc = docs[index];
  if (!doc) return;
  current = index;
  for (const li of byId('docs').children) {
    const selected = Number((li as HTMLElement).dataset.index) === index;
    li.classList.toggle('selected', selected);
    li.setAttribute('aria-selected', String(selected));
    if (selected) li.scrollIntoView({ block: 'nearest' });
  }
  const main = byId('document');
  const links = el('p', { className: 'links' });
  for (const a of [recordLink(doc, index), sourceLink(doc, index), keptTextLink(doc, index)]) {
    if (a) links.append(a, ' ');
  }
  byId('source-title').textContent = sourceCaption(doc);
  main.replaceChildren(el('h1', { textContent: doc.key }), links);
  showSource(doc, null);
  if (doc.error) {
    main.append(
      el('p', {
        className: 'failed',
        textContent: `${doc.error.error.code}: ${doc.error.error.message}`,
      }),
    );
    return;
  }
  const d = doc.digest;
  if (!d) return;
  main.append(
    el('p', {
      className: 'byline',
      textContent: [
        d.engine.name + (d.engine.model ? ` · ${d.engine.model}` : ''),
        d.source.encoding,
        d.processedAt,
      ].join(' · '),
    }),
    el('p', { className: 'summary document-summary', textContent: d.summary }),
  );
  const once = repeatsDocumentSummary(d);
  const active = filters();
  d.articles.forEach((article, n) => {
    main.append(el('h2', { textContent: article.title ?? `Article ${n + 1}` }));
    if (article.byline) main.append(el('p', { className: 'byline', textContent: article.byline }));
    if (!once) main.append(el('p', { className: 'summary', textContent: article.summary }));
    const visible = (rowsByDoc.get(index) ?? []).filter(
      (row) => row.article === n && matchesTaskFilters(row, active),
    );
    main.append(el('h3', { textContent: `Tasks (${visible.length} of ${article.tasks.length})` }));
    const list = el('ol', { className: 'items tasks' });
    for (const row of visible) {
      const tags = [
        row.owner ? `owner: ${row.owner}` : null,
        row.deadline ? `due: ${row.deadline}` : null,
      ];
      list.append(
        item(
          row.task,
          row.evidence,
          tags.filter((t) => t !== null),
          doc,
        ),
      );
    }
    main.append(list);
    if (article.keyPoints.length > 0) {
      main.append(el('h3', { textContent: 'Key points' }));
      const points = el('ol', { className: 'items points' });
      for (const point of article.keyPoints)
        points.append(item(point.point, point.evidence, [], doc));
      main.append(points);
    }
  });
}

function renderDocumentList() {
  const words = searchWords(search.value);
  listed = [];
  const list = byId('docs');
  const items: HTMLLIElement[] = [];
  docs.forEach((doc, index) => {
    if (!documentMatches(doc, words)) return;
    listed.push(index);
    const tasks = doc.digest?.articles.reduce((n, a) => n + a.tasks.length, 0) ?? 0;
    const meta = doc.error
      ? `error: ${doc.error.error.code}`
      : `${counted(doc.digest?.articles.length ?? 0, 'article')}, ${counted(tasks, 'task')}`;
    const li = el(
      'li',
      { role: 'option' },
      el('div', { textContent: doc.key }),
      el('div', { className: `meta${doc.error ? ' failed' : ''}`, textContent: meta }),
    );
    li.dataset.index = String(index);
    li.classList.toggle('selected', index === current);
    items.push(li);
  });
  list.replaceChildren(...items);
  byId('docs-empty').hidden = listed.length > 0;
}

function renderTable() {
  filtered = filterRows(rows, docs, filters());
  drawn = 0;
  selectedRow = -1;
  byId('task-rows').replaceChildren();
  drawMoreRows();
  byId('task-count').textContent = `${count(filtered.length)} of ${counted(rows.length, 'task')}`;
}

function drawMoreRows() {
  const body = byId('task-rows');
  const next = filtered.slice(drawn, drawn + TABLE_PAGE);
  const fragment = document.createDocumentFragment();
  next.forEach((row, i) => {
    const tr = el(
      'tr',
      {},
      el('td', { className: 'task', textContent: row.task, title: row.evidence.quote }),
      el('td', { className: 'owner', textContent: row.owner ?? '' }),
      el('td', { className: 'deadline', textContent: row.deadline ?? '' }),
      el('td', { className: 'doc', textContent: docs[row.doc]?.key ?? '' }),
    );
    tr.dataset.row = String(drawn + i);
    fragment.append(tr);
  });
  body.append(fragment);
  drawn += next.length;
  const more = byId<HTMLButtonElement>('more');
  more.hidden = drawn >= filtered.length;
  more.textContent = `Show ${Math.min(TABLE_PAGE, filtered.length - drawn)} more`;
}

function selectRow(position: number) {
  if (filtered.length === 0) return;
  const target = Math.max(0, Math.min(filtered.length - 1, position));
  while (target >= drawn) drawMoreRows();
  byId('task-rows').querySelector('tr.current')?.classList.remove('current');
  const tr = byId('task-rows').querySelector<HTMLElement>(`tr[data-row="${target}"]`);
  tr?.classList.add('current');
  tr?.scrollIntoView({ block: 'nearest' });
  selectedRow = target;
}

/** Opens a task in its document, with its evidence highlighted. */
function openRow(row: TaskRow) {
  setView('documents');
  showDocument(row.doc);
  const tasks = [...byId('document').querySelectorAll<HTMLElement>('ol.tasks li')];
  const match = tasks.find(
    (li) =>
      li.dataset.start === String(row.evidence.start) &&
      li.dataset.end === String(row.evidence.end),
  );
  match?.click();
  match?.focus();
}

function setView(next: 'documents' | 'tasks') {
  view = next;
  byId('documents-view').hidden = next !== 'documents';
  byId('tasks-view').hidden = next !== 'tasks';
  byId('view-documents').setAttribute('aria-pressed', String(next === 'documents'));
  byId('view-tasks').setAttribute('aria-pressed', String(next === 'tasks'));
  document.body.dataset.view = next;
}

function stepDocument(step: number) {
  if (listed.length === 0) return;
  const at = listed.indexOf(current);
  const next = at === -1 ? 0 : Math.max(0, Math.min(listed.length - 1, at + step));
  const index = listed[next];
  if (index !== undefined) showDocument(index);
}

function stepTask(step: number) {
  const tasks = [...byId('document').querySelectorAll<HTMLElement>('ol.tasks li')];
  if (tasks.length === 0) return;
  const at = tasks.findIndex((li) => li.classList.contains('active'));
  const next = tasks[at === -1 ? 0 : Math.max(0, Math.min(tasks.length - 1, at + step))];
  next?.click();
  next?.focus();
}

function refresh() {
  renderDocumentList();
  renderTable();
  if (current >= 0) showDocument(current);
}

// Set up: counts, filter choices, lists.
const counts = countsOf(docs);
byId('title').textContent = data.title;
for (const [id, n, singular] of [
  ['documents', counts.documents, 'document'],
  ['errors', counts.errors, 'error'],
  ['tasks', counts.tasks, 'task'],
] as const) {
  byId(`count-${id}`).textContent = count(n);
  byId(`noun-${id}`).textContent = noun(n, singular);
}
for (const owner of ownersOf(rows))
  ownerSelect.append(el('option', { value: owner, textContent: owner }));
for (const doc of docs)
  documentSelect.append(el('option', { value: doc.key, textContent: doc.key }));

byId('docs').addEventListener('click', (event) => {
  const li = (event.target as HTMLElement).closest<HTMLElement>('li[data-index]');
  if (li) showDocument(Number(li.dataset.index));
});
byId('task-rows').addEventListener('click', (event) => {
  const tr = (event.target as HTMLElement).closest<HTMLElement>('tr[data-row]');
  const row = tr ? filtered[Number(tr.dataset.row)] : undefined;
  if (row) openRow(row);
});
byId('more').addEventListener('click', drawMoreRows);
byId('view-documents').addEventListener('click', () => setView('documents'));
byId('view-tasks').addEventListener('click', () => setView('tasks'));
for (const select of [ownerSelect, deadlineSelect, documentSelect]) {
  select.addEventListener('change', () => {
    renderTable();
    if (current >= 0) showDocument(current);
  });
}
search.addEventListener('input', () => {
  renderDocumentList();
  renderTable();
});

document.addEventListener('keydown', (event) => {
  const target = event.target as HTMLElement;
  const typing = target instanceof HTMLInputElement || target instanceof HTMLSelectElement;
  if (event.key === 'Escape' && target === search) {
    search.value = '';
    search.dispatchEvent(new Event('input'));
    search.blur();
    return;
  }
  if (typing || event.altKey || event.ctrlKey || event.metaKey) return;
  const move = { j: 1, ArrowDown: 1, k: -1, ArrowUp: -1 }[event.key];
  if (event.key === '/') {
    event.preventDefault();
    search.focus();
  } else if (move !== undefined) {
    event.preventDefault();
    if (view === 'documents') stepDocument(move);
    else selectRow(selectedRow + move);
  } else if (event.key === 'Enter' && view === 'tasks' && selectedRow >= 0) {
    const row = filtered[selectedRow];
    if (row) openRow(row);
  } else if (event.key === 'n' || event.key === 'p') {
    if (view === 'documents') stepTask(event.key === 'n' ? 1 : -1);
  } else if (event.key === 't') {
    setView('tasks');
  } else if (event.key === 'd') {
    setView('documents');
  }
});

setView('documents');
refresh();
if (docs.length > 0) showDocument(0);
else byId('document').append(el('p', { className: 'empty', textContent: 'No digests.' }));
document.body.dataset.ready = 'true';
