import { AwsClient } from 'aws4fetch';
import { TransientError } from './errors';

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

/** The object storage the pipeline needs: read one object, write one JSON document. */
export interface ObjectStore {
  /** Returns null when the object (or that version of it) does not exist. */
  get(address: ObjectAddress): Promise<StoredObject | null>;
  put(bucket: string, key: string, body: string, contentType: string): Promise<void>;
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

function unquote(etag: string | null): string | null {
  return etag ? etag.replace(/^"|"$/g, '') : null;
}

/**
 * An {@link ObjectStore} speaking the S3 REST API over `fetch`, signed with SigV4 (aws4fetch).
 * It does the two calls the pipeline makes with a few kilobytes of code, where the AWS SDK's S3
 * client costs some 40 ms of every cold start. 5xx and 429 answers are retried; what still fails
 * becomes a {@link TransientError} for the queue to retry later.
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
  const send = async (what: string, input: string, init?: RequestInit) => {
    try {
      return await client.fetch(input, init);
    } catch (error) {
      throw new TransientError(`${what} failed: S3 could not be reached`, {
        cause: error,
        code: 'storage_unavailable',
      });
    }
  };

  return {
    async get({ bucket, key, versionId }) {
      const query = versionId ? `?versionId=${encodeURIComponent(versionId)}` : '';
      const response = await send(`Reading s3://${bucket}/${key}`, url(bucket, key) + query);
      // 404 is NoSuchKey or NoSuchVersion (the function may list the input prefix, so S3 says
      // 404, not 403, for a key that is gone).
      if (!response.ok) await response.body?.cancel();
      if (response.status === 404) return null;
      if (!response.ok) {
        throw new TransientError(`Reading s3://${bucket}/${key} failed: HTTP ${response.status}`, {
          code: 'storage_unavailable',
        });
      }
      return {
        body: new Uint8Array(await response.arrayBuffer()),
        etag: unquote(response.headers.get('etag')),
        versionId: response.headers.get('x-amz-version-id'),
        contentType: response.headers.get('content-type'),
      };
    },
    async put(bucket, key, body, contentType) {
      const response = await send(`Writing s3://${bucket}/${key}`, url(bucket, key), {
        method: 'PUT',
        body,
        headers: { 'content-type': contentType },
      });
      await response.body?.cancel();
      if (!response.ok) {
        throw new TransientError(`Writing s3://${bucket}/${key} failed: HTTP ${response.status}`, {
          code: 'storage_unavailable',
        });
      }
    },
    async delete(bucket, key) {
      const response = await send(`Deleting s3://${bucket}/${key}`, url(bucket, key), {
        method: 'DELETE',
      });
      await response.body?.cancel();
      if (!response.ok && response.status !== 404) {
        throw new TransientError(`Deleting s3://${bucket}/${key} failed: HTTP ${response.status}`, {
          code: 'storage_unavailable',
        });
      }
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
