/**
 * Lambda entry point: SQS messages carrying S3 ObjectCreated notifications (or direct S3 events).
 * Configuration, the API key and the clients are set up once per container (top-level await)
 * and reused while it is warm.
 */
import { ConfigError, parseConfig } from '../shared/config';
import { createEmfMetrics } from '../shared/emf';
import { createEngine } from '../shared/engines';
import { createDigestHandler, type InvocationContext } from '../shared/handler';
import { createJsonLog } from '../shared/log';
import { outcomeMetrics, tryFailedMetrics } from '../shared/metrics';
import { createSqsDeadLetterQueue } from '../shared/queue';
import { withApiKeyFromSecret } from '../shared/secrets';
import { createS3Store, readSecretString } from '../shared/store';

// One JSON line per entry, written straight to stdout: structured logs at no import cost.
const logger = createJsonLog('article-digest', (line) => process.stdout.write(`${line}\n`));
const metrics = createEmfMetrics({
  namespace: 'ArticleDigest',
  service: 'article-digest',
  write: (line) => process.stdout.write(`${line}\n`),
});

let config = parseConfig(process.env);
const credentials = config.credentials;
if (!credentials)
  throw new ConfigError('No AWS credentials in the environment (AWS_ACCESS_KEY_ID).');
if (process.env.OPENAI_API_KEY_SECRET_ID) {
  const env = await withApiKeyFromSecret(process.env, (secretId) =>
    readSecretString(secretId, { region: config.s3.region, credentials }),
  );
  config = parseConfig(env);
}
const engine = await createEngine(config);
logger.info('cold start', { engine: engine.info, prefixes: config.pipeline });

const handle = createDigestHandler({
  store: createS3Store({ ...config.s3, credentials }),
  engine,
  settings: config.pipeline,
  handler: config.handler,
  ...(config.deadLetterQueueUrl
    ? {
        deadLetters: createSqsDeadLetterQueue({
          queueUrl: config.deadLetterQueueUrl,
          region: config.s3.region,
          credentials,
        }),
      }
    : {}),
  log: logger,
  onOutcome: (_ref, outcome, elapsedMs) => metrics.add(outcomeMetrics(outcome, elapsedMs)),
  onTryFailed: (_ref, code, spent) => metrics.add(tryFailedMetrics(code, spent)),
});

export const handler = async (event: unknown, context?: InvocationContext) => {
  try {
    return await handle(event, context);
  } finally {
    metrics.flush();
  }
};
