import { S3Client } from '@aws-sdk/client-s3';

export interface S3ClientOptions {
  region: string;
  /** An S3-compatible endpoint (local mode); path-style addressing is used with it. */
  endpoint?: string | undefined;
  credentials?: { accessKeyId: string; secretAccessKey: string };
}

/**
 * An S3 client. Checksums are computed only when an operation requires them: S3-compatible
 * servers such as s3rver store streamed uploads with the SDK's default trailing checksums
 * corrupted, and AWS S3 accepts either.
 */
export function createS3Client(options: S3ClientOptions): S3Client {
  return new S3Client({
    region: options.region,
    ...(options.endpoint ? { endpoint: options.endpoint, forcePathStyle: true } : {}),
    ...(options.credentials ? { credentials: options.credentials } : {}),
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}
