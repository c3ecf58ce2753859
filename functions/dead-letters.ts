/**
 * Lambda entry point of the dead-letter recorder: SQS messages that failed on every receive of
 * the digest queue. Configuration and clients are set up once per container.
 */
import { ConfigError, parseConfig } from '../shared/config';
import { createDeadLetterRecorder, recorderMetrics } from '../shared/dead-letters';
import { createEmfMetrics } from '../shared/emf';
import { createJsonLog } from '../shared/log';
import { createSqsDeadLetterQueue } from '../shared/queue';
import { createS3Store } from '../shared/store';

const logger = createJsonLog('article-digest-dead-letters', (line) =>
  process.stdout.write(`${line}\n`),
);
// The digest function's namespace and service: alarms and dashboard count both functions' records.
const metrics = createEmfMetrics({
  namespace: 'ArticleDigest',
  service: 'article-digest',
  write: (line) => process.stdout.write(`${line}\n`),
});

const config = parseConfig(process.env);
const credentials = config.credentials;
if (!credentials)
  throw new ConfigError('No AWS credentials in the environment (AWS_ACCESS_KEY_ID).');
if (!config.deadLetterQueueUrl)
  throw new ConfigError('DEAD_LETTER_QUEUE_URL is required: dead letters are passed on there.');

const handle = createDeadLetterRecorder({
  store: createS3Store({ ...config.s3, credentials }),
  settings: config.pipeline,
  deadLetters: createSqsDeadLetterQueue({
    queueUrl: config.deadLetterQueueUrl,
    region: config.s3.region,
    credentials,
  }),
  log: logger,
  onOutcome: (_ref, outcome) => metrics.add(recorderMetrics(outcome)),
});

export const handler = async (event: unknown) => {
  try {
    return await handle(event);
  } finally {
    metrics.flush();
  }
};
