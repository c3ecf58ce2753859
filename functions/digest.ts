/**
 * Lambda entry point: SQS messages carrying S3 ObjectCreated notifications (or direct S3 events).
 * Configuration, the API key and the clients are set up once per container (top-level await)
 * and reused while it is warm.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { ConfigError, parseConfig } from '../shared/config';
import { createEngine } from '../shared/engines';
import { createDigestHandler, type InvocationContext } from '../shared/handler';
import { outcomeMetrics } from '../shared/metrics';
import { withApiKeyFromSecret } from '../shared/secrets';
import { createS3Store, readSecretString } from '../shared/store';

const logger = new Logger({ serviceName: 'article-digest' });
const metrics = new Metrics({ namespace: 'ArticleDigest', serviceName: 'article-digest' });

const baseConfig = parseConfig(process.env);
const credentials = baseConfig.credentials;
if (!credentials)
  throw new ConfigError('No AWS credentials in the environment (AWS_ACCESS_KEY_ID).');
const env = await withApiKeyFromSecret(process.env, (secretId) =>
  readSecretString(secretId, { region: baseConfig.s3.region, credentials }),
);
const config = parseConfig(env);
const engine = await createEngine(config);
logger.info('cold start', { engine: engine.info, prefixes: config.pipeline });

const handle = createDigestHandler({
  store: createS3Store({ ...config.s3, credentials }),
  engine,
  settings: config.pipeline,
  handler: config.handler,
  log: logger,
  onOutcome: (_ref, outcome, elapsedMs) => {
    for (const point of outcomeMetrics(outcome, elapsedMs)) {
      if (point.dimensions) {
        const single = metrics.singleMetric();
        for (const [name, value] of Object.entries(point.dimensions))
          single.addDimension(name, value);
        single.addMetric(point.name, point.unit, point.value);
      } else {
        metrics.addMetric(point.name, point.unit, point.value);
      }
    }
  },
});

export const handler = async (event: unknown, context?: InvocationContext) => {
  try {
    return await handle(event, context);
  } finally {
    metrics.publishStoredMetrics();
  }
};
