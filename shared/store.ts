import {
  GetObjectCommand,
  PutObjectCommand,
  type S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
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
}

const MISSING = new Set(['NoSuchKey', 'NoSuchVersion', 'NotFound']);

function unquote(etag: string | undefined): string | null {
  return etag ? etag.replace(/^"|"$/g, '') : null;
}

/**
 * An {@link ObjectStore} over an S3 client. S3 faults other than a missing object become
 * {@link TransientError}s: the SDK has already retried them, the queue retries them again later.
 */
export function createS3Store(client: S3Client): ObjectStore {
  return {
    async get({ bucket, key, versionId }) {
      try {
        const out = await client.send(
          new GetObjectCommand({ Bucket: bucket, Key: key, VersionId: versionId ?? undefined }),
        );
        const body = out.Body ? await out.Body.transformToByteArray() : new Uint8Array();
        return {
          body,
          etag: unquote(out.ETag),
          versionId: out.VersionId ?? null,
          contentType: out.ContentType ?? null,
        };
      } catch (error) {
        if (error instanceof S3ServiceException && MISSING.has(error.name)) return null;
        throw new TransientError(`Reading s3://${bucket}/${key} failed`, { cause: error });
      }
    },
    async put(bucket, key, body, contentType) {
      try {
        await client.send(
          new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: contentType }),
        );
      } catch (error) {
        throw new TransientError(`Writing s3://${bucket}/${key} failed`, { cause: error });
      }
    },
  };
}
