/** Writes the review page of a folder mirroring the bucket (local mode's `out/`). */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import type { PipelineSettings } from '../../shared/config';
import { shownPath, UsageError } from '../usage';
import { type ReviewDocument, renderReview } from './render';
import { reviewFromFolder } from './sources';

/** A relative URL from the page's folder to a file, each path segment percent-encoded. */
function href(fromDir: string, file: string): string {
  return relative(fromDir, file).split(sep).map(encodeURIComponent).join('/');
}

/**
 * Writes the review page of `dir` (default file: `dir/review.html`) and returns its path. With
 * `keys`, only those documents are listed (a run's own, when the folder holds others). With
 * `requireDocuments`, a folder without any digest or error record is refused rather than given
 * an empty page.
 * @throws {UsageError} when `dir` is not a folder, or (with `requireDocuments`) holds no record.
 */
export async function writeFolderReview(
  dir: string,
  settings: PipelineSettings,
  options: {
    file?: string;
    keys?: ReadonlySet<string>;
    title?: string;
    requireDocuments?: boolean;
  } = {},
): Promise<string> {
  const file = resolve(options.file ?? join(dir, 'review.html'));
  const pageDir = dirname(file);
  const found = await reviewFromFolder(dir, settings, options.keys);
  if (options.requireDocuments && found.length === 0) {
    // Most often a folder of inputs: the page of it would be empty, which looks like a bug.
    throw new UsageError(
      `no digests or error records in ${shownPath(dir)}: --from expects a folder "article-digest run" wrote (records under ${settings.outputPrefix} and ${settings.errorPrefix}), such as out`,
    );
  }
  const documents: ReviewDocument[] = found.map(
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
