/**
 * The review page: one static HTML file, no server and no external assets, listing documents
 * with their articles, summaries and tasks next to the source text. Selecting a task or key point
 * highlights its evidence in the source; tasks can be filtered by owner and deadline.
 */
import type { Digest, ErrorRecord } from '../../shared/contract';

export interface ReviewDocument {
  key: string;
  digest?: Digest;
  error?: ErrorRecord;
  /** The decoded source text evidence offsets refer to; null when it could not be read. */
  source: string | null;
}

/** JSON safe to place inside a <script> element. */
function scriptJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

const STYLE = `
:root { font-family: system-ui, "Noto Sans CJK SC", "PingFang SC", "Microsoft YaHei", sans-serif; color: #1d232a; }
body { margin: 0; display: grid; grid-template-columns: 18rem 1fr 1fr; height: 100vh; }
nav, main, aside { overflow: auto; padding: 0.75rem 1rem; }
nav { background: #f3f5f7; border-right: 1px solid #d8dde2; }
aside { border-left: 1px solid #d8dde2; background: #fcfcfd; }
h1 { font-size: 1.1rem; margin: 0 0 0.5rem; }
h2 { font-size: 1.05rem; margin: 1rem 0 0.25rem; }
h3 { font-size: 0.95rem; margin: 0.75rem 0 0.25rem; color: #46525e; }
label { display: block; font-size: 0.8rem; margin-top: 0.5rem; color: #46525e; }
select { width: 100%; }
ul.docs { list-style: none; padding: 0; margin: 0.75rem 0 0; }
ul.docs li { padding: 0.35rem 0.4rem; border-radius: 4px; cursor: pointer; font-size: 0.85rem; word-break: break-all; }
ul.docs li.selected { background: #d9e7f7; }
ul.docs li .meta { color: #67727e; font-size: 0.75rem; }
.failed { color: #a4262c; }
.byline { color: #67727e; font-size: 0.85rem; }
.summary { line-height: 1.5; }
ol.items { padding-left: 1.25rem; }
ol.items li { margin: 0.2rem 0; padding: 0.15rem 0.3rem; border-radius: 4px; cursor: pointer; line-height: 1.4; }
ol.items li:hover { background: #eef2f6; }
ol.items li.active { background: #ffe9a8; }
.tag { display: inline-block; font-size: 0.72rem; background: #e6ebf0; border-radius: 3px; padding: 0 0.3rem; margin-left: 0.3rem; }
pre#source { white-space: pre-wrap; word-break: break-word; font: 0.9rem/1.6 inherit; font-family: inherit; margin: 0; }
mark#highlight { background: #ffd54a; padding: 0.05rem 0; }
.empty { color: #67727e; font-style: italic; }
`;

