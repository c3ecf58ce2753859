import type { Config } from '../config';
import type { Engine } from './engine';
import { createExtractiveEngine } from './extractive';
import { createOpenAiClient, createOpenAiEngine } from './openai';

/** The engine the configuration selects (`DIGEST_ENGINE`, default by `OPENAI_API_KEY`). */
export function createEngine(config: Config): Engine {
  if (config.engine === 'openai' && config.openai.apiKey) {
    return createOpenAiEngine({
      client: createOpenAiClient({ ...config.openai, apiKey: config.openai.apiKey }),
      model: config.openai.model,
      settings: config.llm,
    });
  }
  return createExtractiveEngine();
}
