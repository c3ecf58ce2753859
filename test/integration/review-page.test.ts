/// <reference lib="dom" />
// Code passed to page.evaluate runs in the browser, where the DOM is.
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Digest } from '../../shared/contract';
import { htmlToText } from '../../shared/text/html';
import { codePointSlice, ROOT, SAMPLE_000, squash } from '../support/fixtures';

const CHROMIUM = '/usr/bin/chromium';
const BIN = resolve(ROOT, 'bin', 'article-digest.mjs');
const run = promisify(execFile);
const env = { ...process.env, OPENAI_API_KEY: '', DIGEST_ENGINE: '' };
const VIEWPORT = { width: 1400, height: 900 };

const READ_FIXTURES = resolve(ROOT, 'test', 'fixtures', 'read');
/** Files whose evidence offsets index the text read out of them, kept under `texts/`. */
const KEPT = ['report-en.pdf', 'memo.docx'] as const;
/** A news page with navigation around its article. */
const NEWS_PAGE = 'news-page.html';
const PLAN = '会议要求：一是由市交通局牵头，年底前完成道路改造。二是完善考核办法。';
const NOTICE_HTML =
  '<!doctype html><html><head><title>通知</title></head><body><h1>关于道路改造的通知</h1><p>一是由<b>市交通局</b>牵头，年底前完成道路改造。</p><p>二是完善考核办法。</p></body></html>';

/** The CLI to its end; a run with an error record exits 1, which is expected here. */
async function cli(args: string[], cwd: string): Promise<string> {
  try {
    return (await run(process.execPath, [BIN, ...args], { env, cwd })).stdout;
  } catch (error) {
    const failed = error as { code?: unknown; stdout?: string };
    if (failed.code === 1 && failed.stdout) return failed.stdout;
    throw error;
  }
}

/** Share of a screenshot's pixels within `tolerance` of a colour. */
async function shareOfColour(
  page: Page,
  png: Buffer,
  rgb: [number, number, number],
  tolerance = 12,
) {
  return page.evaluate(
    async ({ data, rgb, tolerance }) => {
      const image = new Image();
      image.src = `data:image/png;base64,${data}`;
      await image.decode();
      const canvas = document.createElement('canvas');
      canvas.width = image.width;
      canvas.height = image.height;
      const context = canvas.getContext('2d');
      context?.drawImage(image, 0, 0);
      const pixels =
        context?.getImageData(0, 0, image.width, image.height).data ?? new Uint8ClampedArray();
      let near = 0;
      for (let i = 0; i < pixels.length; i += 4) {
        const close = [0, 1, 2].every(
          (c) => Math.abs((pixels[i + c] ?? 0) - (rgb[c] ?? 0)) <= tolerance,
        );
        if (close) near++;
      }
      return near / (pixels.length / 4);
    },
    { data: png.toString('base64'), rgb, tolerance },
  );
}

async function openPage(browser: Browser, file: string): Promise<Page> {
  const page = await browser.newPage({ viewport: VIEWPORT });
  // Offline from the file: any request beyond it fails the test.
  const outside: string[] = [];
  page.on('request', (request) => {
    const url = request.url();
    if (!url.startsWith('file://') && !url.startsWith('data:') && !url.startsWith('blob:'))
      outside.push(url);
  });
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  await page.goto(`file://${file}`);
  await page.waitForSelector('body[data-ready="true"]');
  expect(outside).toEqual([]);
  expect(errors).toEqual([]);
  return page;
}

/**
 * The review page as a person uses it, in a real headless Chromium (Debian's, installed by
 * .ci/run): documents, a task table across them, filters, search, links, keys.
 */
