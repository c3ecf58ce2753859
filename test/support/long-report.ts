import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ROOT, SAMPLE_000, SAMPLE_004, sampleText } from './fixtures';

/**
 * A report of about 33,000 characters made of real documents: the six State Council policy
 * documents of the evaluation set followed by the two sample pages. Its last part holds tasks
 * (the 抓… series of sample 004) that a digest must still contain.
 */
export function longReport(): string {
  const policies = readFileSync(
    resolve(ROOT, 'test', 'fixtures', 'eval', 'policy_zh.jsonl'),
    'utf8',
  )
    .split('\n')
    .filter(Boolean)
    .map((line) => (JSON.parse(line) as { text: string }).text);
  return [...policies, sampleText(SAMPLE_000), sampleText(SAMPLE_004)].join('\n\n');
}
