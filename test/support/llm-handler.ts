import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../../cli/local/s3';
import { type Config, parseConfig } from '../../shared/config';
import { createEngine } from '../../shared/engines';
import { createDigestHandler, type Log } from '../../shared/handler';
import { silentLog } from '../../shared/log';
import type { Outcome } from '../../shared/pipeline';
import { createS3Store } from '../../shared/store';

/** A short Chinese meeting note with three enumerated tasks, one with an owner and a deadline. */
export const SHORT_ARTICLE =
  '会议强调，一是加强组织领导，明确责任分工。二是由市财政局负责，年底前落实配套资金。三是做好宣传引导。';

/**
 * A digest handler with the LLM engine, as a warm function has it, over the local S3 stand-in
 * and an OpenAI-compatible test server; `env` goes on top of the test defaults (a key, two SDK
 * retries, 5 s a request). Outcomes are pushed to `outcomes`.
 */
export async function llmHandler(options: {
  s3Endpoint: string;
  env: Record<string, string>;
  log?: Log;
  outcomes?: Outcome[];
}): Promise<{ handler: ReturnType<typeof createDigestHandler>; config: Config }> {
  const config = parseConfig({
    OPENAI_API_KEY: 'sk-test',
    OPENAI_MAX_RETRIES: '2',
    OPENAI_TIMEOUT_MS: '5000',
    ...options.env,
  });
  const outcomes = options.outcomes ?? [];
  const handler = createDigestHandler({
    store: createS3Store({
      region: LOCAL_REGION,
      endpoint: options.s3Endpoint,
      credentials: LOCAL_CREDENTIALS,
    }),
    engine: await createEngine(config),
    settings: config.pipeline,
    handler: config.handler,
    log: options.log ?? silentLog,
    onOutcome: (_ref, outcome) => outcomes.push(outcome),
  });
  return { handler, config };
}
