import { describe, expect, it } from 'vitest';
import { normalize } from '../../shared/text/normalize';
import { SAMPLE_000, SAMPLE_004, sampleText } from '../support/fixtures';

describe('normalize', () => {
  it('joins hard line breaks inside sentences of a scanned CJK page without inserting spaces', () => {
    const { text } = normalize(sampleText(SAMPLE_000));
    expect(text).toContain('一届七次全体会议，是在全面建成小康社会和“十三五”规划的收官之年');
    // A blank line in the middle of a sentence is a scanning artefact, not a paragraph break.
    expect(text).toContain('将始终站在工委（区委）中心工作第一线');
  });

  it('keeps real paragraph breaks: titles, indented paragraphs', () => {
    const { text } = normalize(sampleText(SAMPLE_000));
    const paragraphs = text.split('\n');
    expect(paragraphs[0]).toBe('以绝对忠诚服务大局');
    expect(paragraphs[1]).toBe('以决战姿态推动落实');
    expect(paragraphs[2]?.startsWith('日前召开的')).toBe(true);
    expect(paragraphs.some((p) => p.startsWith('一是当好服务决策的“参谋部”。'))).toBe(true);
  });

  it('maps every normalized character back to the same character in the source', () => {
    for (const name of [SAMPLE_000, SAMPLE_004]) {
      const source = sampleText(name);
      const { text, toSource } = normalize(source);
      for (let i = 0; i < text.length; i++) {
        const ch = text[i];
        if (ch === ' ' || ch === '\n') continue;
        expect(source[toSource[i] ?? -1]).toBe(ch);
      }
    }
  });

  it('joins wrapped Latin lines with a space and rejoins hyphenated words', () => {
    const prose =
      'The committee met on Tuesday to discuss the new budget and agreed that the information office will publish the figures by March. Members also asked the staff to prepare a report on the transport programme before the next session ends.';
    // Greedy wrap at 40 columns, as an editor would, hyphenating "information" where it breaks.
    const lines: string[] = [''];
    for (const word of prose.split(' ')) {
      const line = lines[lines.length - 1] ?? '';
      const room = 40 - line.length - 1;
      if (line === '' || word.length <= room)
        lines[lines.length - 1] = line ? `${line} ${word}` : word;
      else if (word === 'information') lines.splice(-1, 1, `${line} infor-`, 'mation');
      else lines.push(word);
    }
    expect(lines.some((l) => l.endsWith('infor-'))).toBe(true);
    const wrapped = lines.join('\n');
    const { text, paragraphs } = normalize(wrapped);
    expect(paragraphs).toHaveLength(1);
    expect(text).toContain('discuss the new budget');
    expect(text).toContain('the information office');
  });

  it('treats each line as a paragraph when the text is not hard-wrapped', () => {
    const { text, paragraphs } = normalize(
      'First paragraph here.\r\nSecond one, CRLF ended.\rThird.',
    );
    expect(paragraphs).toHaveLength(3);
    expect(text).toBe('First paragraph here.\nSecond one, CRLF ended.\nThird.');
  });

  it('folds full-width and repeated spaces into one space', () => {
    expect(normalize('甲\u3000\u3000乙  丙').text).toBe('甲 乙 丙');
  });
});