const SCRIPT = `
const data = JSON.parse(document.getElementById('data').textContent);
const $ = (id) => document.getElementById(id);
const el = (tag, props = {}, ...children) => {
  const node = Object.assign(document.createElement(tag), props);
  for (const child of children) node.append(child);
  return node;
};
let current = 0;
const tasksOf = (doc) => (doc.digest ? doc.digest.articles.flatMap((a) => a.tasks) : []);
const owners = [...new Set(data.flatMap((d) => tasksOf(d).map((t) => t.owner).filter(Boolean)))].sort();
for (const owner of owners) $('owner').append(el('option', { value: owner, textContent: owner }));

function taskVisible(task) {
  const owner = $('owner').value;
  const deadline = $('deadline').value;
  if (owner === '(none)' && task.owner) return false;
  if (owner !== '' && owner !== '(none)' && task.owner !== owner) return false;
  if (deadline === 'with' && !task.deadline) return false;
  if (deadline === 'without' && task.deadline) return false;
  return true;
}

function showSource(doc, evidence) {
  const pre = $('source');
  pre.replaceChildren();
  if (doc.source === null) { pre.append(el('span', { className: 'empty', textContent: 'The source text is not available.' })); return; }
  if (!evidence) { pre.textContent = doc.source; return; }
  // Evidence offsets count Unicode code points, not UTF-16 units.
  const chars = Array.from(doc.source);
  const mark = el('mark', { id: 'highlight', textContent: chars.slice(evidence.start, evidence.end).join('') });
  mark.dataset.start = evidence.start;
  mark.dataset.end = evidence.end;
  pre.append(chars.slice(0, evidence.start).join(''), mark, chars.slice(evidence.end).join(''));
  mark.scrollIntoView({ block: 'center' });
}

function item(text, evidence, tags, doc) {
  const li = el('li', { textContent: text });
  li.dataset.start = evidence.start;
  li.dataset.end = evidence.end;
  li.title = evidence.quote;
  for (const tag of tags) li.append(el('span', { className: 'tag', textContent: tag }));
  li.addEventListener('click', () => {
    for (const other of document.querySelectorAll('ol.items li.active')) other.classList.remove('active');
    li.classList.add('active');
    showSource(doc, evidence);
  });
  return li;
}

function showDocument(index) {
  current = index;
  for (const [i, li] of [...$('docs').children].entries()) li.classList.toggle('selected', i === index);
  const doc = data[index];
  const main = $('document');
  main.replaceChildren(el('h1', { textContent: doc.key }));
  showSource(doc, null);
  if (doc.error) {
    main.append(el('p', { className: 'failed', textContent: doc.error.error.code + ': ' + doc.error.error.message }));
    return;
  }
  const d = doc.digest;
  main.append(
    el('p', { className: 'byline', textContent: d.engine.name + (d.engine.model ? ' · ' + d.engine.model : '') + ' · ' + d.source.encoding + ' · ' + d.processedAt }),
    el('p', { className: 'summary', textContent: d.summary }),
  );
  d.articles.forEach((article, n) => {
    main.append(el('h2', { textContent: article.title ?? 'Article ' + (n + 1) }));
    if (article.byline) main.append(el('p', { className: 'byline', textContent: article.byline }));
    main.append(el('p', { className: 'summary', textContent: article.summary }));
    const tasks = article.tasks.filter(taskVisible);
    main.append(el('h3', { textContent: 'Tasks (' + tasks.length + ' of ' + article.tasks.length + ')' }));
    const list = el('ol', { className: 'items tasks' });
    for (const task of tasks) {
      const tags = [task.owner ? 'owner: ' + task.owner : null, task.deadline ? 'due: ' + task.deadline : null].filter(Boolean);
      list.append(item(task.task, task.evidence, tags, doc));
    }
    main.append(list);
    if (article.keyPoints.length > 0) {
      main.append(el('h3', { textContent: 'Key points' }));
      const points = el('ol', { className: 'items points' });
      for (const point of article.keyPoints) points.append(item(point.point, point.evidence, [], doc));
      main.append(points);
    }
  });
}

data.forEach((doc, index) => {
  const tasks = tasksOf(doc).length;
  const meta = doc.error ? 'error: ' + doc.error.error.code : doc.digest.articles.length + ' article(s), ' + tasks + ' task(s)';
  const li = el('li', {}, el('div', { textContent: doc.key }), el('div', { className: 'meta' + (doc.error ? ' failed' : ''), textContent: meta }));
  li.addEventListener('click', () => showDocument(index));
  $('docs').append(li);
});
$('owner').addEventListener('change', () => showDocument(current));
$('deadline').addEventListener('change', () => showDocument(current));
if (data.length > 0) showDocument(0);
else $('document').append(el('p', { className: 'empty', textContent: 'No digests.' }));
`;

/** The review page for these documents, as one self-contained HTML file. */
export function renderReview(documents: ReviewDocument[], title = 'Article digests'): string {
  const escapeHtml = (text: string) => text.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
  return `<!doctype html>
<html lang="zh">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<nav>
  <h1>${escapeHtml(title)}</h1>
  <label for="owner">Owner</label>
  <select id="owner"><option value="">any</option><option value="(none)">not stated</option></select>
  <label for="deadline">Deadline</label>
  <select id="deadline"><option value="">any</option><option value="with">stated</option><option value="without">not stated</option></select>
  <ul class="docs" id="docs"></ul>
</nav>
<main id="document"></main>
<aside><h3>Source</h3><pre id="source"></pre></aside>
<script type="application/json" id="data">${scriptJson(documents)}</script>
<script>${SCRIPT}</script>
</body>
</html>
`;
}
