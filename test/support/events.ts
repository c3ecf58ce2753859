/** An SQS message as the Lambda event source delivers it; a non-string body is JSON-encoded. */
export function sqsMessage(messageId: string, body: unknown) {
  return {
    messageId,
    body: typeof body === 'string' ? body : JSON.stringify(body),
    eventSource: 'aws:sqs' as const,
  };
}
