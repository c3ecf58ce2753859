import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Digest, jsonSchemas } from '../../shared/contract';
import { ROOT } from '../support/fixtures';

describe('contract', () => {
  it('has committed JSON Schema files that match the zod schemas (run `npm run schema`)', () => {
    for (const [name, schema] of Object.entries(jsonSchemas())) {
      const committed = JSON.parse(readFileSync(resolve(ROOT, 'schema', name), 'utf8'));
      expect(committed, `schema/${name} is stale: run npm run schema`).toEqual(schema);
    }
  });

  it('rejects evidence whose span is empty or reversed', () => {
    const evidence = { quote: '抓落实', start: 5, end: 5 };
    const result =
      Digest.shape.articles.def.element.shape.tasks.def.element.shape.evidence.safeParse(evidence);
    expect(result.success).toBe(false);
  });
});
