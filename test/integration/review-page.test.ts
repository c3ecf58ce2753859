/// <reference lib="dom" />
// Code passed to page.evaluate runs in the browser, where the DOM is.
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Digest } from '../../shared/contract';
import { codePointSlice, ROOT, SAMPLE_000, squash } from '../support/fixtures';

const CHROMIUM = '/usr/bin/chromium';
const BIN = resolve(ROOT, 'bin', 'article-digest.mjs');
const run = promisify(execFile);

/**
 * The review page as a person uses it, in a real headless Chromium (Debian's, installed by
 * .ci/run): a task clicked, its evidence highlighted where the digest's offsets say.
 */
describe.skipIf(!existsSync(CHROMIUM))('review page in headless Chromium', () => {
  let dir: string;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'article-digest-review-'));
    const input = join(dir, 'in');
    await mkdir(input);
    await copyFile(resolve(ROOT, 'samples', SAMPLE_000), join(input, SAMPLE_000));
    await writeFile(
      join(input, 'plan.txt'),
      '会议要求：一是由市交通局牵头，年底前完成道路改造。二是完善考核办法。',
    );
    const { stdout } = await run(process.execPath, [BIN, 'run', input, '--out', join(dir, 'out')], {
      env: { ...process.env, OPENAI_API_KEY: '', DIGEST_ENGINE: '' },
      cwd: dir,
    });
    expect(stdout).toContain(`Review page: ${join(dir, 'out', 'review.html')}`);
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
    page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    // Offline from the file: any request beyond it fails the test.
    const outside: string[] = [];
    page.on('request', (request) => {
      if (!request.url().startsWith('file://') && !request.url().startsWith('data:'))
        outside.push(request.url());
    });
    await page.goto(`file://${join(dir, 'out', 'review.html')}`);
    expect(outside).toEqual([]);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('lists the documents with their articles and tasks', async () => {
    expect(await page.locator('#docs li').count()).toBe(2);
    await page.locator('#docs li', { hasText: SAMPLE_000 }).click();
    expect(await page.locator('#document h2').count()).toBe(2);
    expect(await page.locator('ol.tasks li').count()).toBe(8);
  });

  it('highlights a clicked task at the offsets of its evidence, in the DOM and on screen', async () => {
    await page.locator('#docs li', { hasText: SAMPLE_000 }).click();
    const digest = JSON.parse(
      readFileSync(join(dir, 'out', 'digests', `${SAMPLE_000}.json`), 'utf8'),
    ) as Digest;
    const task = digest.articles[1]?.tasks[1];
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

    // On screen: the highlight is in view and painted in the highlight colour.
    const box = await mark.boundingBox();
    if (!box) throw new Error('the highlight is not rendered');
    expect(box.y).toBeGreaterThanOrEqual(0);
    expect(box.y + box.height).toBeLessThanOrEqual(900);
    const shot = await page.screenshot({
      clip: { x: box.x, y: box.y, width: box.width, height: box.height },
    });
    const highlighted = await page.evaluate(async (png) => {
      const image = new Image();
      image.src = `data:image/png;base64,${png}`;
      await image.decode();
      const canvas = document.createElement('canvas');
      canvas.width = image.width;
      canvas.height = image.height;
      const context = canvas.getContext('2d');
      context?.drawImage(image, 0, 0);
      const pixels =
        context?.getImageData(0, 0, image.width, image.height).data ?? new Uint8ClampedArray();
      let yellow = 0;
      for (let i = 0; i < pixels.length; i += 4) {
        if ((pixels[i] ?? 0) > 200 && (pixels[i + 1] ?? 0) > 150 && (pixels[i + 2] ?? 255) < 150)
          yellow++;
      }
      return yellow / (pixels.length / 4);
    }, shot.toString('base64'));
    // Most of the highlight's box is the highlight colour (#ffd54a); the rest is glyphs.
    expect(highlighted).toBeGreaterThan(0.3);
  });

  it('filters tasks by owner and by deadline', async () => {
    await page.locator('#docs li', { hasText: 'plan.txt' }).click();
    expect(await page.locator('ol.tasks li').count()).toBe(2);
    await page.selectOption('#owner', '市交通局');
    expect(await page.locator('ol.tasks li').count()).toBe(1);
    expect(await page.locator('ol.tasks li').textContent()).toContain('due: 年底前');
    await page.selectOption('#owner', '');
    await page.selectOption('#deadline', 'without');
    expect(await page.locator('ol.tasks li').count()).toBe(1);
    expect(await page.locator('ol.tasks li').textContent()).toContain('完善考核办法');
  });
});
