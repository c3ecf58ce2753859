/**
 * Uploads to the local S3 server as a user's client would (a signed PutObject), over a keep-alive
 * connection with the request signed by the store's signer (SigV4 hashed with `node:crypto`):
 * a fraction of the CPU the SDK's client, or aws4fetch's WebCrypto signing, spends on a
 * PutObject, which counts in local mode's throughput, where the uploads share the pipeline's core.
 */
import { Agent, request } from 'node:http';
import { createSigner, encodeKey } from '../../shared/store';

export type Upload = (bucket: string, key: string, body: string | Uint8Array) => Promise<void>;

/**
 * An uploader to `endpoint` (path-style, `http://127.0.0.1:<port>`).
 * @throws from the returned function an Error naming the key and the server's answer when the
 *   upload is refused.
 */
export function createUploader(
  endpoint: string,
  credentials: { accessKeyId: string; secretAccessKey: string },
  region: string,
): { upload: Upload; close(): void } {
  const sign = createSigner(credentials, region);
  const agent = new Agent({ keepAlive: true });
  const upload: Upload = async (bucket, key, body) => {
    const bytes = typeof body === 'string' ? Buffer.from(body) : body;
    const url = `${endpoint.replace(/\/$/, '')}/${bucket}/${encodeKey(key)}`;
    const signed = await sign('PUT', url, {});
    const headers: Record<string, string> = Object.fromEntries(signed.headers);
    headers['content-length'] = String(bytes.length);
    await new Promise<void>((resolve, reject) => {
      // The signed path, not the URL: the URL parser would resolve a key's ".." segments away.
      const { hostname, port, protocol } = signed.url;
      const target = { protocol, hostname, port, path: signed.path };
      const out = request({ ...target, method: 'PUT', headers, agent }, (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          const status = response.statusCode ?? 0;
          if (status >= 200 && status < 300) resolve();
          else {
            const answer = Buffer.concat(chunks).toString('utf8');
            const code = /<Code>([^<]*)<\/Code>/.exec(answer)?.[1] ?? `HTTP ${status}`;
            reject(new Error(`Uploading ${key} failed: ${code}`));
          }
        });
        response.on('error', reject);
      });
      out.on('error', reject);
      out.end(bytes);
    });
  };
  return { upload, close: () => agent.destroy() };
}
