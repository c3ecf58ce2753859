import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { Digest, type Format, SCHEMA_VERSION } from '../../shared/contract';
import type { Engine } from '../../shared/engines/engine';
import { createExtractiveEngine } from '../../shared/engines/extractive';
import { digestContent } from '../../shared/pipeline';
import { ROOT } from './fixtures';

/** A document to digest into the folder: its input key (below `incoming/`) and its text. */
export interface FolderDocument {
  path: string;
  text: string;
  format?: Format;
}

/**
 * Digests documents with the real pipeline core (`digestContent`: engine, grounding, contract)
 * and writes each digest as the function does (`digests/<path>.json`, pretty-printed) under
 * `dir`, the layout of local mode's `out/`.
 * @param engine default: the offline extractive engine.
 */
export async function writeDigestFolder(
  dir: string,
  documents: FolderDocument[],
  {
    engine = createExtractiveEngine(),
    bucket = 'article-digest-local',
  }: { engine?: Engine; bucket?: string } = {},
): Promise<Digest[]> {
  const digests: Digest[] = [];
  for (const doc of documents) {
    const format = doc.format ?? 'text';
    const body = await digestContent({ engine }, doc.text, format);
    const bytes = Buffer.from(doc.text, 'utf8');
    const digest = Digest.parse({
      kind: 'digest',
      schemaVersion: SCHEMA_VERSION,
      source: {
        bucket,
        key: `incoming/${doc.path}`,
        versionId: null,
        etag: `"${createHash('md5').update(bytes).digest('hex')}"`,
        bytes: bytes.length,
        sha256: createHash('sha256').update(bytes).digest('hex'),
        encoding: 'utf-8',
        format,
        textKey: null,
      },
      ...body,
      processedAt: new Date().toISOString(),
    });
    const file = join(dir, 'digests', `${doc.path}.json`);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, `${JSON.stringify(digest, null, 2)}\n`);
    digests.push(digest);
  }
  return digests;
}

/** The shipped samples and the State Council policy documents of the evaluation fixtures. */
export function shippedDocuments(): FolderDocument[] {
  const samples = ['000_ec775d6fbf83bfac.txt', '004_9c44e55c456fc08c.txt'].map((name) => ({
    path: `samples/${name}`,
    text: readFileSync(resolve(ROOT, 'samples', name), 'utf8'),
  }));
  const policies = readFileSync(
    resolve(ROOT, 'test', 'fixtures', 'eval', 'policy_zh.jsonl'),
    'utf8',
  )
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as { id: string; text: string })
    .map((doc) => ({ path: `policy/${doc.id}.txt`, text: doc.text }));
  return [...samples, ...policies];
}
