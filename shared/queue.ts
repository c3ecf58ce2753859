import { AwsClient } from 'aws4fetch';
import { TransientError } from './errors';
import type { AwsCredentials } from './store';

/** Where a message that can never succeed goes at once, with the reason. */
export interface DeadLetterQueue {
  /** @throws {TransientError} when the queue cannot be reached or refuses the message. */
  send(body: string, reason: string): Promise<void>;
}

/**
 * A {@link DeadLetterQueue} speaking SQS's JSON protocol over `fetch`, signed with SigV4: one
 * `SendMessage` call, without the SDK client's import cost. The reason travels as the message
 * attribute `reason`.
 */
export function createSqsDeadLetterQueue(options: {
  queueUrl: string;
  region: string;
  credentials: AwsCredentials;
}): DeadLetterQueue {
  const client = new AwsClient({
    ...options.credentials,
    service: 'sqs',
    region: options.region,
    retries: 3,
  });
  return {
    async send(body, reason) {
      const response = await client
        .fetch(options.queueUrl, {
          method: 'POST',
          headers: {
            'content-type': 'application/x-amz-json-1.0',
            'x-amz-target': 'AmazonSQS.SendMessage',
          },
          body: JSON.stringify({
            QueueUrl: options.queueUrl,
            MessageBody: body,
            MessageAttributes: { reason: { DataType: 'String', StringValue: reason } },
          }),
        })
        .catch((error: unknown) => {
          throw new TransientError('The dead-letter queue could not be reached', { cause: error });
        });
      await response.body?.cancel();
      if (!response.ok) {
        throw new TransientError(
          `Sending to the dead-letter queue failed: HTTP ${response.status}`,
        );
      }
    },
  };
}
