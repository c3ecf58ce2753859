/**
 * Lambda entry point: SQS messages carrying S3 ObjectCreated notifications (or direct S3 events).
 * Configuration and clients are built once per container and reused while it is warm.
 */
import { parseConfig } from '../shared/config';
import { createEngine } from '../shared/engines';
import { createDigestHandler } from '../shared/handler';
import { createJsonLog } from '../shared/log';
import { createS3Client } from '../shared/s3-client';
import { createS3Store } from '../shared/store';

const config = parseConfig(process.env);
const s3 = createS3Client(config.s3);

export const handler = createDigestHandler({
  store: createS3Store(s3),
  engine: createEngine(config),
  settings: config.pipeline,
  log: createJsonLog('article-digest'),
});
