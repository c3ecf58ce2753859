import type { TokenCounter } from '../engines/tokens';
import { splitSentences } from './segment';

/** A piece of a normalized text: [start, end) UTF-16 range and its text. */
export interface Chunk {
  start: number;
  end: number;
  text: string;
  tokens: number;
}

/**
 * Splits a normalized text into chunks of at most `maxTokens` tokens, cutting only between
 * sentences (。！？ and their Latin forms). A single sentence longer than the budget is cut at
 * clause punctuation (；，), and only failing that at the budget itself.
 */
export function chunkText(
  text: string,
  paragraphs: ReadonlyArray<{ start: number; end: number }>,
  language: string,
  count: TokenCounter,
  maxTokens: number,
): Chunk[] {
  const whole = count(text);
  if (whole <= maxTokens) return [{ start: 0, end: text.length, text, tokens: whole }];

  const pieces: Array<{ start: number; end: number; tokens: number }> = [];
  for (const s of splitSentences(text, paragraphs, language)) {
    const tokens = count(s.text);
    if (tokens <= maxTokens) pieces.push({ start: s.start, end: s.end, tokens });
    else pieces.push(...splitLong(text, s.start, s.end, count, maxTokens));
  }

  const chunks: Chunk[] = [];
  let current: { start: number; end: number; tokens: number } | null = null;
  const close = () => {
    if (current) chunks.push({ ...current, text: text.slice(current.start, current.end) });
    current = null;
  };
  for (const piece of pieces) {
    // Joining two pieces adds at most a separator token or two.
    if (current && current.tokens + piece.tokens + 2 > maxTokens) close();
    if (current) {
      current.end = piece.end;
      current.tokens += piece.tokens + 2;
    } else {
      current = { ...piece };
    }
  }
  close();
  return chunks;
}

function splitLong(
  text: string,
  start: number,
  end: number,
  count: TokenCounter,
  maxTokens: number,
): Array<{ start: number; end: number; tokens: number }> {
  const out: Array<{ start: number; end: number; tokens: number }> = [];
  let from = start;
  while (from < end) {
    let to = end;
    while (count(text.slice(from, to)) > maxTokens) {
      const window = text.slice(from, to - 1);
      const cut = Math.max(
        window.lastIndexOf('；'),
        window.lastIndexOf(';'),
        window.lastIndexOf('，'),
        window.lastIndexOf(','),
      );
      to = cut > 0 ? from + cut + 1 : from + Math.max(1, Math.floor((to - from) / 2));
    }
    out.push({ start: from, end: to, tokens: count(text.slice(from, to)) });
    from = to;
  }
  return out;
}
