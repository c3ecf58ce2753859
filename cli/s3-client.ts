import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';

export interface S3ClientOptions {
  region: string;
  /** An S3-compatible endpoint (local mode); path-style addressing is used with it. */
  endpoint?: string | undefined;
  credentials?: { accessKeyId: string; secretAccessKey: string };
}

/**
 * Turns off the AWS SDK's notice that its releases from 2027 need Node 22 (nine lines on stderr
 * at the first client, on every run and in every test process): nothing a user of this command
 * line can act on, and Node 20 is supported here. The SDK documents this variable for it; one
 * set to anything else by the user is left alone.
 */
function quietNodeVersionNotice(): void {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
}

/**
 * An S3 client. Checksums are computed only when an operation requires them: some S3-compatible
 * servers (s3rver, for one) store streamed uploads with the SDK's default trailing checksums
 * corrupted, and AWS S3 accepts either.
 */
export function createS3Client(options: S3ClientOptions): S3Client {
  quietNodeVersionNotice();
  return new S3Client({
    region: options.region,
    ...(options.endpoint ? { endpoint: options.endpoint, forcePathStyle: true } : {}),
    ...(options.credentials ? { credentials: options.credentials } : {}),
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}

/** An SQS client; `endpoint` for local mode's queue. */
export function createSqsClient(options: S3ClientOptions): SQSClient {
  quietNodeVersionNotice();
  return new SQSClient({
    region: options.region,
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    ...(options.credentials ? { credentials: options.credentials } : {}),
  });
}
