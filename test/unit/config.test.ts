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

  it('rejects nested prefixes, so outputs can never be taken for inputs', () => {
    expect(() => parseConfig({ OUTPUT_PREFIX: 'incoming/digests/' })).toThrow(/must not nest/);
  });
});
