import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_CREDENTIALS, LOCAL_REGION, type LocalS3, startLocalS3 } from '../../cli/local/s3';
import { TransientError } from '../../shared/errors';
import { createS3Store, PreconditionFailedError } from '../../shared/store';

/**
 * A server that answers each request with the next status of a script, for faults the local S3
 * server cannot be made to produce (500, 503), and keeps what it was sent.
 */
async function startScriptedServer() {
  let script: number[] = [];
  const seen: Array<{ method: string; url: string; authorization: string; body: string }> = [];
  const server: Server = createServer(async (request: IncomingMessage, response) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    seen.push({
      method: request.method ?? '',
      url: request.url ?? '',
      authorization: String(request.headers.authorization ?? ''),
      body: Buffer.concat(chunks).toString(),
    });
    const status = script.shift() ?? 200;
    response.writeHead(status, { etag: '"abc"', 'content-type': 'application/json' });
    response.end(status === 200 ? '{"ok":true}' : '<Error><Code>InternalError</Code></Error>');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    seen,
    answer(statuses: number[]) {
      script = [...statuses];
      seen.length = 0;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('S3 store over node:http', () => {
  let scripted: Awaited<ReturnType<typeof startScriptedServer>>;
  let s3: LocalS3;
  const storeOf = (endpoint: string, retries?: number) =>
    createS3Store({
      region: LOCAL_REGION,
      endpoint,
      credentials: LOCAL_CREDENTIALS,
      initRetryMs: 1,
      ...(retries === undefined ? {} : { retries }),
    });

  beforeAll(async () => {
    scripted = await startScriptedServer();
    s3 = await startLocalS3({ bucket: 'store-test' });
  });
  afterEach(() => scripted.answer([]));
  afterAll(async () => {
    await scripted.close();
    await s3.close();
  });

  it('retries 500 and 503 answers and returns the answer that follows', async () => {
    scripted.answer([500, 503, 200]);
    const object = await storeOf(scripted.endpoint).get({ bucket: 'b', key: 'digests/a.json' });
    expect(new TextDecoder().decode(object?.body)).toBe('{"ok":true}');
    expect(scripted.seen).toHaveLength(3);
    // Each attempt is signed again, so a retry after a long backoff still carries a current date.
    expect(scripted.seen.every((r) => r.authorization.startsWith('AWS4-HMAC-SHA256 '))).toBe(true);
  });

  it('sends a write again with its body when S3 answers 503 Slow Down', async () => {
    scripted.answer([503, 200]);
    const written = await storeOf(scripted.endpoint).put(
      'b',
      'digests/a.json',
      '{"x":1}',
      'application/json',
    );
    expect(written).toEqual({ etag: 'abc' });
    expect(scripted.seen.map((r) => [r.method, r.body])).toEqual([
      ['PUT', '{"x":1}'],
      ['PUT', '{"x":1}'],
    ]);
  });

  it('gives up with a retryable storage_unavailable error when every retry answers 500', async () => {
    scripted.answer([500, 500, 500]);
    const read = storeOf(scripted.endpoint, 2).get({ bucket: 'b', key: 'digests/a.json' });
    await expect(read).rejects.toThrow(TransientError);
    await expect(read).rejects.toMatchObject({ code: 'storage_unavailable' });
    expect(scripted.seen).toHaveLength(3);
  });

  it('does not retry a 403 and reports it as access denied, never as missing', async () => {
    scripted.answer([403, 200]);
    await expect(storeOf(scripted.endpoint).get({ bucket: 'b', key: 'cache/x' })).rejects.toThrow(
      /access denied \(HTTP 403\)/,
    );
    expect(scripted.seen).toHaveLength(1);
  });

  it('maps a 409 to a conditional write to PreconditionFailedError, and to a plain write to an error', async () => {
    scripted.answer([409]);
    await expect(
      storeOf(scripted.endpoint).put('b', 'cache/k', '{}', 'application/json', {
        ifNoneMatch: '*',
      }),
    ).rejects.toThrow(PreconditionFailedError);
    scripted.answer([409]);
    await expect(
      storeOf(scripted.endpoint).put('b', 'cache/k', '{}', 'application/json'),
    ).rejects.toThrow(/HTTP 409/);
  });

  it('maps the strict local S3 answers to conditional writes: 412 and 404 fail, a match writes', async () => {
    const store = storeOf(s3.endpoint);
    const first = await store.put(s3.bucket, 'cache/lease', 'one', 'text/plain', {
      ifNoneMatch: '*',
    });
    await expect(
      store.put(s3.bucket, 'cache/lease', 'two', 'text/plain', { ifNoneMatch: '*' }),
    ).rejects.toThrow(PreconditionFailedError);
    await expect(
      store.put(s3.bucket, 'cache/lease', 'two', 'text/plain', {
        ifMatch: '0123456789abcdef0123456789abcdef',
      }),
    ).rejects.toThrow(PreconditionFailedError);
    await expect(
      store.put(s3.bucket, 'cache/never-written', 'x', 'text/plain', { ifMatch: first.etag ?? '' }),
    ).rejects.toThrow(PreconditionFailedError);
    await store.put(s3.bucket, 'cache/lease', 'three', 'text/plain', { ifMatch: first.etag ?? '' });
    const read = await store.get({ bucket: s3.bucket, key: 'cache/lease' });
    expect(new TextDecoder().decode(read?.body)).toBe('three');
    expect(await store.head(s3.bucket, 'cache/missing')).toBeNull();
    expect(await store.get({ bucket: s3.bucket, key: 'cache/missing' })).toBeNull();
  });

  it('reads and writes keys with spaces, dots and non-ASCII characters under the same name', async () => {
    const store = storeOf(s3.endpoint);
    const key = 'incoming/a b/./财政部 (1)+!.txt';
    await store.put(s3.bucket, key, '内容', 'text/plain; charset=utf-8');
    const read = await store.get({ bucket: s3.bucket, key });
    expect(new TextDecoder().decode(read?.body)).toBe('内容');
    await store.delete(s3.bucket, key);
    expect(await store.head(s3.bucket, key)).toBeNull();
  });

  it('writes keys with "." and ".." segments under those keys, not where a URL would resolve them', async () => {
    const store = storeOf(s3.endpoint);
    const keys = ['digests/../a.txt.json', 'digests/./c.json', 'digests/%2E%2E/d.json'];
    for (const key of keys) await store.put(s3.bucket, key, key, 'text/plain');
    const listed = await s3.client.send(new ListObjectsV2Command({ Bucket: s3.bucket }));
    const stored = (listed.Contents ?? []).map((c) => c.Key);
    for (const key of keys) {
      expect(stored).toContain(key);
      const read = await store.get({ bucket: s3.bucket, key });
      expect(new TextDecoder().decode(read?.body)).toBe(key);
      await store.delete(s3.bucket, key);
    }
    expect(stored).not.toContain('a.txt.json');
    expect(stored).not.toContain('digests/c.json');
  });

  it('sends a request again on a new connection when the server closed the kept-alive one', async () => {
    // The second request on a connection finds it closed, as after S3's idle timeout.
    const connections = new WeakMap<object, number>();
    let answered = 0;
    let received = 0;
    const server = createServer((request, response) => {
      received++;
      const count = (connections.get(request.socket) ?? 0) + 1;
      connections.set(request.socket, count);
      if (count > 1) {
        request.socket.destroy();
        return;
      }
      answered++;
      response.writeHead(200, { etag: '"e"' });
      response.end('{}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    try {
      const store = storeOf(`http://127.0.0.1:${port}`, 0);
      for (let i = 0; i < 2; i++) {
        const read = await store.get({ bucket: 'b', key: 'digests/a.json' });
        expect(new TextDecoder().decode(read?.body)).toBe('{}');
      }
      expect([received, answered]).toEqual([3, 2]);
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('refuses a key longer than 1,024 bytes before sending anything', async () => {
    scripted.answer([]);
    await expect(
      storeOf(scripted.endpoint).head('b', `errors/${'文'.repeat(340)}`),
    ).rejects.toThrow(/longer than 1024 bytes/);
    expect(scripted.seen).toHaveLength(0);
  });
});
