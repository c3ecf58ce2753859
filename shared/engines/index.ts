import { type Config, ConfigError, type LlmSettings } from '../config';
import type { EngineInfo } from '../contract';
import type { Engine } from './engine';
import { createExtractiveEngine } from './extractive';

/**
 * The engine the configuration selects (`DIGEST_ENGINE`, default by `OPENAI_API_KEY`). The LLM
 * engine and the `openai` SDK are imported only when selected, so offline deployments and local
 * runs do not load them.
 * @throws {ConfigError} when the server's context (`LLM_CONTEXT_TOKENS`) cannot hold a call.
 */
export async function createEngine(config: Config): Promise<Engine> {
  if (config.engine === 'openai' && config.openai.apiKey) {
    const settings = await llmSettings(config);
    const { createOpenAiClient, createOpenAiEngine } = await import('#llm-engine');
    return createOpenAiEngine({
      client: createOpenAiClient({ ...config.openai, apiKey: config.openai.apiKey }),
      model: config.openai.model,
      settings,
    });
  }
  return createExtractiveEngine();
}

/**
 * What the configured engine records in a digest (`engine`), without building it: no API key
 * is needed to know which configuration a digest was made with.
 * @throws {ConfigError} as {@link createEngine}.
 */
export async function engineInfoFor(config: Config): Promise<EngineInfo> {
  if (config.engine === 'openai') {
    const settings = await llmSettings(config);
    const { openAiEngineInfo } = await import('#llm-engine');
    return openAiEngineInfo(config.openai.model, settings);
  }
  return createExtractiveEngine().info;
}

/**
 * The LLM settings with parts sized to the server's context: a part budget too large for
 * `LLM_CONTEXT_TOKENS` shrinks to what fits, and start-up fails when too little would.
 */
async function llmSettings(config: Config): Promise<LlmSettings> {
  // From the LLM engine's own bundle: the offline engine's cold start never loads it.
  const { partTokens } = await import('#llm-engine');
  const parts = await partTokens({ provider: 'openai', ...config.llm });
  if (!parts.ok)
    throw new ConfigError(`Invalid configuration:\n  LLM_CONTEXT_TOKENS: ${parts.problem}`);
  return { ...config.llm, chunkTokens: parts.tokens };
}
