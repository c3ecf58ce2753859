import type { EventPattern } from 'aws-cdk-lib/aws-events';

/**
 * The EventBridge pattern that matches S3's "Object Created" events for the records written
 * under `prefix` in `bucketName`: every digest (`digests/`) or every error record (`errors/`),
 * including those under `_long-keys/`. S3 sends these once the bucket's EventBridge delivery is
 * on; the key in the event is not URL-encoded.
 */
export function recordWrittenPattern(bucketName: string, prefix: string): EventPattern {
  return {
    source: ['aws.s3'],
    detailType: ['Object Created'],
    detail: { bucket: { name: [bucketName] }, object: { key: [{ prefix }] } },
  };
}

/** The same pattern as EventBridge reads it (`put-rule --event-pattern`), for the outputs. */
export function eventPatternJson(pattern: EventPattern): Record<string, unknown> {
  return {
    source: pattern.source,
    'detail-type': pattern.detailType,
    detail: pattern.detail,
  };
}
