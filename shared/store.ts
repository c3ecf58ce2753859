import { createHash, createHmac } from 'node:crypto';
import type { Agent, request as httpRequest, IncomingHttpHeaders } from 'node:http';
import { AwsClient } from 'aws4fetch';
import { DigestError, TransientError } from './errors';

export interface ObjectAddress {
  bucket: string;
  key: string;
  versionId?: string | null;
}

export interface StoredObject {
  body: Uint8Array;
  etag: string | null;
  versionId: string | null;
  contentType: string | null;
}

/** What a conditional write requires of the object it replaces (S3 conditional writes). */
export interface WriteCondition {
  /** `*`: write only if no object has the key (S3 `If-None-Match: *`). */
  ifNoneMatch?: '*';
  /** Write only if the current object has this ETag (S3 `If-Match`). */
  ifMatch?: string;
}

/** A conditional write lost: the object exists, or has changed, or another write won the race. */
export class PreconditionFailedError extends DigestError {
  static override readonly kind: string = 'PreconditionFailedError';
  override readonly name = 'PreconditionFailedError';
}

/** The object storage the pipeline needs: read one object, write one JSON document. */
export interface ObjectStore {
  /** Returns null when the object (or that version of it) does not exist. */
  get(address: ObjectAddress): Promise<StoredObject | null>;
  /** The current ETag and version of an object, without its body; null when there is none. */
  head(
    bucket: string,
    key: string,
  ): Promise<{ etag: string | null; versionId: string | null } | null>;
  /**
   * Writes an object and returns its new ETag.
   * @throws {PreconditionFailedError} when `condition` does not hold (HTTP 412, or 409 for a
   *   concurrent conditional write to the same key).
   */
  put(
    bucket: string,
    key: string,
    body: string | Uint8Array,
    contentType: string,
    condition?: WriteCondition,
  ): Promise<{ etag: string | null }>;
  /** Deletes an object; deleting one that does not exist is not an error. */
  delete(bucket: string, key: string): Promise<void>;
}

export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string | undefined;
}

export interface S3StoreOptions {
  region: string;
  credentials: AwsCredentials;
  /** An S3-compatible endpoint (local mode), addressed path-style. Default: AWS S3. */
  endpoint?: string | undefined;
  /** Retries of 5xx and 429 answers, with jittered exponential backoff. Default 3. */
  retries?: number;
  /** First backoff, in milliseconds, doubled each retry, a random fraction of it slept. Default 50. */
  initRetryMs?: number;
  /** Milliseconds a request may wait with no data on its connection before it fails. Default 30,000. */
  timeoutMs?: number;
}

/** An S3 answer, its body read whole: the pipeline's objects are JSON records and documents ≤ 10 MB. */
interface S3Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: Uint8Array;
}

/**
 * Keep-alive connections shared by every store of the process: a warm function, or local mode's
 * loop over many documents, opens one connection and reuses it. Idle sockets are unreferenced by
 * the agent, so they never keep a process alive; S3 closes idle connections after some seconds,
 * and the agents drop theirs before that. The modules load on the first request, not at import:
 * `node:https` (and TLS) would add some 3 ms to every cold start's import.
 */
const transports = new Map<string, Promise<{ request: typeof httpRequest; agent: Agent }>>();
function transportFor(protocol: string) {
  let transport = transports.get(protocol);
  if (!transport) {
    transport = (protocol === 'https:' ? import('node:https') : import('node:http')).then(
      (module) => ({
        request: module.request,
        agent: new module.Agent({ keepAlive: true, timeout: 4_000 }),
      }),
    );
    transports.set(protocol, transport);
  }
  return transport;
}

/** A Node socket error with its code, e.g. `ECONNRESET`. */
function errorCode(error: unknown): string | undefined {
  return error instanceof Error && 'code' in error && typeof error.code === 'string'
    ? error.code
    : undefined;
}

