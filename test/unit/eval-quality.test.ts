import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { taskScores } from '../../scripts/eval-metrics';
import { createExtractiveEngine } from '../../shared/engines/extractive';
import { digestContent } from '../../shared/pipeline';
import { ROOT } from '../support/fixtures';

describe('offline engine quality on the shipped evaluation set', () => {
  it('finds the task headings of the policy documents with recall >= 95% and precision >= 80%', async () => {
    const docs = readFileSync(resolve(ROOT, 'test', 'fixtures', 'eval', 'policy_zh.jsonl'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as { text: string; reference_tasks: string[] });
    let found = 0;
    let correct = 0;
    let predicted = 0;
    let reference = 0;
    for (const doc of docs) {
      const body = await digestContent({ engine: createExtractiveEngine() }, doc.text, 'text');
      const s = taskScores(
        body.articles.flatMap((a) =>
          a.tasks.map((t) => ({ task: t.task, quote: t.evidence.quote })),
        ),
        doc.reference_tasks,
      );
      found += s.found;
      correct += s.correct;
      predicted += s.predicted;
      reference += s.reference;
    }
    expect(found / reference).toBeGreaterThanOrEqual(0.95);
    expect(correct / predicted).toBeGreaterThanOrEqual(0.8);
  });
});
