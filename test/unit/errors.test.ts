import { describe, expect, it } from 'vitest';
import { DigestError, DocumentError, TransientError, usageOf } from '../../shared/errors';

describe('error taxonomy', () => {
  it('recognises errors made by another bundle’s copy of the classes', async () => {
    // A second instance of the module, as the LLM engine's own bundle has.
    const copy: typeof import('../../shared/errors') = await import(
      // @ts-expect-error -- the query makes a second module instance; tsc cannot resolve it.
      '../../shared/errors.ts?another-bundle'
    );
    expect(copy.DocumentError).not.toBe(DocumentError);
    const refusal = new copy.DocumentError('llm_refusal', 'The model refused.');
    refusal.usage = { llmCalls: 1, inputTokens: 10, outputTokens: 2, estimatedCostUsd: 0 };
    expect(refusal instanceof DocumentError).toBe(true);
    expect(refusal instanceof DigestError).toBe(true);
    expect(refusal instanceof TransientError).toBe(false);
    expect(new copy.TransientError('down') instanceof TransientError).toBe(true);
    expect(new copy.TransientError('down') instanceof DocumentError).toBe(false);
    expect(usageOf(refusal)?.llmCalls).toBe(1);
  });

  it('keeps plain instanceof for a subclass without a kind of its own', () => {
    class Special extends DocumentError {}
    expect(new Special('internal', 'x') instanceof Special).toBe(true);
    expect(new DocumentError('internal', 'x') instanceof Special).toBe(false);
    expect(new Special('internal', 'x') instanceof DocumentError).toBe(true);
    expect(new Error('x') instanceof DigestError).toBe(false);
  });
});