describe.skipIf(!existsSync(CHROMIUM))('review page in headless Chromium', () => {
  let dir: string;
  let out: string;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'article-digest-review-'));
    out = join(dir, 'out');
    const input = join(dir, 'in');
    await mkdir(input);
    await copyFile(resolve(ROOT, 'samples', SAMPLE_000), join(input, SAMPLE_000));
    await writeFile(join(input, 'plan.txt'), PLAN);
    await writeFile(join(input, 'notice.html'), NOTICE_HTML);
    await writeFile(join(input, 'blob.bin'), Buffer.from([0, 1, 2, 3, 0, 255, 254, 0, 7]));
    for (const name of [...KEPT, NEWS_PAGE]) {
      await copyFile(resolve(READ_FIXTURES, name), join(input, name));
    }
    const stdout = await cli(['run', input, '--out', out], dir);
    expect(stdout).toContain(`Review page: ${join(out, 'review.html')}`);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    page = await openPage(browser, join(out, 'review.html'));
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await rm(dir, { recursive: true, force: true });
  });

  const digestOf = (name: string) =>
    JSON.parse(readFileSync(join(out, 'digests', `${name}.json`), 'utf8')) as Digest;

  it('lists the documents with their articles and tasks, and counts them', async () => {
    expect(await page.locator('#docs li').count()).toBe(7);
    await page.locator('#docs li', { hasText: SAMPLE_000 }).click();
    expect(await page.locator('#document h2').count()).toBe(2);
    expect(await page.locator('ol.tasks li').count()).toBe(8);
    const tasks = [SAMPLE_000, 'plan.txt', 'notice.html', ...KEPT, NEWS_PAGE]
      .map((name) => digestOf(name).articles.reduce((n, a) => n + a.tasks.length, 0))
      .reduce((a, b) => a + b, 0);
    expect(await page.locator('#count-documents').textContent()).toBe('7');
    expect(await page.locator('#count-errors').textContent()).toBe('1');
    expect(await page.locator('#count-tasks').textContent()).toBe(String(tasks));
    // One error, in the singular: the header said "1 errors".
    expect(await page.locator('header .counts').textContent()).toBe(
      `7 documents · 1 error · ${tasks} tasks`,
    );
    expect(await page.locator('#docs li', { hasText: 'plan.txt' }).textContent()).toContain(
      '1 article, 2 tasks',
    );
  });

  it('highlights a clicked task at the offsets of its evidence, in the DOM and on screen', async () => {
    await page.locator('#docs li', { hasText: SAMPLE_000 }).click();
    const task = digestOf(SAMPLE_000).articles[1]?.tasks[1];
    if (!task) throw new Error('sample 000 has no second task in its second article');
    await page.locator('ol.tasks li', { hasText: task.task }).click();

    const mark = page.locator('#highlight');
    const source = readFileSync(resolve(ROOT, 'samples', SAMPLE_000), 'utf8');
    expect(await mark.getAttribute('data-start')).toBe(String(task.evidence.start));
    expect(await mark.getAttribute('data-end')).toBe(String(task.evidence.end));
    expect(await mark.textContent()).toBe(
      codePointSlice(source, task.evidence.start, task.evidence.end),
    );
    expect(squash((await mark.textContent()) ?? '')).toBe(squash(task.evidence.quote));
    // The text before the highlight is exactly the source's first `start` code points.
    const before = await page.evaluate(() => {
      const pre = document.getElementById('source');
      const first = pre?.firstChild;
      return first?.nodeType === Node.TEXT_NODE ? Array.from(first.textContent ?? '').length : -1;
    });
    expect(before).toBe(task.evidence.start);

    // On screen: the highlight is in view and painted in the highlight colour (#ffd54a).
    const box = await mark.boundingBox();
    if (!box) throw new Error('the highlight is not rendered');
    expect(box.y).toBeGreaterThanOrEqual(0);
    expect(box.y + box.height).toBeLessThanOrEqual(VIEWPORT.height);
    const shot = await page.screenshot({
      clip: { x: box.x, y: box.y, width: box.width, height: box.height },
    });
    // Most of the highlight's box is the highlight colour; the rest is glyphs.
    expect(await shareOfColour(page, shot, [0xff, 0xd5, 0x4a], 40)).toBeGreaterThan(0.3);
  });

  it('filters a document’s tasks by owner and by deadline', async () => {
    await page.locator('#docs li', { hasText: 'plan.txt' }).click();
    expect(await page.locator('ol.tasks li').count()).toBe(2);
    await page.selectOption('#owner', '市交通局');
    expect(await page.locator('ol.tasks li').count()).toBe(1);
    expect(await page.locator('ol.tasks li').textContent()).toContain('due: 年底前');
    await page.selectOption('#owner', '');
    await page.selectOption('#deadline', 'without');
    expect(await page.locator('ol.tasks li').count()).toBe(1);
    expect(await page.locator('ol.tasks li').textContent()).toContain('完善考核办法');
    await page.selectOption('#deadline', '');
  });

  it('shows a one-article document’s summary once', async () => {
    await page.locator('#docs li', { hasText: 'plan.txt' }).click();
    expect(digestOf('plan.txt').articles).toHaveLength(1);
    expect(await page.locator('#document .summary').count()).toBe(1);
  });

  it('shows an HTML source as its text, with the evidence highlighted in it', async () => {
    await page.locator('#docs li', { hasText: 'notice.html' }).click();
    const text = htmlToText(NOTICE_HTML).text;
    expect(await page.locator('#source').textContent()).toBe(text);
    expect(await page.locator('#source').textContent()).not.toContain('<p>');
    const task = digestOf('notice.html').articles[0]?.tasks[0];
    if (!task) throw new Error('the notice has no task');
    await page.locator('ol.tasks li', { hasText: task.task }).click();
    expect(squash((await page.locator('#highlight').textContent()) ?? '')).toBe(
      squash(task.evidence.quote),
    );
  });

  it('shows a PDF’s and a Word file’s kept text, with the evidence highlighted at its offsets', async () => {
    for (const name of KEPT) {
      const digest = digestOf(name);
      expect(digest.source.textKey).toBe(`texts/${name}.txt`);
      // Local mode mirrors the kept text next to the digest.
      const kept = readFileSync(join(out, 'texts', `${name}.txt`), 'utf8');
      await page.locator('#docs li', { hasText: name }).click();
      expect(await page.locator('#source').textContent()).toBe(kept);
      expect(await page.locator('#source-title').textContent()).toMatch(/^Text read out of the /);
      const items = digest.articles.flatMap((a) => [
        ...a.tasks.map((t) => ({ text: t.task, evidence: t.evidence, list: 'ol.tasks' })),
        ...a.keyPoints.map((p) => ({ text: p.point, evidence: p.evidence, list: 'ol.points' })),
      ]);
      expect(items.length).toBeGreaterThan(1);
      for (const { text, evidence, list } of items) {
        await page.locator(`${list} li`, { hasText: text }).first().click();
        const mark = page.locator('#highlight');
        expect(await mark.getAttribute('data-start')).toBe(String(evidence.start));
        expect(await mark.getAttribute('data-end')).toBe(String(evidence.end));
        const shown = (await mark.textContent()) ?? '';
        expect(shown).toBe(codePointSlice(kept, evidence.start, evidence.end));
        expect(squash(shown)).toBe(squash(evidence.quote));
      }
    }
  });

  it('shows a news page as its text, each evidence highlighted where its quote stands', async () => {
    const html = readFileSync(resolve(READ_FIXTURES, NEWS_PAGE), 'utf8');
    await page.locator('#docs li', { hasText: NEWS_PAGE }).click();
    expect(await page.locator('#source-title').textContent()).toBe('The page as text');
    const shownSource = (await page.locator('#source').textContent()) ?? '';
    expect(shownSource).toBe(htmlToText(html).text);
    expect(shownSource).not.toMatch(/<\/?(?:p|div|nav|a)\b/);
    const digest = digestOf(NEWS_PAGE);
    const items = digest.articles.flatMap((a) => [
      ...a.tasks.map((t) => ({ text: t.task, quote: t.evidence.quote, list: 'ol.tasks' })),
      ...a.keyPoints.map((p) => ({ text: p.point, quote: p.evidence.quote, list: 'ol.points' })),
    ]);
    expect(items.length).toBeGreaterThan(1);
    for (const { text, quote, list } of items) {
      await page.locator(`${list} li`, { hasText: text }).first().click();
      const mark = page.locator('#highlight');
      const start = Number(await mark.getAttribute('data-start'));
      const end = Number(await mark.getAttribute('data-end'));
      const shown = (await mark.textContent()) ?? '';
      // The re-counted offsets index the text shown, and their span is the quote.
      expect(shown).toBe(codePointSlice(shownSource, start, end));
      expect(squash(shown)).toBe(squash(quote));
    }
  });

  it('links each document to its digest or error record and to its source', async () => {
    for (const [name, record] of [
      ['plan.txt', 'digests/plan.txt.json'],
      ['blob.bin', 'errors/blob.bin.json'],
    ] as const) {
      await page.locator('#docs li', { hasText: name }).click();
      const recordHref = await page.locator('#document a.record-link').getAttribute('href');
      const sourceHref = await page.locator('#document a.source-link').getAttribute('href');
      expect(recordHref).toBe(record);
      expect(sourceHref).toBe(`incoming/${name}`);
      expect(existsSync(join(out, record))).toBe(true);
      expect(existsSync(join(out, 'incoming', name))).toBe(true);
    }
  });

  it('links a PDF or Word file to its original and to the text kept of it', async () => {
    for (const name of KEPT) {
      await page.locator('#docs li', { hasText: name }).click();
      const sourceHref = await page.locator('#document a.source-link').getAttribute('href');
      const textHref = await page.locator('#document a.text-link').getAttribute('href');
      expect(sourceHref).toBe(`incoming/${name}`);
      expect(textHref).toBe(`texts/${name}.txt`);
      expect(existsSync(join(out, 'incoming', name))).toBe(true);
      expect(existsSync(join(out, 'texts', `${name}.txt`))).toBe(true);
    }
    // A text file's offsets index the file itself: no kept text to link.
    await page.locator('#docs li', { hasText: 'plan.txt' }).click();
    expect(await page.locator('#document a.text-link').count()).toBe(0);
  });

  it('lists every task of every document in one table, filtered by owner, document and text', async () => {
    await page.click('#view-tasks');
    expect(await page.locator('#documents-view').isHidden()).toBe(true);
    const total = Number(await page.locator('#count-tasks').textContent());
    expect(await page.locator('#task-rows tr').count()).toBe(total);

    // Everything 市交通局 must do, across documents.
    await page.selectOption('#owner', '市交通局');
    const owned = await page.locator('#task-rows tr td.doc').allTextContents();
    expect(new Set(owned)).toEqual(new Set(['incoming/plan.txt', 'incoming/notice.html']));
    expect(await page.locator('#task-count').textContent()).toBe(`2 of ${total} tasks`);
    await page.selectOption('#doc-filter', 'incoming/notice.html');
    expect(await page.locator('#task-rows tr').count()).toBe(1);
    await page.selectOption('#doc-filter', '');
    await page.selectOption('#owner', '');

    await page.fill('#search', '考核 plan');
    expect(await page.locator('#task-rows td.task').allTextContents()).toEqual(['完善考核办法']);
    // The search narrows the document list too.
    expect(await page.locator('#docs li').count()).toBe(1);
    await page.fill('#search', '');

    // A row opens its task in its document, highlighted.
    await page.locator('#task-rows tr', { hasText: '完善考核办法' }).first().click();
    expect(await page.locator('#tasks-view').isHidden()).toBe(true);
    expect(await page.locator('#document h1').textContent()).toMatch(
      /incoming\/(plan\.txt|notice\.html)/,
    );
    expect(squash((await page.locator('#highlight').textContent()) ?? '')).toContain(
      '完善考核办法',
    );
  });

  it('is driven from the keyboard: / searches, j and k move, t and Enter open a task', async () => {
    await page.click('#view-documents');
    await page.locator('#docs li').first().click();
    const first = await page.locator('#document h1').textContent();
    await page.locator('body').press('j');
    const second = await page.locator('#document h1').textContent();
    expect(second).not.toBe(first);
    await page.keyboard.press('k');
    expect(await page.locator('#document h1').textContent()).toBe(first);

    await page.keyboard.press('n');
    expect(await page.locator('ol.tasks li.active').count()).toBe(1);
    expect(await page.locator('#highlight').count()).toBe(1);

    await page.keyboard.press('/');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('search');
    await page.keyboard.type('防汛');
    await page.keyboard.press('Escape');
    expect(await page.inputValue('#search')).toBe('');

    await page.keyboard.press('t');
    expect(await page.locator('#tasks-view').isVisible()).toBe(true);
    await page.keyboard.press('j');
    await page.keyboard.press('j');
    const current = page.locator('#task-rows tr.current');
    expect(await current.count()).toBe(1);
    // On screen: the selected row is painted in the selection colour (#d9e7f7).
    const box = await current.boundingBox();
    if (!box) throw new Error('the selected row is not rendered');
    const shot = await page.screenshot({ clip: box });
    expect(await shareOfColour(page, shot, [0xd9, 0xe7, 0xf7])).toBeGreaterThan(0.5);
    const task = await current.locator('td.task').textContent();
    await page.keyboard.press('Enter');
    expect(await page.locator('#documents-view').isVisible()).toBe(true);
    expect(await page.locator('ol.tasks li.active').textContent()).toContain(task ?? '');
  });

  it('stays quick with 1,000 documents, and shows owners without list numbers', async () => {
    // 1,000 documents made from plan.txt's digest, owners numbered as an extractor may leave them.
    const bulk = join(dir, 'bulk');
    const template = digestOf('plan.txt');
    for (let i = 0; i < 1000; i++) {
      const key = `incoming/bulk/${String(i).padStart(4, '0')}.txt`;
      const digest = structuredClone(template);
      digest.source.key = key;
      for (const article of digest.articles) {
        for (const task of article.tasks) {
          if (task.owner) task.owner = `${(i % 9) + 1}. ${task.owner}`;
        }
      }
      const file = join(bulk, 'digests', 'bulk', `${String(i).padStart(4, '0')}.txt.json`);
      await mkdir(dirname(file), { recursive: true });
      await writeFile(file, JSON.stringify(digest));
      await mkdir(join(bulk, 'incoming', 'bulk'), { recursive: true });
      await writeFile(join(bulk, ...key.split('/')), PLAN);
    }
    await cli(['review', '--from', bulk], dir);
    const started = performance.now();
    const big = await openPage(browser, join(bulk, 'review.html'));
    const loadMs = performance.now() - started;
    try {
      expect(await big.locator('#count-documents').textContent()).toBe('1,000');
      expect(await big.locator('#docs li').count()).toBe(1000);
      const owners = await big.locator('#owner option').allTextContents();
      expect(owners).toEqual(['any', 'not stated', '市交通局']);

      // Time in the page from a change to its table and list redrawn.
      const timed = (action: string) =>
        big.evaluate((what) => {
          const begin = performance.now();
          if (what === 'tasks') document.getElementById('view-tasks')?.click();
          if (what === 'owner') {
            const select = document.getElementById('owner') as HTMLSelectElement;
            select.value = '市交通局';
            select.dispatchEvent(new Event('change'));
          }
          if (what === 'search') {
            const input = document.getElementById('search') as HTMLInputElement;
            input.value = '0999 考核';
            input.dispatchEvent(new Event('input'));
          }
          if (what === 'document') document.querySelector<HTMLElement>('#docs li')?.click();
          return performance.now() - begin;
        }, action);
      const ms = {
        tasks: await timed('tasks'),
        owner: await timed('owner'),
        search: await timed('search'),
      };
      expect(await big.locator('#task-rows tr').count()).toBe(0);
      await big.fill('#search', '0999');
      await big.selectOption('#owner', '');
      expect(await big.locator('#task-rows tr').count()).toBe(2);
      await big.fill('#search', '');
      // The table draws its first 300 rows; the rest on request.
      expect(await big.locator('#task-rows tr').count()).toBe(300);
      await big.click('#more');
      expect(await big.locator('#task-rows tr').count()).toBe(600);
      await big.click('#view-documents');
      const open = await timed('document');
      console.info(
        `review page, 1,000 documents: opened in ${Math.round(loadMs)} ms; tasks view ${ms.tasks.toFixed(1)} ms, owner filter ${ms.owner.toFixed(1)} ms, search ${ms.search.toFixed(1)} ms, a document ${open.toFixed(1)} ms`,
      );
      expect(loadMs).toBeLessThan(5000);
      for (const value of [ms.tasks, ms.owner, ms.search, open]) expect(value).toBeLessThan(250);
      const size = (await readFile(join(bulk, 'review.html'))).length;
      expect(size).toBeLessThan(8 * 1024 * 1024);
    } finally {
      await big.close();
    }
  }, 60_000);
});
