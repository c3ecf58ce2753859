import { encodeEventKey } from '../../shared/keys';

/** An S3 ObjectCreated notification for one key, encoded as S3 encodes keys. */
export function s3Notification(bucket: string, key: string, object: { size?: number } = {}) {
  return {
    Records: [
      {
        eventSource: 'aws:s3',
        eventName: 'ObjectCreated:Put',
        s3: { bucket: { name: bucket }, object: { key: encodeEventKey(key), ...object } },
      },
    ],
  };
}

/** An SQS message as the Lambda event source delivers it; a non-string body is JSON-encoded. */
export function sqsMessage(messageId: string, body: unknown) {
  return {
    messageId,
    body: typeof body === 'string' ? body : JSON.stringify(body),
    eventSource: 'aws:sqs' as const,
  };
}
