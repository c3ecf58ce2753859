import { foldText } from './fold';
import type { Normalized } from './normalize';
import { splitSentences } from './segment';

/*
 * Patterns run on folded text (see foldText: invisible characters removed, NFKC, lower case), so
 * "ＩＧＮＯＲＥ" and "I\u200bgnore" read as "ignore". Gaps are bounded and never cross a
 * sentence end, which keeps matching linear and keeps two unrelated sentences from combining.
 */
const GAP = (n: number) => `[^.!?。！？\\n]{0,${n}}`;
const VERB =
  "(?:ignore|disregard|forget|override|overrule|bypass|(?:do not|don[’']t|never) (?:follow|obey))";
const RULES =
  '(?:instructions?|prompts?|rules|directions|guidance|guidelines|directives|commands|orders)';
const WHICH =
  '(?:previous|prior|above|earlier|preceding|foregoing|all|any|system|original|your|these|those|given)';
const WHERE =
  "(?:above|before|earlier|previously|so far|(?:that )?you(?:[’']ve| have| were| have been) (?:been )?given|provided|given to you)";
/** Where a sentence or a line opens, optionally behind quotes, brackets or markdown marks. */
const OPENS = `(?:^|[.!?。！？\\n]\\s*)[\\s"'“”‘’「『【(\\[*#>-]*`;
/** Nouns that name the model; "assistant coach" and the like are left alone. */
const MODEL =
  '(?:ai|ai assistant|assistant|language model|large language model|llm|chatbot|chatgpt|gpt|summari[sz]er)(?! (?:coach|manager|director|editor|secretary|principal|professor|referee))';
/** A negation right before a Chinese verb ("不得忽略上述要求" tells the reader, not the model). */
const NOT_NEGATED = '(?<![不没别勿莫])(?<!不得|不能|不可|不应|切勿|不要)';
const ZH_ROLE = '(?:助手|ai|人工智能|模型|机器人|gpt|chatgpt|角色|管理员)';

/** Sentences that address the model instead of the reader: prompt-injection attempts. */
const INSTRUCTION_PATTERNS: readonly RegExp[] = [
  // "ignore all previous instructions", "do not follow your rules"
  new RegExp(`\\b${VERB}\\b${GAP(40)}\\b${WHICH}\\b${GAP(20)}\\b${RULES}\\b`, 'u'),
  // "disregard the guidance you were given", "ignore the rules above"
  new RegExp(`\\b${VERB}\\b${GAP(30)}\\b${RULES}\\b${GAP(20)}\\b${WHERE}(?![a-z])`, 'u'),
  // An imperative that opens a sentence: "Disregard the guidance…", "Please ignore the rules"
  new RegExp(`${OPENS}(?:please |now |kindly )?${VERB}\\b${GAP(40)}\\b${RULES}\\b`, 'u'),
  // Role lines of a chat transcript: "Assistant: …", "System: …", "助手：…"
  new RegExp(`${OPENS}(?:assistant|system|developer|助手)\\s*[:：]`, 'u'),
  // Chat-template tokens.
  /<\|(?:im_start|im_end|system|assistant|user|endoftext)\|>|\[\/?inst\]|<<\/?sys>>/u,
  /\bsystem prompt\b/u,
  /\b(?:new|updated|revised) instructions?\s*[:：]/u,
  new RegExp(
    `\\b(?:you are|you[’']re) (?:now (?:an? )?(?:[a-z]+ )?${MODEL}|(?:an? )?${MODEL})\\b`,
    'u',
  ),
  new RegExp(
    `\\b(?:note|message|instructions?|reminder) (?:to|for) (?:the |any |all )?${MODEL}s?\\b`,
    'u',
  ),
  new RegExp(
    `${NOT_NEGATED}(?:忽略|无视|忘记|忘掉|不要理会|不要遵守|不再遵守|跳过)[^。！？\\n]{0,10}(?:以上|上述|上面|之前|此前|前面|先前|所有|全部|原有|原来|原先|你的|系统)[^。！？\\n]{0,10}(?:指令|指示|提示词?|要求|规则|设定|命令|约束)`,
    'u',
  ),
  new RegExp(`你现在(?:是|扮演|充当|作为)[^。！？，,\\n]{0,12}?${ZH_ROLE}`, 'u'),
  new RegExp(`从现在(?:起|开始)[，,]?你(?:是|将|要|必须|就是)[^。！？\\n]{0,12}?${ZH_ROLE}`, 'u'),
  /(?:系统提示词?|新的指令|新指令)[:：]/u,
];

/**
 * A range of the normalized text as the source shows it, folded for matching. Normalization
 * turns the zero-width space and the byte-order mark into a space like any other white space;
 * here a space that stands only for such characters is removed, so "I\u200bgnore" is one word.
 */
function readAsShown(source: string, normalized: Normalized, start: number, end: number): string {
  const { text, toSource } = normalized;
  const parts: string[] = [];
  let from = start;
  for (let n = start; n < end; n++) {
    if (text.charCodeAt(n) !== 0x20) continue;
    const a = toSource[n] ?? 0;
    const b = toSource[n + 1] ?? a;
    let invisible = b > a;
    for (let i = a; i < b && invisible; i++) {
      const c = source.charCodeAt(i);
      invisible = c === 0x200b || c === 0xfeff;
    }
    if (invisible) {
      parts.push(text.slice(from, n));
      from = n + 1;
    }
  }
  parts.push(text.slice(from, end));
  return foldText(parts.join(''));
}

const addressesModel = (text: string) => INSTRUCTION_PATTERNS.some((re) => re.test(text));

/**
 * UTF-16 ranges of the source covered by sentences that try to instruct the model. Items whose
 * evidence falls in one are dropped: such text is data, and nothing it asks for is a task.
 *
 * Matching sees text as a reader does: invisible characters (zero-width, soft hyphen, bidi
 * controls) removed and NFKC applied, so full-width or zero-width-split words are caught; ranges
 * still index the source. Linear in the text's length: only paragraphs with a match are split
 * into sentences. Not caught: look-alike letters from other scripts, words spelt out with spaces,
 * and instructions phrased as ordinary requests ("the reader should wire…"), which is why tasks
 * stay untrusted data downstream.
 */
export function instructionSpans(
  source: string,
  normalized: Normalized,
  language: string,
): Array<{ from: number; to: number }> {
  const spans: Array<{ from: number; to: number }> = [];
  for (const paragraph of normalized.paragraphs) {
    if (!addressesModel(readAsShown(source, normalized, paragraph.start, paragraph.end))) continue;
    for (const s of splitSentences(normalized.text, [paragraph], language)) {
      if (!addressesModel(readAsShown(source, normalized, s.start, s.end))) continue;
      spans.push({
        from: normalized.toSource[s.start] ?? 0,
        to: (normalized.toSource[s.end - 1] ?? source.length - 1) + 1,
      });
    }
  }
  return spans;
}
