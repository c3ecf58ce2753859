/**
 * The queue of local mode's watch server: a loopback endpoint speaking enough of the SQS API
 * (SendMessage and SendMessageBatch, AWS JSON 1.0 protocol) for the SQS client of
 * `article-digest backfill`, delivering each message to the same handler as S3 notifications.
 */
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { SqsEventLike } from './s3';

export interface LocalQueue {
  url: string;
  close(): Promise<void>;
}

const md5 = (text: string) => createHash('md5').update(text).digest('hex');

export async function startLocalQueue(
  deliver: (event: SqsEventLike) => Promise<void>,
  port = 0,
): Promise<LocalQueue> {
  let sequence = 0;
  const accept = (body: string) => {
    const messageId = `queue-${++sequence}`;
    void deliver({ Records: [{ messageId, body, eventSource: 'aws:sqs' }] });
    return { MessageId: messageId, MD5OfMessageBody: md5(body) };
  };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const target = String(req.headers['x-amz-target'] ?? '');
      const reply = (status: number, payload: unknown) => {
        res.writeHead(status, { 'content-type': 'application/x-amz-json-1.0' });
        res.end(JSON.stringify(payload));
      };
      let input: { MessageBody?: string; Entries?: Array<{ Id: string; MessageBody: string }> };
      try {
        input = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        reply(400, {
          __type: 'com.amazonaws.sqs#InvalidParameterValue',
          message: 'body is not JSON',
        });
        return;
      }
      if (target === 'AmazonSQS.SendMessage' && typeof input.MessageBody === 'string') {
        reply(200, accept(input.MessageBody));
      } else if (target === 'AmazonSQS.SendMessageBatch' && Array.isArray(input.Entries)) {
        reply(200, {
          Successful: input.Entries.map((entry) => ({
            Id: entry.Id,
            ...accept(entry.MessageBody),
          })),
          Failed: [],
        });
      } else {
        reply(400, {
          __type: 'com.amazonaws.sqs#UnsupportedOperation',
          message: `${target} is not supported here`,
        });
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${address.port}/queue/article-digest-local`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
