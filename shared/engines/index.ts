import type { Config } from '../config';
import type { EngineInfo } from '../contract';
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

/**
 * What the configured engine records in a digest (`engine`), without building it: no API key
 * is needed to know which configuration a digest was made with.
 */
export async function engineInfoFor(config: Config): Promise<EngineInfo> {
  if (config.engine === 'openai') {
    const { openAiEngineInfo } = await import('#llm-engine');
    return openAiEngineInfo(config.openai.model, config.llm);
  }
  return createExtractiveEngine().info;
}