/**
 * Sends one request over `node:http`/`node:https` and reads the answer whole. `fetch` (undici)
 * costs some 0.55 ms of CPU a request where `node:http` costs 0.14 ms, and a document makes six.
 * @throws the socket's error when the request cannot be sent or its answer not read.
 */
async function exchange(
  url: URL,
  path: string,
  method: string,
  headers: Record<string, string>,
  body: Buffer | undefined,
  timeoutMs: number,
): Promise<S3Answer & { reusedSocket: boolean }> {
  const transport = await transportFor(url.protocol);
  return new Promise((resolve, reject) => {
    const request = transport.request({
      agent: transport.agent,
      protocol: url.protocol,
      hostname: url.hostname.replace(/^\[|\]$/g, ''),
      port: url.port || undefined,
      path,
      method,
      headers,
      timeout: timeoutMs,
    });
    const failed = (error: Error) => {
      // The property tells a keep-alive connection the server had closed from a real failure.
      Object.assign(error, { reusedSocket: request.reusedSocket });
      reject(error);
    };
    request.on('timeout', () =>
      request.destroy(new Error(`no answer within ${timeoutMs} ms`, { cause: 'timeout' })),
    );
    request.on('error', failed);
    request.on('response', (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('error', failed);
      response.on('end', () =>
        resolve({
          status: response.statusCode ?? 0,
          headers: response.headers,
          body: concat(chunks),
          reusedSocket: request.reusedSocket,
        }),
      );
    });
    request.end(body);
  });
}

/**
 * The chunks in one array of its own: `Buffer.concat` may return a slice of Node's shared pool,
 * whose `ArrayBuffer` a reader handing the bytes to a worker (PDF.js) could detach.
 */
function concat(chunks: Buffer[]): Uint8Array {
  const whole = new Uint8Array(chunks.reduce((length, chunk) => length + chunk.length, 0));
  let at = 0;
  for (const chunk of chunks) {
    whole.set(chunk, at);
    at += chunk.length;
  }
  return whole;
}

/** Headers SigV4 leaves out of the signature, as aws4fetch does. */
const UNSIGNED_HEADERS = new Set([
  'authorization',
  'content-type',
  'content-length',
  'user-agent',
  'presigned-expires',
  'expect',
  'x-amzn-trace-id',
  'range',
  'connection',
]);

/** `encodeURIComponent` plus the characters RFC 3986 reserves that it leaves alone. */
const encodeRfc3986 = (text: string) =>
  encodeURIComponent(text).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );

/**
 * Signs S3 requests with SigV4 (header signing) exactly as aws4fetch's `AwsV4Signer` does for
 * S3 (`test/unit/s3-signer.test.ts` holds them to it), hashed with `node:crypto`. aws4fetch hashes
 * with WebCrypto, whose asynchronous jobs and key objects cost some 2 ms of CPU a document in local
 * runs, and builds its canonical request over `Headers` objects, some 0.05 ms a request more.
 * The payload is not signed (`UNSIGNED-PAYLOAD`, as aws4fetch does for S3), so a body is never
 * hashed. The result's `headers` are lower-case, in name order.
 */
