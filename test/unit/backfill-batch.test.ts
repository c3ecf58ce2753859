import type OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { batchDiscountFrom, DEFAULT_BATCH_DISCOUNT } from '../../cli/backfill/batch';
import { UsageError } from '../../cli/usage';
import { batchCheckpoint } from '../../shared/engines/openai';

const ANSWER = {
  summary: '会议部署春耕。',
  articles: [
    {
      title: null,
      byline: null,
      summary: '会议部署春耕。',
      keyPoints: [],
      tasks: [
        { sentence: 2, anchor: '一是抓好', task: '抓好春耕生产', owner: null, deadline: null },
      ],
    },
  ],
};
const BILLED = { inputTokens: 600, outputTokens: 100, costUsd: 0.001 };

/** A chat completion as a batch's output line carries it. */
function completion(
  message: Partial<OpenAI.Chat.Completions.ChatCompletionMessage>,
  finish: OpenAI.Chat.Completions.ChatCompletion.Choice['finish_reason'] = 'stop',
): OpenAI.Chat.Completions.ChatCompletion {
  return {
    id: 'chatcmpl-1',
    object: 'chat.completion',
    created: 0,
    model: 'gpt-4.1',
    choices: [
      {
        index: 0,
        logprobs: null,
        finish_reason: finish,
        message: { role: 'assistant', content: null, refusal: null, ...message },
      },
    ],
  };
}

describe('batchCheckpoint', () => {
  it('keeps the answer with what it was billed when it is of the requested shape', () => {
    const kept = batchCheckpoint(completion({ content: JSON.stringify(ANSWER) }), BILLED);
    expect(kept?.billed).toEqual(BILLED);
    expect(kept?.articles[0]?.tasks[0]?.task).toBe('抓好春耕生产');
  });

  it('keeps nothing when the answer is a refusal, cut off, or not of the requested shape', () => {
    expect(batchCheckpoint(completion({ refusal: 'no' }), BILLED)).toBeNull();
    expect(
      batchCheckpoint(
        completion({ content: JSON.stringify(ANSWER).slice(0, 40) }, 'length'),
        BILLED,
      ),
    ).toBeNull();
    expect(batchCheckpoint(completion({ content: '{"summary": 1}' }), BILLED)).toBeNull();
  });
});

describe('batchDiscountFrom', () => {
  it('takes OpenAI batch price when LLM_BATCH_DISCOUNT is unset', () => {
    expect(batchDiscountFrom({})).toBe(DEFAULT_BATCH_DISCOUNT);
    expect(DEFAULT_BATCH_DISCOUNT).toBe(0.5);
  });

  it('reads LLM_BATCH_DISCOUNT and refuses values outside (0, 1]', () => {
    expect(batchDiscountFrom({ LLM_BATCH_DISCOUNT: '0.6' })).toBe(0.6);
    for (const bad of ['0', '1.5', 'half', '-0.5']) {
      expect(() => batchDiscountFrom({ LLM_BATCH_DISCOUNT: bad })).toThrow(UsageError);
    }
  });
});
