import type { Normalized } from './normalize';
import { splitSentences } from './segment';

/** Sentences that address the model instead of the reader: prompt-injection attempts. */
const INSTRUCTION_PATTERNS = [
  /\b(?:ignore|disregard|forget|override)\b[^.!?。]{0,40}\b(?:previous|prior|above|earlier|preceding|all|system)\b[^.!?。]{0,20}\b(?:instructions?|prompts?|rules|directions)\b/i,
  /\bsystem prompt\b/i,
  /\b(?:new|updated) instructions?\s*:/i,
  /\b(?:you are|you're) (?:now )?(?:an? )?(?:AI|assistant|language model|ChatGPT)\b/i,
  /(?:忽略|无视|忘记|忘掉|不要理会)[^。！？]{0,10}(?:以上|上述|之前|此前|前面|先前|所有|全部)[^。！？]{0,10}(?:指令|指示|提示词?|要求|规则|设定)/u,
  /(?:系统提示词?|新的指令|新指令)[:：]/u,
];

/**
 * UTF-16 ranges of the source covered by sentences that try to instruct the model. Items whose
 * evidence falls in one are dropped: such text is data, and nothing it asks for is a task.
 */
export function instructionSpans(
  source: string,
  normalized: Normalized,
  language: string,
): Array<{ from: number; to: number }> {
  if (!INSTRUCTION_PATTERNS.some((re) => re.test(normalized.text))) return [];
  return splitSentences(normalized.text, normalized.paragraphs, language)
    .filter((s) => INSTRUCTION_PATTERNS.some((re) => re.test(s.text)))
    .map((s) => ({
      from: normalized.toSource[s.start] ?? 0,
      to: (normalized.toSource[s.end - 1] ?? source.length - 1) + 1,
    }));
}
