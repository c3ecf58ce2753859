/** Counts tokens as the model family counts them. */
export type TokenCounter = (text: string) => number;

let loading: Promise<TokenCounter> | undefined;

/**
 * The o200k_base tokenizer (GPT-4o, GPT-4.1, GPT-5 families). Loaded on first use, so the
 * offline engine and cold starts that never call the LLM do not pay for its 2 MB rank table.
 * Other model families differ by a few percent, which the budgets leave room for.
 */
export function loadTokenCounter(): Promise<TokenCounter> {
  loading ??= import('gpt-tokenizer/encoding/o200k_base').then(
    (tokenizer) => (text: string) => tokenizer.countTokens(text),
  );
  return loading;
}
