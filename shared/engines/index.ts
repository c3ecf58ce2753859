import { type Config, ConfigError } from '../config';
import type { Engine } from './engine';
import { createExtractiveEngine } from './extractive';

/**
 * The engine the configuration selects.
 * @throws {ConfigError} when the selected engine cannot run with this configuration.
 */
export function createEngine(config: Config): Engine {
  if (config.engine === 'openai') {
    throw new ConfigError(
      'The openai engine is not available in this version; set DIGEST_ENGINE=extractive.',
    );
  }
  return createExtractiveEngine();
}
