/** Writes the review page of a folder mirroring the bucket (local mode's `out/`). */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import type { PipelineSettings } from '../../shared/config';
import { type ReviewDocument, renderReview } from './render';
import { reviewFromFolder } from './sources';

/** A relative URL from the page's folder to a file, each path segment percent-encoded. */
function href(fromDir: string, file: string): string {
  return relative(fromDir, file).split(sep).map(encodeURIComponent).join('/');
}

/**
 * Writes the review page of `dir` (default file: `dir/review.html`) and returns its path. With
 * `keys`, only those documents are listed (a run's own, when the folder holds others).
 * @throws {UsageError} when `dir` is not a folder.
 */
export async function writeFolderReview(
  dir: string,
  settings: PipelineSettings,
  options: { file?: string; keys?: ReadonlySet<string>; title?: string } = {},
): Promise<string> {
  const file = resolve(options.file ?? join(dir, 'review.html'));
  const pageDir = dirname(file);
  const documents: ReviewDocument[] = (await reviewFromFolder(dir, settings, options.keys)).map(
    // The stored digest is the file the record link opens: no copy of it in the page.
    ({ files, stored: _stored, ...doc }) => ({
      ...doc,
      links: {
        record: href(pageDir, files.record),
        ...(files.source ? { source: href(pageDir, files.source) } : {}),
        ...(files.text ? { text: href(pageDir, files.text) } : {}),
      },
    }),
  );
  await mkdir(pageDir, { recursive: true });
  await writeFile(file, await renderReview(documents, options.title));
  return file;
}
