import type { Config } from '../config';
import type { Engine } from './engine';
import { createExtractiveEngine } from './extractive';

/**
 * The engine the configuration selects (`DIGEST_ENGINE`, default by `OPENAI_API_KEY`). The LLM
 * engine and the `openai` SDK are imported only when selected, so offline deployments and local
 * runs do not load them.
 */
export async function createEngine(config: Config): Promise<Engine> {
  if (config.engine === 'openai' && config.openai.apiKey) {
    const { createOpenAiClient, createOpenAiEngine } = await import('#llm-engine');
    return createOpenAiEngine({
      client: createOpenAiClient({ ...config.openai, apiKey: config.openai.apiKey }),
      model: config.openai.model,
      settings: config.llm,
    });
  }
  return createExtractiveEngine();
}
