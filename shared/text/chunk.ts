import type { TokenCounter } from '../engines/tokens';
import { splitSentences } from './segment';

/** A piece of a normalized text: [start, end) UTF-16 range and its text. */
export interface Chunk {
  start: number;
  end: number;
  text: string;
  tokens: number;
}

/** How far over `maxTokens` a part may run to keep the number of parts at its minimum. */
export const OVERRUN = 0.1;

interface Piece {
  start: number;
  end: number;
  tokens: number;
}

/**
 * Splits a normalized text into `ceil(tokens / maxTokens)` parts of near-equal size, counted
 * with the real tokenizer, cutting only between sentences (。！？ and their Latin forms); a part
 * may run over `maxTokens` by {@link OVERRUN} where sentence ends allow no closer cut. A
 * sentence longer than a fraction of the budget is cut at clause punctuation (；，), and only
 * failing that at a token boundary, so that the parts can be balanced.
 *
 * The parts cover the text without gaps (a part starts where the one before ends, white space
 * included), so their token counts add up to about the whole text's: no allowance per sentence
 * inflates the count and adds a part.
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

  // Pieces small enough that a part can always be closed near its target size.
  const pieceLimit = Math.max(1, Math.floor(maxTokens / 8));
  const pieces: Piece[] = [];
  let from = 0;
  for (const s of splitSentences(text, paragraphs, language)) {
    if (s.end <= from) continue;
    const tokens = count(text.slice(from, s.end));
    if (tokens <= pieceLimit) pieces.push({ start: from, end: s.end, tokens });
    else pieces.push(...splitLong(text, from, s.end, count, pieceLimit, maxTokens));
    from = s.end;
  }
  if (from < text.length) {
    pieces.push(...splitLong(text, from, text.length, count, pieceLimit, maxTokens));
  }

  // Pieces counted one by one add up to more than the whole (a token cannot span two pieces):
  // scale them to the whole's count, so that the parts are sized by what a call really costs.
  const sum = pieces.reduce((n, p) => n + p.tokens, 0);
  for (const piece of pieces) piece.tokens *= whole / sum;
  const total = whole;
  for (let parts = Math.ceil(whole / maxTokens); ; parts++) {
    // Where sentence ends fall badly, a part may run over the budget by a tenth rather than
    // make one call more.
    const cuts =
      balancedCuts(pieces, total, parts, maxTokens) ??
      balancedCuts(pieces, total, parts, Math.floor(maxTokens * (1 + OVERRUN)));
    if (cuts) {
      return cuts.map(([first, last]) => {
        const start = pieces[first]?.start ?? 0;
        const end = pieces[last]?.end ?? text.length;
        const slice = text.slice(start, end);
        return { start, end, text: slice, tokens: count(slice) };
      });
    }
  }
}

/**
 * Groups consecutive pieces into `parts` groups of at most `maxTokens`, each cut at the piece
 * boundary nearest to its share of the total; null when no such grouping is found.
 */
function balancedCuts(
  pieces: Piece[],
  total: number,
  parts: number,
  maxTokens: number,
): Array<[number, number]> | null {
  if (parts >= pieces.length) return pieces.map((_, i) => [i, i]);
  const groups: Array<[number, number]> = [];
  let first = 0;
  let before = 0;
  for (let k = 1; k <= parts; k++) {
    if (k === parts) {
      const rest = total - before;
      if (rest > maxTokens || first >= pieces.length) return null;
      groups.push([first, pieces.length - 1]);
      return groups;
    }
    const target = (total * k) / parts;
    let size = 0;
    let best = -1;
    let bestDistance = Number.POSITIVE_INFINITY;
    // The last piece of this group: as near the target as the budget and the rest allow.
    for (let j = first; j < pieces.length - (parts - k); j++) {
      size += pieces[j]?.tokens ?? 0;
      if (size > maxTokens) break;
      const distance = Math.abs(before + size - target);
      if (total - (before + size) <= (parts - k) * maxTokens && distance < bestDistance) {
        best = j;
        bestDistance = distance;
      }
    }
    if (best < 0) return null;
    for (let j = first; j <= best; j++) before += pieces[j]?.tokens ?? 0;
    groups.push([first, best]);
    first = best + 1;
  }
  return groups;
}

/**
 * Cuts [start, end) into pieces: at clause punctuation (；，) while a piece has more than
 * `softLimit` tokens, and anywhere only while it has more than `hardLimit`.
 */
function splitLong(
  text: string,
  start: number,
  end: number,
  count: TokenCounter,
  softLimit: number,
  hardLimit: number,
): Piece[] {
  const out: Piece[] = [];
  let from = start;
  while (from < end) {
    let to = end;
    let tokens = count(text.slice(from, to));
    while (tokens > softLimit && to - from > 1) {
      const window = text.slice(from, to - 1);
      const cut = Math.max(
        window.lastIndexOf('；'),
        window.lastIndexOf(';'),
        window.lastIndexOf('，'),
        window.lastIndexOf(','),
      );
      if (cut <= 0 && tokens <= hardLimit) break;
      // Halving, not one character at a time, keeps a long run without punctuation linear-ish.
      to = cut > 0 ? from + cut + 1 : from + Math.max(1, Math.floor((to - from) / 2));
      tokens = count(text.slice(from, to));
    }
    out.push({ start: from, end: to, tokens });
    from = to;
  }
  return out;
}