export function createSigner(credentials: AwsCredentials, region: string) {
  // The signing key of the day, derived once (four HMACs) instead of on every request.
  const keys = new Map<string, Buffer>();
  const keyOf = (date: string) => {
    let key = keys.get(date);
    if (!key) {
      key = [region, 's3', 'aws4_request'].reduce(
        (k, part) => createHmac('sha256', k).update(part).digest(),
        createHmac('sha256', `AWS4${credentials.secretAccessKey}`).update(date).digest(),
      );
      keys.clear();
      keys.set(date, key);
    }
    return key;
  };
  /** `datetime` (`YYYYMMDDTHHMMSSZ`, default now) is fixed only by tests. */
  return async (
    method: string,
    url: string,
    headers: Record<string, string>,
    datetime?: string,
  ): Promise<{ url: URL; path: string; headers: Map<string, string> }> => {
    const parsed = new URL(url);
    const raw = rawPath(url);
    const amzDate = datetime ?? new Date().toISOString().replace(/[:-]|\.\d{3}/g, '');
    const all = new Map<string, string>();
    // As the Fetch API's Headers: names in lower case, values trimmed, repeated names joined.
    for (const [name, value] of Object.entries(headers)) {
      const lower = name.toLowerCase();
      const trimmed = value.trim();
      const before = all.get(lower);
      all.set(lower, before === undefined ? trimmed : `${before}, ${trimmed}`);
    }
    all.delete('host');
    if (!all.has('x-amz-content-sha256')) all.set('x-amz-content-sha256', 'UNSIGNED-PAYLOAD');
    all.set('x-amz-date', amzDate);
    if (credentials.sessionToken) all.set('x-amz-security-token', credentials.sessionToken);
    const signed = ['host', ...all.keys()].filter((name) => !UNSIGNED_HEADERS.has(name)).sort();
    const signedHeaders = signed.join(';');
    const canonicalHeaders = signed
      .map(
        (name) =>
          `${name}:${name === 'host' ? parsed.host : (all.get(name) ?? '').replace(/\s+/g, ' ')}`,
      )
      .join('\n');
    // Each segment encoded once, as S3 reads it; a "." or ".." segment stays as it was sent
    // (%2E%2E), which S3 takes literally, as the AWS SDK's signer does.
    const encodedPath = raw.pathname
      .split('/')
      .map((segment) => {
        let decoded: string;
        try {
          decoded = decodeURIComponent(segment.replace(/\+/g, ' '));
        } catch {
          return segment;
        }
        return decoded === '.' || decoded === '..' ? segment : encodeRfc3986(decoded);
      })
      .join('/');
    // S3 signs the first value of a repeated query parameter only.
    const seen = new Set<string>();
    const query: Array<[string, string]> = [];
    for (const [name, value] of parsed.searchParams) {
      if (!name || seen.has(name)) continue;
      seen.add(name);
      query.push([encodeRfc3986(name), encodeRfc3986(value)]);
    }
    query.sort(([k1, v1], [k2, v2]) =>
      k1 < k2 ? -1 : k1 > k2 ? 1 : v1 < v2 ? -1 : v1 > v2 ? 1 : 0,
    );
    const canonical = [
      method.toUpperCase(),
      encodedPath,
      query.map((pair) => pair.join('=')).join('&'),
      `${canonicalHeaders}\n`,
      signedHeaders,
      all.get('x-amz-content-sha256') ?? '',
    ].join('\n');
    const credentialString = `${amzDate.slice(0, 8)}/${region}/s3/aws4_request`;
    const toSign = [
      'AWS4-HMAC-SHA256',
      amzDate,
      credentialString,
      createHash('sha256').update(canonical).digest('hex'),
    ].join('\n');
    const signature = createHmac('sha256', keyOf(amzDate.slice(0, 8)))
      .update(toSign)
      .digest('hex');
    all.set(
      'authorization',
      `AWS4-HMAC-SHA256 Credential=${credentials.accessKeyId}/${credentialString}, SignedHeaders=${signedHeaders}, Signature=${signature}`,
    );
    return {
      url: parsed,
      path: raw.pathname + raw.search,
      headers: new Map([...all].sort(([a], [b]) => (a < b ? -1 : 1))),
    };
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A single-valued response header. */
function header(answer: S3Answer, name: string): string | null {
  const value = answer.headers[name];
  return typeof value === 'string' ? value : null;
}

/**
 * The path and query of `url` as written. The URL parser resolves "." and ".." segments away,
 * percent-encoded ones too (%2E%2E), and an S3 key may hold them: `digests/../a.json` is a key
 * of its own, not `a.json`.
 */
function rawPath(url: string): { pathname: string; search: string } {
  const from = url.indexOf('/', url.indexOf('//') + 2);
  const rest = from < 0 ? '/' : url.slice(from);
  const query = rest.indexOf('?');
  return query < 0
    ? { pathname: rest, search: '' }
    : { pathname: rest.slice(0, query), search: rest.slice(query) };
}

/** Encodes a key for a URL path as S3 expects: RFC 3986, slashes kept. */
export function encodeKey(key: string): string {
  return key
    .split('/')
    .map((part) =>
      // "." and ".." segments are percent-encoded, or the URL parser would resolve them away.
      part === '.' || part === '..'
        ? part.replaceAll('.', '%2E')
        : encodeURIComponent(part).replace(
            /[!'()*]/g,
            (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
          ),
    )
    .join('/');
}

/** S3's longest key, in bytes of UTF-8. */
export const MAX_KEY_BYTES = 1024;

function unquote(etag: string | null): string | null {
  return etag ? etag.replace(/^"|"$/g, '') : null;
}

/**
 * An {@link ObjectStore} speaking the S3 REST API over `node:http`/`node:https` with keep-alive
 * connections, signed with SigV4 (aws4fetch's signer). It does the few calls the pipeline makes
 * with a few kilobytes of code, where the AWS SDK's S3 client costs some 40 ms of every cold start.
 * 5xx and 429 answers are retried (`retries`, default 3, with jittered exponential backoff, as
 * aws4fetch's `AwsClient` did); what still fails becomes a {@link TransientError} for the queue to
 * retry later. A request sent on a kept-alive connection that the server had just closed is sent
 * again once on a new one; any other network error is not retried here.
 *
 * A read of a missing key answers 404 only where the role may list that key (`s3:ListBucket`
 * with a matching `s3:prefix`); otherwise S3 answers 403, which is reported as access denied,
 * never as "missing".
 */
export function createS3Store(options: S3StoreOptions): ObjectStore {
  const retries = options.retries ?? 3;
  const initRetryMs = options.initRetryMs ?? 50;
  const timeoutMs = options.timeoutMs ?? 30_000;
  const sign = createSigner(options.credentials, options.region);
  const url = (bucket: string, key: string) => {
    if (options.endpoint)
      return `${options.endpoint.replace(/\/$/, '')}/${bucket}/${encodeKey(key)}`;
    // Virtual-hosted style, except for names with dots, which break the wildcard certificate.
    return bucket.includes('.')
      ? `https://s3.${options.region}.amazonaws.com/${bucket}/${encodeKey(key)}`
      : `https://${bucket}.s3.${options.region}.amazonaws.com/${encodeKey(key)}`;
  };
  /** One signed attempt; a fresh signature each time, as its date must be current. */
  const attempt = async (
    method: string,
    input: string,
    headers: Record<string, string>,
    body: Buffer | undefined,
  ) => {
    const signed = await sign(method, input, headers);
    const sent: Record<string, string> = Object.fromEntries(signed.headers);
    if (body) sent['content-length'] = String(body.length);
    try {
      return await exchange(signed.url, signed.path, method, sent, body, timeoutMs);
    } catch (error) {
      // A kept-alive connection the server closed while idle: the request never reached it.
      const stale =
        (error as { reusedSocket?: boolean }).reusedSocket === true &&
        ['ECONNRESET', 'EPIPE'].includes(errorCode(error) ?? '');
      if (!stale) throw error;
      return await exchange(signed.url, signed.path, method, sent, body, timeoutMs);
    }
  };
  const send = async (
    what: string,
    key: string,
    input: string,
    init: { method?: string; headers?: Record<string, string>; body?: string | Uint8Array } = {},
  ): Promise<S3Answer> => {
    if (Buffer.byteLength(key) > MAX_KEY_BYTES) {
      throw new TransientError(`${what} failed: the key is longer than ${MAX_KEY_BYTES} bytes`);
    }
    const method = init.method ?? 'GET';
    const body =
      init.body === undefined
        ? undefined
        : typeof init.body === 'string'
          ? Buffer.from(init.body)
          : Buffer.from(init.body.buffer, init.body.byteOffset, init.body.byteLength);
    try {
      for (let i = 0; ; i++) {
        const answer = await attempt(method, input, init.headers ?? {}, body);
        if ((answer.status < 500 && answer.status !== 429) || i >= retries) return answer;
        await sleep(Math.random() * initRetryMs * 2 ** i);
      }
    } catch (error) {
      throw new TransientError(`${what} failed: S3 could not be reached`, {
        cause: error,
        code: 'storage_unavailable',
      });
    }
  };
  const ok = (answer: S3Answer) => answer.status >= 200 && answer.status < 300;
  const failed = (what: string, answer: S3Answer) =>
    new TransientError(
      answer.status === 403
        ? `${what} failed: access denied (HTTP 403); the function's role lacks a permission`
        : `${what} failed: HTTP ${answer.status}`,
      { code: 'storage_unavailable' },
    );

  return {
    async get({ bucket, key, versionId }) {
      const what = `Reading s3://${bucket}/${key}`;
      const query = versionId ? `?versionId=${encodeURIComponent(versionId)}` : '';
      const answer = await send(what, key, url(bucket, key) + query);
      // 404 is NoSuchKey or NoSuchVersion.
      if (answer.status === 404) return null;
      if (!ok(answer)) throw failed(what, answer);
      return {
        body: answer.body,
        etag: unquote(header(answer, 'etag')),
        versionId: header(answer, 'x-amz-version-id'),
        contentType: header(answer, 'content-type'),
      };
    },
    async head(bucket, key) {
      const what = `Checking s3://${bucket}/${key}`;
      const answer = await send(what, key, url(bucket, key), { method: 'HEAD' });
      if (answer.status === 404) return null;
      if (!ok(answer)) throw failed(what, answer);
      return {
        etag: unquote(header(answer, 'etag')),
        versionId: header(answer, 'x-amz-version-id'),
      };
    },
    async put(bucket, key, body, contentType, condition = {}) {
      const what = `Writing s3://${bucket}/${key}`;
      const headers: Record<string, string> = { 'content-type': contentType };
      if (condition.ifNoneMatch) headers['if-none-match'] = condition.ifNoneMatch;
      if (condition.ifMatch) headers['if-match'] = `"${condition.ifMatch}"`;
      const answer = await send(what, key, url(bucket, key), { method: 'PUT', body, headers });
      // 412: the condition does not hold; 409: a concurrent conditional write to the key won.
      // A conditional write to a key that does not exist (If-Match) answers 404.
      const conditional = condition.ifNoneMatch !== undefined || condition.ifMatch !== undefined;
      if (conditional && [404, 409, 412].includes(answer.status)) {
        throw new PreconditionFailedError(`${what}: the condition did not hold`);
      }
      if (!ok(answer)) throw failed(what, answer);
      return { etag: unquote(header(answer, 'etag')) };
    },
    async delete(bucket, key) {
      const what = `Deleting s3://${bucket}/${key}`;
      const answer = await send(what, key, url(bucket, key), { method: 'DELETE' });
      if (!ok(answer) && answer.status !== 404) throw failed(what, answer);
    },
  };
}

/**
 * Reads a Secrets Manager secret's string value over `fetch`, signed with SigV4: one call at cold
 * start, without the SDK client's import cost.
 */
export async function readSecretString(
  secretId: string,
  options: { region: string; credentials: AwsCredentials },
): Promise<string | undefined> {
  const client = new AwsClient({
    ...options.credentials,
    service: 'secretsmanager',
    region: options.region,
    retries: 3,
  });
  const response = await client.fetch(`https://secretsmanager.${options.region}.amazonaws.com/`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-amz-json-1.1',
      'x-amz-target': 'secretsmanager.GetSecretValue',
    },
    body: JSON.stringify({ SecretId: secretId }),
  });
  if (!response.ok) {
    await response.body?.cancel();
    throw new TransientError(`Reading the secret ${secretId} failed: HTTP ${response.status}`);
  }
  const secret = (await response.json()) as { SecretString?: string };
  return secret.SecretString;
}
