/**
 * The review page: one static HTML file, no server and no external assets. Its script and style
 * are the browser TypeScript and CSS under ./page, bundled into the file with esbuild when the
 * page is written.
 */
import { join } from 'node:path';
import { build } from 'esbuild';
import { type PageData, type PageDocument, scriptJson } from './page/model';

export type ReviewDocument = PageDocument;

const PAGE_ENTRY = join(import.meta.dirname, 'page', 'main.ts');

let bundled: Promise<{ script: string; style: string }> | undefined;

/** The page's script and style, bundled once per process (some 30 ms). */
function pageAssets(): Promise<{ script: string; style: string }> {
  bundled ??= build({
    entryPoints: [PAGE_ENTRY],
    bundle: true,
    write: false,
    minify: true,
    format: 'iife',
    target: 'es2022',
    outdir: 'page',
    charset: 'utf8',
    logLevel: 'silent',
  }).then((result) => {
    const text = (ext: string) =>
      result.outputFiles.find((file) => file.path.endsWith(ext))?.text ?? '';
    return {
      // Inside a <script> element, "</script" would end it early.
      script: text('.js').replace(/<\/(script)/gi, '<\\/$1'),
      style: text('.css').replace(/<\/(style)/gi, '<\\/$1'),
    };
  });
  return bundled;
}

const escapeHtml = (text: string) => text.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);

/** The review page for these documents, as one self-contained HTML file. */
export async function renderReview(
  documents: ReviewDocument[],
  title = 'Article digests',
): Promise<string> {
  const { script, style } = await pageAssets();
  const data: PageData = { title, documents };
  return `<!doctype html>
<html lang="zh">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${style}</style>
</head>
<body>
<header>
  <h1 id="title">${escapeHtml(title)}</h1>
  <p class="counts"><strong id="count-documents">0</strong> <span id="noun-documents">documents</span> · <strong id="count-errors">0</strong> <span id="noun-errors">errors</span> · <strong id="count-tasks">0</strong> <span id="noun-tasks">tasks</span></p>
  <div class="views" role="group" aria-label="View">
    <button type="button" id="view-documents" aria-pressed="true">Documents</button><button type="button" id="view-tasks" aria-pressed="false">Tasks</button>
  </div>
  <input id="search" type="search" placeholder="Search (/)" aria-label="Search documents and tasks">
  <label>Owner <select id="owner"><option value="">any</option><option value="(none)">not stated</option></select></label>
  <label>Deadline <select id="deadline"><option value="">any</option><option value="with">stated</option><option value="without">not stated</option></select></label>
  <label>Document <select id="doc-filter"><option value="">all</option></select></label>
  <p class="keys">/ search · j k move · Enter open · n p next task · t tasks · d documents</p>
</header>
<div id="documents-view">
  <nav><ul class="docs" id="docs" role="listbox" aria-label="Documents"></ul><p class="empty" id="docs-empty" hidden>No document matches the search.</p></nav>
  <main id="document"></main>
  <aside><h3 id="source-title">Source</h3><pre id="source"></pre></aside>
</div>
<div id="tasks-view" hidden>
  <p id="task-count"></p>
  <table id="tasks"><thead><tr><th>Task</th><th>Owner</th><th>Deadline</th><th>Document</th></tr></thead><tbody id="task-rows"></tbody></table>
  <button type="button" id="more" hidden>Show more</button>
</div>
<script type="application/json" id="data">${scriptJson(data)}</script>
<script>${script}</script>
</body>
</html>
`;
}
