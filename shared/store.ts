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
    body: string,
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
}

/** Encodes a key for a URL path as S3 expects: RFC 3986, slashes kept. */
function encodeKey(key: string): string {
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
 * An {@link ObjectStore} speaking the S3 REST API over `fetch`, signed with SigV4 (aws4fetch).
 * It does the few calls the pipeline makes with a few kilobytes of code, where the AWS SDK's S3
 * client costs some 40 ms of every cold start. 5xx and 429 answers are retried; what still fails
 * becomes a {@link TransientError} for the queue to retry later.
 *
 * A read of a missing key answers 404 only where the role may list that key (`s3:ListBucket`
 * with a matching `s3:prefix`); otherwise S3 answers 403, which is reported as access denied,
 * never as "missing".
 */
export function createS3Store(options: S3StoreOptions): ObjectStore {
  const client = new AwsClient({
    ...options.credentials,
    service: 's3',
    region: options.region,
    retries: options.retries ?? 3,
  });
  const url = (bucket: string, key: string) => {
    if (options.endpoint)
      return `${options.endpoint.replace(/\/$/, '')}/${bucket}/${encodeKey(key)}`;
    // Virtual-hosted style, except for names with dots, which break the wildcard certificate.
    return bucket.includes('.')
      ? `https://s3.${options.region}.amazonaws.com/${bucket}/${encodeKey(key)}`
      : `https://${bucket}.s3.${options.region}.amazonaws.com/${encodeKey(key)}`;
  };
  const send = async (what: string, key: string, input: string, init?: RequestInit) => {
    if (Buffer.byteLength(key) > MAX_KEY_BYTES) {
      throw new TransientError(`${what} failed: the key is longer than ${MAX_KEY_BYTES} bytes`);
    }
    try {
      return await client.fetch(input, init);
    } catch (error) {
      throw new TransientError(`${what} failed: S3 could not be reached`, {
        cause: error,
        code: 'storage_unavailable',
      });
    }
  };
  const failed = (what: string, response: Response) =>
    new TransientError(
      response.status === 403
        ? `${what} failed: access denied (HTTP 403); the function's role lacks a permission`
        : `${what} failed: HTTP ${response.status}`,
      { code: 'storage_unavailable' },
    );

  return {
    async get({ bucket, key, versionId }) {
      const what = `Reading s3://${bucket}/${key}`;
      const query = versionId ? `?versionId=${encodeURIComponent(versionId)}` : '';
      const response = await send(what, key, url(bucket, key) + query);
      if (!response.ok) await response.body?.cancel();
      // 404 is NoSuchKey or NoSuchVersion.
      if (response.status === 404) return null;
      if (!response.ok) throw failed(what, response);
      return {
        body: new Uint8Array(await response.arrayBuffer()),
        etag: unquote(response.headers.get('etag')),
        versionId: response.headers.get('x-amz-version-id'),
        contentType: response.headers.get('content-type'),
      };
    },
    async head(bucket, key) {
      const what = `Checking s3://${bucket}/${key}`;
      const response = await send(what, key, url(bucket, key), { method: 'HEAD' });
      await response.body?.cancel();
      if (response.status === 404) return null;
      if (!response.ok) throw failed(what, response);
      return {
        etag: unquote(response.headers.get('etag')),
        versionId: response.headers.get('x-amz-version-id'),
      };
    },
    async put(bucket, key, body, contentType, condition = {}) {
      const what = `Writing s3://${bucket}/${key}`;
      const headers: Record<string, string> = { 'content-type': contentType };
      if (condition.ifNoneMatch) headers['if-none-match'] = condition.ifNoneMatch;
      if (condition.ifMatch) headers['if-match'] = `"${condition.ifMatch}"`;
      const response = await send(what, key, url(bucket, key), {
        method: 'PUT',
        body,
        headers,
      });
      await response.body?.cancel();
      // 412: the condition does not hold; 409: a concurrent conditional write to the key won.
      // A conditional write to a key that does not exist (If-Match) answers 404.
      const conditional = condition.ifNoneMatch !== undefined || condition.ifMatch !== undefined;
      if (conditional && [404, 409, 412].includes(response.status)) {
        throw new PreconditionFailedError(`${what}: the condition did not hold`);
      }
      if (!response.ok) throw failed(what, response);
      return { etag: unquote(response.headers.get('etag')) };
    },
    async delete(bucket, key) {
      const what = `Deleting s3://${bucket}/${key}`;
      const response = await send(what, key, url(bucket, key), { method: 'DELETE' });
      await response.body?.cancel();
      if (!response.ok && response.status !== 404) throw failed(what, response);
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
