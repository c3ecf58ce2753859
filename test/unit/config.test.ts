import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../shared/config';

describe('parseConfig', () => {
  it('applies defaults and picks the offline engine without an API key', () => {
    const config = parseConfig({});
    expect(config.pipeline).toEqual({
      inputPrefix: 'incoming/',
      outputPrefix: 'digests/',
      errorPrefix: 'errors/',
      cachePrefix: 'cache/',
      textPrefix: 'texts/',
      maxObjectBytes: 10 * 1024 * 1024,
    });
    expect(config.engine).toBe('extractive');
  });

  it('picks the openai engine when a key is set, and treats empty variables as unset', () => {
    expect(parseConfig({ OPENAI_API_KEY: 'sk-test' }).engine).toBe('openai');
    expect(parseConfig({ OPENAI_API_KEY: '' }).engine).toBe('extractive');
  });

  it('names every bad variable in one error', () => {
    const bad = () =>
      parseConfig({ INPUT_PREFIX: 'incoming', MAX_OBJECT_BYTES: '-1', DIGEST_ENGINE: 'gpt' });
    expect(bad).toThrow(ConfigError);
    expect(bad).toThrow(/INPUT_PREFIX[\s\S]*MAX_OBJECT_BYTES[\s\S]*DIGEST_ENGINE/);
  });

  it('names a URL that is none, or not http(s), instead of failing on it', () => {
    const bad = () =>
      parseConfig({
        OPENAI_BASE_URL: 'notaurl',
        S3_ENDPOINT: 'localhost:9000',
        DEAD_LETTER_QUEUE_URL: 'sqs.us-east-1.amazonaws.com/1/q',
      });
    expect(bad).toThrow(ConfigError);
    expect(bad).toThrow(
      /OPENAI_BASE_URL[\s\S]*S3_ENDPOINT: must be an http:\/\/ or https:\/\/ URL/,
    );
  });

  it('rejects nested prefixes, so outputs can never be taken for inputs', () => {
    expect(() => parseConfig({ OUTPUT_PREFIX: 'incoming/digests/' })).toThrow(/must not nest/);
  });

  it('derives the LLM request timeout from the output limit, so a full answer fits', () => {
    // 4,096 tokens at 40 a second take 102 s: more than the old fixed 60 s.
    expect(parseConfig({}).openai.timeoutMs).toBe(15_000 + 102_400);
    expect(parseConfig({ LLM_MAX_OUTPUT_TOKENS: '1000' }).openai.timeoutMs).toBe(40_000);
    expect(parseConfig({ OPENAI_TIMEOUT_MS: '30000' }).openai.timeoutMs).toBe(30_000);
    // A reasoning model's limit includes its reasoning, and so does its timeout.
    const reasoning = parseConfig({ OPENAI_MODEL: 'gpt-5-mini' }).openai.timeoutMs;
    expect(reasoning).toBeGreaterThan(parseConfig({}).openai.timeoutMs);
  });
});
