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
    (tokenizer) => (text: string) => countInPieces(tokenizer.countTokens, text),
  );
  return loading;
}

/**
 * Longest piece handed to the tokenizer, in UTF-16 units. Byte-pair merging takes time quadratic
 * in the length of a run without spaces (100 KB of unpunctuated Chinese took 6 s, 400 KB 115 s).
 */
export const TOKENIZER_PIECE = 1000;

/**
 * Counts `text` piece by piece, each at most {@link TOKENIZER_PIECE} units, cut before white
 * space or after CJK punctuation where the piece has some in its second half: linear in the
 * text's length. A cut inside a word may count a token more than the whole text would.
 */
export function countInPieces(count: TokenCounter, text: string): number {
  if (text.length <= TOKENIZER_PIECE) return count(text);
  let total = 0;
  for (let from = 0; from < text.length; ) {
    let to = Math.min(text.length, from + TOKENIZER_PIECE);
    if (to < text.length) {
      let cut = to;
      for (let i = to - 1; i > from + TOKENIZER_PIECE / 2; i--) {
        if (/\s/.test(text[i] ?? '')) {
          cut = i;
          break;
        }
        if (/[。，；！？、]/.test(text[i] ?? '')) {
          cut = i + 1;
          break;
        }
      }
      const c = text.charCodeAt(cut);
      // Not between the halves of a surrogate pair.
      to = c >= 0xdc00 && c <= 0xdfff ? cut - 1 : cut;
    }
    total += count(text.slice(from, to));
    from = to;
  }
  return total;
}
