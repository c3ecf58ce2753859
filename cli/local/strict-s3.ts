/**
 * Local mode's S3 server: the S3 REST API on loopback for one bucket, its objects in memory
 * (written through to a folder when asked, see ./bucket.ts), answering as AWS S3 does, statuses,
 * error codes, XML bodies and headers, where the pipeline and its tests depend on it:
 *
 * - GetObject and HeadObject (Range; If-Match, If-None-Match, If-Modified-Since,
 *   If-Unmodified-Since), PutObject, CopyObject, DeleteObject, DeleteObjects, ListObjectsV2 and
 *   ListObjects (prefix, delimiter, max-keys, continuation-token, start-after, marker,
 *   encoding-type=url), HeadBucket, GetBucketLocation, ListBuckets, and multipart uploads (the
 *   AWS CLI sends files over 8 MB in parts); other calls answer 501 NotImplemented;
 * - S3's key limit: a key of more than 1,024 bytes of UTF-8 is refused with 400 KeyTooLongError;
 * - conditional writes on PutObject, CopyObject's destination and CompleteMultipartUpload:
 *   `If-None-Match: *` answers 412 PreconditionFailed when the key exists; `If-Match: "<etag>"`
 *   answers 412 when the current ETag differs and 404 NoSuchKey when there is no object; any
 *   other `If-None-Match` value is 501 NotImplemented. The condition is checked and the object
 *   stored in one step, so of racing conditional writes exactly one wins (S3 may instead answer
 *   409 ConditionalRequestConflict to one of them: a client must treat both alike);
 * - request bodies as sent: `Content-MD5` and a hex `x-amz-content-sha256` are checked (400
 *   BadDigest, XAmzContentSHA256Mismatch), `aws-chunked` uploads are decoded;
 * - optionally, IAM: requests signed with the function's access key id are checked against an
 *   {@link Authorize} callback (a policy simulator in tests) and refused with 403 AccessDenied;
 *   a GET or HEAD of a missing key answers 404 only when `s3:ListBucket` is allowed with
 *   `s3:prefix` equal to the key, and 403 otherwise, as S3 does;
 * - ObjectCreated event notifications under a prefix, keys URL-encoded as S3 sends them.
 *
 * Signatures are not verified, only that the access key id is one of the server's (403
 * InvalidAccessKeyId otherwise); unsigned requests are served. The bucket is unversioned.
 */
import { createHash, randomBytes } from 'node:crypto';
import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type OutgoingHttpHeaders,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { encodeEventKey } from '../../shared/keys';
import { Bucket, compareKeys, type StoredObject } from './bucket';

/** S3's longest key, in bytes of UTF-8. */
const MAX_KEY_BYTES = 1024;
/** Largest body read into memory: an object, or a part (S3 takes 5 GiB; this is a local server). */
const MAX_BODY_BYTES = 1024 * 1024 * 1024;
/** Largest XML request body (DeleteObjects with 1,000 keys of 1,024 bytes fits). */
const MAX_XML_BYTES = 2 * 1024 * 1024;
/** Smallest part of a multipart upload but the last, in bytes (S3's 5 MiB). */
const MIN_PART_BYTES = 5 * 1024 * 1024;
const S3_XMLNS = 'http://s3.amazonaws.com/doc/2006-03-01/';
/** Object headers S3 stores and returns besides `x-amz-meta-*`. */
const STORED_HEADERS = [
  'content-type',
  'content-encoding',
  'content-disposition',
  'content-language',
  'cache-control',
  'expires',
];

/** One permission check, as IAM evaluates it. */
export interface AuthorizationRequest {
  /** An IAM action, e.g. `s3:GetObject`. */
  action: string;
  /** The resource ARN: `arn:aws:s3:::bucket` or `arn:aws:s3:::bucket/key`. */
  resource: string;
  /** Request context keys, e.g. `{ 's3:prefix': 'digests/a.json' }` for `s3:ListBucket`. */
  context: Record<string, string>;
}

/** Decides whether the function's role may do what is asked. A throw answers 500 InternalError. */
export type Authorize = (request: AuthorizationRequest) => boolean | Promise<boolean>;

/** One S3 action a request performed or was refused, as the server answered it. */
export interface S3Call {
  /** The access key id that signed the request; null when unsigned. */
  accessKeyId: string | null;
  /** Whether the request was the function's, checked against the policy. */
  restricted: boolean;
  /** The IAM action, e.g. `s3:GetObject`; `unknown` for a request the server cannot map. */
  action: string;
  bucket: string;
  /** The object key, for object actions. */
  key?: string;
  /** The `s3:prefix` of an `s3:ListBucket` check. */
  prefix?: string;
  /** The HTTP status answered (for a multi-object delete: 200 deleted, 403 denied). */
  status: number;
  /**
   * Set on the `s3:ListBucket` check that S3 makes, without a request of its own, to choose
   * between 404 and 403 for a missing key.
   */
  implied?: true;
}

/** An S3 event notification, as S3 sends it to a queue. */
export interface S3Notification {
  Records: Array<{
    eventVersion: string;
    eventSource: 'aws:s3';
    awsRegion: string;
    eventTime: string;
    eventName: string;
    s3: {
      s3SchemaVersion: string;
      bucket: { name: string; arn: string };
      object: { key: string; size: number; eTag: string; sequencer: string };
    };
  }>;
}

export interface StrictS3Options {
  bucket: string;
  /** Access key ids the server knows; others answer 403 InvalidAccessKeyId. */
  accessKeyIds: string[];
  /** Requests signed with this access key id are the function's. */
  functionAccessKeyId: string;
  /** Keep the objects in `<directory>/<bucket>/` across restarts. Default: in memory only. */
  directory?: string | undefined;
  /** Checks the function's requests; without it they are not restricted. */
  authorize?: Authorize | undefined;
  /** Keep every call in {@link StrictS3Server.calls}. Default false (memory grows per request). */
  record?: boolean | undefined;
  /** Port on 127.0.0.1; 0 (the default) picks a free one. */
  port?: number | undefined;
  /** Called with the notification of each object created under `notifyPrefix`. */
  onObjectCreated?: ((notification: S3Notification) => void) | undefined;
  /** The notification filter's prefix. Default '' (every key). */
  notifyPrefix?: string | undefined;
  /** Region named in notifications and GetBucketLocation. Default us-east-1. */
  region?: string | undefined;
}

export interface StrictS3Server {
  endpoint: string;
  /** The calls answered so far, in the order they finished (empty unless `record` is set). */
  readonly calls: S3Call[];
  close(): Promise<void>;
}

/** What the server needs to know of a request before it runs it. */
interface Operation {
  bucket: string;
  key: string | null;
  /** Checked in order; the request is refused if any is denied. */
  checks: Array<{ action: string; bucket: string; key?: string; prefix?: string }>;
  /** A read whose 404 depends on `s3:ListBucket`. */
  read: boolean;
  multiDelete: boolean;
}

/** An S3 error answer. */
class S3Error extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: Record<string, string> = {},
  ) {
    super(message);
  }
}

const noSuchKey = (key: string) =>
  new S3Error(404, 'NoSuchKey', 'The specified key does not exist.', { Key: key });
const notImplemented = () =>
  new S3Error(
    501,
    'NotImplemented',
    'A header you provided implies functionality that is not implemented',
  );

interface Upload {
  key: string;
  headers: Record<string, string>;
  parts: Map<number, { body: Buffer; etag: string }>;
}

/**
 * Starts the server on 127.0.0.1.
 * @throws the listen error (EADDRINUSE for a port in use), or a file-system error when
 *   `directory` cannot be read.
 */
export async function startStrictS3(options: StrictS3Options): Promise<StrictS3Server> {
  const bucket = await Bucket.open(options.bucket, options.directory);
  const region = options.region ?? 'us-east-1';
  const known = new Set(options.accessKeyIds);
  const calls: S3Call[] = [];
  const uploads = new Map<string, Upload>();
  let sequencer = 0;

  const record = (call: S3Call) => {
    if (options.record) calls.push(call);
  };

  const allowed = async (check: {
    action: string;
    bucket: string;
    key?: string;
    prefix?: string;
  }) => {
    if (!options.authorize) return true;
    const resource =
      check.key === undefined
        ? `arn:aws:s3:::${check.bucket}`
        : `arn:aws:s3:::${check.bucket}/${check.key}`;
    const context: Record<string, string> =
      check.prefix === undefined ? {} : { 's3:prefix': check.prefix };
    return options.authorize({ action: check.action, resource, context });
  };

  const notify = (key: string, object: StoredObject, eventName: string) => {
    const { onObjectCreated } = options;
    if (!onObjectCreated || !key.startsWith(options.notifyPrefix ?? '')) return;
    const notification: S3Notification = {
      Records: [
        {
          eventVersion: '2.1',
          eventSource: 'aws:s3',
          awsRegion: region,
          eventTime: new Date().toISOString(),
          eventName: `ObjectCreated:${eventName}`,
          s3: {
            s3SchemaVersion: '1.0',
            bucket: { name: bucket.name, arn: `arn:aws:s3:::${bucket.name}` },
            object: {
              key: encodeEventKey(key),
              size: object.body.length,
              eTag: object.etag.slice(1, -1),
              sequencer: (++sequencer).toString(16).toUpperCase().padStart(16, '0'),
            },
          },
        },
      ],
    };
    // In a turn of its own: a listener that throws does not fail the write it reports.
    queueMicrotask(() => onObjectCreated(notification));
  };

  /** Stores an object if `conditions` hold now, in the same turn as their check. */
  const store = async (
    key: string,
    object: StoredObject,
    conditions: IncomingHttpHeaders,
    eventName: string,
  ) => {
    const refusal = preconditionRefusal(conditions, key, bucket.get(key)?.etag ?? null);
    if (refusal) throw refusal;
    const written = bucket.put(key, object);
    notify(key, object, eventName);
    await written;
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = req.url ?? '/';
    const method = req.method ?? 'GET';
    const accessKeyId = accessKeyIdOf(req);
    if (accessKeyId !== null && !known.has(accessKeyId)) {
      throw new S3Error(
        403,
        'InvalidAccessKeyId',
        'The AWS Access Key Id you provided does not exist in our records.',
        { AWSAccessKeyId: accessKeyId },
      );
    }
    const restricted = accessKeyId === options.functionAccessKeyId;
    const guarded = restricted && options.authorize !== undefined;
    const answered = (call: Omit<S3Call, 'accessKeyId' | 'restricted' | 'status'>) =>
      res.once('finish', () =>
        record({ accessKeyId, restricted, ...call, status: res.statusCode }),
      );
    const [rawPath = '/', rawQuery = ''] = url.split(/\?(.*)/s, 2);
    const query = new URLSearchParams(rawQuery);
    if (rawPath === '/' && method === 'GET') {
      const check = { action: 's3:ListAllMyBuckets', bucket: '' };
      answered(check);
      if (guarded && !(await allowed(check))) {
        throw new S3Error(403, 'AccessDenied', 'Access Denied');
      }
      req.resume();
      return listBuckets(res);
    }
    const operation = classify(method, rawPath, query, req.headers);
    if (!operation) {
      res.once('finish', () =>
        record({ accessKeyId, restricted, action: 'unknown', bucket: '', status: res.statusCode }),
      );
      if (guarded) throw new S3Error(403, 'AccessDenied', 'Access Denied');
      throw notImplemented();
    }
    const { key } = operation;
    if (key !== null && Buffer.byteLength(key) > MAX_KEY_BYTES) {
      for (const check of operation.checks) answered(check);
      throw new S3Error(400, 'KeyTooLongError', 'Your key is too long', {
        Size: String(Buffer.byteLength(key)),
        MaxSizeAllowed: String(MAX_KEY_BYTES),
      });
    }
    if (operation.bucket !== bucket.name) {
      for (const check of operation.checks) answered(check);
      throw new S3Error(404, 'NoSuchBucket', 'The specified bucket does not exist', {
        BucketName: operation.bucket,
      });
    }
    if (operation.multiDelete) return multiDelete(req, res, accessKeyId, guarded);
    for (const check of operation.checks) answered(check);
    if (guarded) {
      for (const check of operation.checks) {
        if (!(await allowed(check))) throw new S3Error(403, 'AccessDenied', 'Access Denied');
      }
    }
    if (key === null) return bucketRequest(req, res, method, query);
    try {
      await objectRequest(req, res, method, key, query);
    } catch (error) {
      // S3 says "no such key" only to a caller who could have listed the key.
      if (guarded && operation.read && error instanceof S3Error && error.status === 404) {
        const list = { action: 's3:ListBucket', bucket: bucket.name, prefix: key };
        const listable = await allowed(list);
        record({ accessKeyId, restricted, ...list, status: listable ? 404 : 403, implied: true });
        if (!listable) throw new S3Error(403, 'AccessDenied', 'Access Denied');
      }
      throw error;
    }
  };

  const bucketRequest = async (
    req: IncomingMessage,
    res: ServerResponse,
    method: string,
    query: URLSearchParams,
  ) => {
    req.resume();
    if (method === 'HEAD') return send(res, 200, { 'x-amz-bucket-region': region });
    if (query.has('location')) {
      // us-east-1 is S3's empty LocationConstraint.
      const location = region === 'us-east-1' ? '' : escapeXml(region);
      return sendXml(
        res,
        200,
        `<LocationConstraint xmlns="${S3_XMLNS}">${location}</LocationConstraint>`,
      );
    }
    return sendXml(res, 200, listObjects(bucket, bucket.name, query));
  };

  const objectRequest = async (
    req: IncomingMessage,
    res: ServerResponse,
    method: string,
    key: string,
    query: URLSearchParams,
  ) => {
    const uploadId = query.get('uploadId');
    if (method === 'GET' || method === 'HEAD') {
      req.resume();
      const version = query.get('versionId');
      if (version !== null && version !== 'null') {
        throw new S3Error(400, 'InvalidArgument', 'Invalid version id specified', {
          ArgumentName: 'versionId',
          ArgumentValue: version,
        });
      }
      const object = bucket.get(key);
      if (!object) throw noSuchKey(key);
      return sendObject(req, res, object, method === 'HEAD');
    }
    if (method === 'DELETE') {
      req.resume();
      if (uploadId !== null) {
        if (!uploads.delete(uploadId)) throw noSuchUpload();
        return send(res, 204);
      }
      // A conditional delete (If-Match), as general purpose buckets take it: 404 without the
      // object, 412 when its ETag differs.
      const match = req.headers['if-match'];
      if (match !== undefined) {
        const current = bucket.get(key);
        if (!current) throw noSuchKey(key);
        if (!etagMatches(match, current.etag)) throw preconditionFailed('If-Match');
      }
      await bucket.delete(key);
      return send(res, 204);
    }
    if (method === 'POST' && query.has('uploads')) {
      req.resume();
      const id = randomBytes(16).toString('hex');
      uploads.set(id, { key, headers: storedHeaders(req.headers), parts: new Map() });
      return sendXml(
        res,
        200,
        `<InitiateMultipartUploadResult xmlns="${S3_XMLNS}"><Bucket>${escapeXml(bucket.name)}</Bucket><Key>${escapeXml(key)}</Key><UploadId>${id}</UploadId></InitiateMultipartUploadResult>`,
      );
    }
    if (method === 'POST' && uploadId !== null) return completeUpload(req, res, key, uploadId);
    // PUT: a part, a copy or an object.
    if (uploadId !== null) {
      const upload = uploads.get(uploadId);
      const part = Number(query.get('partNumber'));
      if (!Number.isInteger(part) || part < 1 || part > 10_000) {
        req.resume();
        throw new S3Error(
          400,
          'InvalidArgument',
          'Part number must be an integer between 1 and 10000, inclusive',
          { ArgumentName: 'partNumber', ArgumentValue: String(query.get('partNumber')) },
        );
      }
      if (!upload || upload.key !== key) {
        req.resume();
        throw noSuchUpload();
      }
      const body = await readObjectBody(req);
      const etag = `"${md5(body).toString('hex')}"`;
      upload.parts.set(part, { body, etag });
      return send(res, 200, { etag });
    }
    const source = req.headers['x-amz-copy-source'];
    if (typeof source === 'string') return copyObject(req, res, key, source);
    const body = await readObjectBody(req);
    const object: StoredObject = {
      body,
      etag: `"${md5(body).toString('hex')}"`,
      lastModified: wholeSecondsNow(),
      headers: storedHeaders(req.headers),
    };
    await store(key, object, req.headers, 'Put');
    return send(res, 200, { etag: object.etag });
  };

  const copyObject = async (
    req: IncomingMessage,
    res: ServerResponse,
    key: string,
    header: string,
  ) => {
    req.resume();
    const source = copySource(header);
    if (!source) {
      throw new S3Error(
        400,
        'InvalidArgument',
        'Copy Source must mention the source bucket and key',
        {
          ArgumentName: 'x-amz-copy-source',
          ArgumentValue: header,
        },
      );
    }
    if (source.bucket !== bucket.name) {
      throw new S3Error(404, 'NoSuchBucket', 'The specified bucket does not exist', {
        BucketName: source.bucket,
      });
    }
    const original = bucket.get(source.key);
    if (!original) throw noSuchKey(source.key);
    const failed = failedCondition(req.headers, 'x-amz-copy-source-', original);
    if (failed) throw preconditionFailed(failed.condition);
    const replace = req.headers['x-amz-metadata-directive'] === 'REPLACE';
    if (source.key === key && !replace) {
      throw new S3Error(
        400,
        'InvalidRequest',
        "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.",
      );
    }
    const object: StoredObject = {
      body: original.body,
      etag: original.etag,
      lastModified: wholeSecondsNow(),
      headers: replace ? storedHeaders(req.headers) : original.headers,
    };
    await store(key, object, req.headers, 'Copy');
    return sendXml(
      res,
      200,
      `<CopyObjectResult xmlns="${S3_XMLNS}"><LastModified>${new Date(object.lastModified).toISOString()}</LastModified><ETag>${escapeXml(object.etag)}</ETag></CopyObjectResult>`,
    );
  };

  const completeUpload = async (
    req: IncomingMessage,
    res: ServerResponse,
    key: string,
    uploadId: string,
  ) => {
    const xml = await readXml(req);
    const upload = uploads.get(uploadId);
    if (!upload || upload.key !== key) throw noSuchUpload();
    const listed = [
      ...xml.matchAll(/<Part>[\s\S]*?<PartNumber>(\d+)<\/PartNumber>[\s\S]*?<\/Part>/g),
    ].map((m) => ({
      number: Number(m[1]),
      etag: unescapeXml(/<ETag>([\s\S]*?)<\/ETag>/.exec(m[0])?.[1] ?? ''),
    }));
    if (listed.length === 0) {
      throw new S3Error(
        400,
        'MalformedXML',
        'The XML you provided was not well-formed or did not validate against our published schema',
      );
    }
    const bodies: Buffer[] = [];
    const digests: Buffer[] = [];
    for (const [i, entry] of listed.entries()) {
      if (i > 0 && entry.number <= (listed[i - 1]?.number ?? 0)) {
        throw new S3Error(400, 'InvalidPartOrder', 'The list of parts was not in ascending order.');
      }
      const part = upload.parts.get(entry.number);
      if (!part || unquote(part.etag) !== unquote(entry.etag)) {
        throw new S3Error(
          400,
          'InvalidPart',
          "One or more of the specified parts could not be found.  The part may not have been uploaded, or the specified entity tag may not match the part's entity tag.",
          { UploadId: uploadId, PartNumber: String(entry.number), ETag: entry.etag },
        );
      }
      if (i < listed.length - 1 && part.body.length < MIN_PART_BYTES) {
        throw new S3Error(
          400,
          'EntityTooSmall',
          'Your proposed upload is smaller than the minimum allowed object size.',
          {
            ProposedSize: String(part.body.length),
            MinSizeAllowed: String(MIN_PART_BYTES),
            PartNumber: String(entry.number),
          },
        );
      }
      bodies.push(part.body);
      digests.push(Buffer.from(unquote(part.etag), 'hex'));
    }
    const object: StoredObject = {
      body: Buffer.concat(bodies),
      etag: `"${md5(Buffer.concat(digests)).toString('hex')}-${listed.length}"`,
      lastModified: wholeSecondsNow(),
      headers: upload.headers,
    };
    await store(key, object, req.headers, 'CompleteMultipartUpload');
    uploads.delete(uploadId);
    return sendXml(
      res,
      200,
      `<CompleteMultipartUploadResult xmlns="${S3_XMLNS}"><Location>http://${escapeXml(String(req.headers.host))}/${escapeXml(bucket.name)}/${escapeXml(key)}</Location><Bucket>${escapeXml(bucket.name)}</Bucket><Key>${escapeXml(key)}</Key><ETag>${escapeXml(object.etag)}</ETag></CompleteMultipartUploadResult>`,
    );
  };

  /** DeleteObjects: `s3:DeleteObject` per key; denied keys are reported in the result, as S3 does. */
  const multiDelete = async (
    req: IncomingMessage,
    res: ServerResponse,
    accessKeyId: string | null,
    guarded: boolean,
  ) => {
    const restricted = accessKeyId === options.functionAccessKeyId;
    const hasDigest =
      req.headers['content-md5'] !== undefined ||
      Object.keys(req.headers).some((name) => name.startsWith('x-amz-checksum-'));
    const xml = await readXml(req);
    if (!hasDigest) {
      throw new S3Error(
        400,
        'InvalidRequest',
        'Missing required header for this request: Content-MD5 OR x-amz-checksum-*',
      );
    }
    const { keys, quiet } = parseDeleteRequest(xml);
    if (keys.length === 0 || keys.length > 1000) {
      throw new S3Error(
        400,
        'MalformedXML',
        'The XML you provided was not well-formed or did not validate against our published schema',
      );
    }
    const results: string[] = [];
    const statuses = new Map<string, number>();
    for (const key of keys) {
      const check = { action: 's3:DeleteObject', bucket: bucket.name, key };
      if (guarded && !(await allowed(check))) {
        statuses.set(key, 403);
        results.push(
          `<Error><Key>${escapeXml(key)}</Key><Code>AccessDenied</Code><Message>Access Denied</Message></Error>`,
        );
        continue;
      }
      await bucket.delete(key);
      if (!quiet) results.push(`<Deleted><Key>${escapeXml(key)}</Key></Deleted>`);
    }
    res.once('finish', () => {
      for (const key of keys) {
        record({
          accessKeyId,
          restricted,
          action: 's3:DeleteObject',
          bucket: bucket.name,
          key,
          status: statuses.get(key) ?? res.statusCode,
        });
      }
    });
    sendXml(res, 200, `<DeleteResult xmlns="${S3_XMLNS}">${results.join('')}</DeleteResult>`);
  };

  const listBuckets = (res: ServerResponse) =>
    sendXml(
      res,
      200,
      `<ListAllMyBucketsResult xmlns="${S3_XMLNS}"><Owner><ID>local</ID><DisplayName>local</DisplayName></Owner><Buckets><Bucket><Name>${escapeXml(bucket.name)}</Name><CreationDate>${STARTED}</CreationDate></Bucket></Buckets></ListAllMyBucketsResult>`,
    );

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      // An unread request body is discarded so the connection stays usable.
      req.resume();
      if (error instanceof S3Error) sendError(req, res, error);
      else {
        sendError(
          req,
          res,
          new S3Error(500, 'InternalError', `The local S3 server failed: ${messageOf(error)}`),
        );
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    // A port in use is reported to the caller instead of crashing the process.
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    calls,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const STARTED = new Date().toISOString();

const noSuchUpload = () =>
  new S3Error(
    404,
    'NoSuchUpload',
    'The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.',
  );

const md5 = (bytes: Buffer) => createHash('md5').update(bytes).digest();

/** S3's Last-Modified has whole seconds; a conditional GET compares at that precision. */
const wholeSecondsNow = () => Math.floor(Date.now() / 1000) * 1000;

/** Content-Type and the other headers S3 keeps with an object. */
function storedHeaders(headers: IncomingHttpHeaders): Record<string, string> {
  const kept: Record<string, string> = { 'content-type': 'binary/octet-stream' };
  for (const name of STORED_HEADERS) {
    const value = headers[name];
    if (typeof value === 'string') kept[name] = value;
  }
  // aws-chunked describes how the body was sent, not the object.
  const encoding = kept['content-encoding']
    ?.split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '' && part !== 'aws-chunked')
    .join(', ');
  if (encoding) kept['content-encoding'] = encoding;
  else delete kept['content-encoding'];
  for (const [name, value] of Object.entries(headers)) {
    if (name.startsWith('x-amz-meta-') && typeof value === 'string') kept[name] = value;
  }
  return kept;
}

/**
 * Why a conditional write of `key` must not happen, as S3 answers it, or null when it may.
 * `current` is the object's quoted ETag, or null when there is none.
 */
function preconditionRefusal(
  headers: IncomingHttpHeaders,
  key: string,
  current: string | null,
): S3Error | null {
  const noneMatch = headers['if-none-match'];
  const match = headers['if-match'];
  if (noneMatch === undefined && match === undefined) return null;
  if (noneMatch !== undefined && noneMatch.trim() !== '*') {
    return new S3Error(
      501,
      'NotImplemented',
      'A header you provided implies functionality that is not implemented',
      { Header: 'If-None-Match' },
    );
  }
  if (noneMatch !== undefined && current !== null) {
    return new S3Error(
      412,
      'PreconditionFailed',
      'At least one of the pre-conditions you specified did not hold',
      { Condition: 'If-None-Match' },
    );
  }
  if (match !== undefined) {
    if (current === null) return noSuchKey(key);
    if (!etagMatches(match, current)) {
      return new S3Error(
        412,
        'PreconditionFailed',
        'At least one of the pre-conditions you specified did not hold',
        { Condition: 'If-Match' },
      );
    }
  }
  return null;
}

/** Whether an `If-Match`/`If-None-Match` list names `etag` (with or without quotes; `*`: any). */
function etagMatches(list: string, etag: string): boolean {
  const wanted = list.split(',').map(unquote);
  return wanted.includes('*') || wanted.includes(unquote(etag));
}

/**
 * Answers a GET or HEAD of an object: its conditional headers as S3 evaluates them (If-Match and
 * If-Unmodified-Since: 412; If-None-Match and If-Modified-Since: 304; a true If-Match makes
 * If-Unmodified-Since moot, a false If-None-Match If-Modified-Since), then one byte range.
 */
function sendObject(
  req: IncomingMessage,
  res: ServerResponse,
  object: StoredObject,
  head: boolean,
) {
  const { headers } = req;
  const lastModified = new Date(object.lastModified).toUTCString();
  const base: OutgoingHttpHeaders = {
    ...object.headers,
    etag: object.etag,
    'last-modified': lastModified,
    'accept-ranges': 'bytes',
  };
  const failed = failedCondition(headers, '', object);
  if (failed?.status === 412) throw preconditionFailed(failed.condition);
  if (failed?.status === 304) return send(res, 304, notModified(base));
  const size = object.body.length;
  const range = typeof headers.range === 'string' ? byteRange(headers.range, size) : null;
  if (range === 'unsatisfiable') {
    throw new S3Error(416, 'InvalidRange', 'The requested range is not satisfiable', {
      RangeRequested: String(headers.range),
      ActualObjectSize: String(size),
    });
  }
  if (range) {
    const [from, to] = range;
    const part = object.body.subarray(from, to + 1);
    res.writeHead(206, {
      ...base,
      ...requestIds(),
      'content-length': part.length,
      'content-range': `bytes ${from}-${to}/${size}`,
    });
    res.end(head ? undefined : part);
    return;
  }
  res.writeHead(200, { ...base, ...requestIds(), 'content-length': size });
  res.end(head ? undefined : object.body);
}

/**
 * The first of S3's conditions on an object that fails, with what it answers, or null when all
 * hold: If-Match and If-Unmodified-Since (a true If-Match makes the date moot) fail with 412,
 * If-None-Match and If-Modified-Since (a false If-None-Match makes the date moot) with 304 on a
 * read. `prefix` picks CopyObject's copies of them (`x-amz-copy-source-`), where all fail with 412.
 */
function failedCondition(
  headers: IncomingHttpHeaders,
  prefix: '' | 'x-amz-copy-source-',
  object: StoredObject,
): { status: 304 | 412; condition: string } | null {
  const value = (name: string) => {
    const v = headers[`${prefix}${name}`];
    return typeof v === 'string' ? v : undefined;
  };
  const time = (name: string) => {
    const t = Date.parse(value(name) ?? '');
    return Number.isNaN(t) ? null : t;
  };
  const fails = (status: 304 | 412, name: string) => ({
    status: prefix === '' ? status : 412,
    condition: `${prefix}${name.replace(/(^|-)(\w)/g, (_, dash: string, c: string) => dash + c.toUpperCase())}`,
  });
  const match = value('if-match');
  const unmodifiedSince = time('if-unmodified-since');
  if (match !== undefined) {
    if (!etagMatches(match, object.etag)) return fails(412, 'if-match');
  } else if (unmodifiedSince !== null && object.lastModified > unmodifiedSince) {
    return fails(412, 'if-unmodified-since');
  }
  const noneMatch = value('if-none-match');
  const modifiedSince = time('if-modified-since');
  if (noneMatch !== undefined) {
    if (etagMatches(noneMatch, object.etag)) return fails(304, 'if-none-match');
  } else if (modifiedSince !== null && object.lastModified <= modifiedSince) {
    return fails(304, 'if-modified-since');
  }
  return null;
}

const preconditionFailed = (condition: string) =>
  new S3Error(
    412,
    'PreconditionFailed',
    'At least one of the pre-conditions you specified did not hold',
    {
      Condition: condition,
    },
  );

/** A 304 carries the validators and caching headers only, no body or content headers. */
function notModified(headers: OutgoingHttpHeaders): OutgoingHttpHeaders {
  const { etag, 'last-modified': lastModified } = headers;
  return { etag, 'last-modified': lastModified };
}

/**
 * The inclusive byte range of a `Range: bytes=…` header, or null to send the whole object (a
 * header S3 ignores: another unit, several ranges, malformed), or 'unsatisfiable'.
 */
function byteRange(header: string, size: number): [number, number] | null | 'unsatisfiable' {
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!match || (match[1] === '' && match[2] === '')) return null;
  if (match[1] === '') {
    const suffix = Number(match[2]);
    if (suffix === 0) return 'unsatisfiable';
    return [Math.max(0, size - suffix), size - 1];
  }
  const from = Number(match[1]);
  const to = match[2] === '' ? size - 1 : Math.min(Number(match[2]), size - 1);
  if (from >= size) return 'unsatisfiable';
  if (to < from) return null;
  return [from, to];
}

/**
 * ListObjectsV2 (`list-type=2`) or ListObjects: keys in UTF-8 order under `prefix`, those with
 * `delimiter` after the prefix rolled up into common prefixes, which count toward `max-keys` as
 * keys do.
 * @throws {S3Error} 400 InvalidArgument for a bad max-keys or continuation token.
 */
function listObjects(bucket: Bucket, name: string, query: URLSearchParams): string {
  const v2 = query.get('list-type') === '2';
  const prefix = query.get('prefix') ?? '';
  const delimiter = query.get('delimiter') ?? '';
  const urlEncoded = query.get('encoding-type') === 'url';
  const maxKeysText = query.get('max-keys');
  const maxKeys = maxKeysText === null ? 1000 : Number(maxKeysText);
  if (!Number.isInteger(maxKeys) || maxKeys < 0) {
    throw new S3Error(
      400,
      'InvalidArgument',
      'Provided max-keys not an integer or within integer range',
      {
        ArgumentName: 'max-keys',
        ArgumentValue: String(maxKeysText),
      },
    );
  }
  const limit = Math.min(maxKeys, 1000);
  const token = v2 ? query.get('continuation-token') : null;
  let after = v2 ? (query.get('start-after') ?? '') : (query.get('marker') ?? '');
  let skipPrefix: string | null = null;
  if (token !== null) {
    const resumed = parseToken(token);
    if (!resumed) {
      throw new S3Error(400, 'InvalidArgument', 'The continuation token provided is incorrect', {
        ArgumentName: 'continuation-token',
      });
    }
    after = resumed.after;
    skipPrefix = resumed.commonPrefix ? resumed.after : null;
  }
  const keys = bucket.keys();
  // Listing starts at the first key at or after the prefix and past `after`, found by bisection.
  const firstWhere = (outside: (key: string) => boolean) => {
    let lo = 0;
    let hi = keys.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (outside(keys[mid] ?? '')) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  const start = Math.max(
    firstWhere((key) => compareKeys(key, prefix) < 0),
    after === '' ? 0 : firstWhere((key) => compareKeys(key, after) <= 0),
  );
  const contents: string[] = [];
  const prefixes: string[] = [];
  let count = 0;
  let truncated = false;
  let last: { after: string; commonPrefix: boolean } | null = null;
  const encode = (text: string) => escapeXml(urlEncoded ? encodeListKey(text) : text);
  for (let i = start; i < keys.length; i++) {
    const key = keys[i] ?? '';
    if (!key.startsWith(prefix)) break;
    if (skipPrefix !== null && key.startsWith(skipPrefix)) continue;
    const at = delimiter === '' ? -1 : key.indexOf(delimiter, prefix.length);
    const common = at === -1 ? null : key.slice(0, at + delimiter.length);
    if (count === limit) {
      // With max-keys=0 S3 lists nothing and says the listing is complete, not truncated.
      truncated = limit > 0;
      break;
    }
    count++;
    if (common !== null) {
      prefixes.push(`<CommonPrefixes><Prefix>${encode(common)}</Prefix></CommonPrefixes>`);
      last = { after: common, commonPrefix: true };
      skipPrefix = common;
      continue;
    }
    const object = bucket.get(key);
    if (!object) continue;
    contents.push(
      `<Contents><Key>${encode(key)}</Key><LastModified>${new Date(object.lastModified).toISOString()}</LastModified><ETag>${escapeXml(object.etag)}</ETag><Size>${object.body.length}</Size><StorageClass>STANDARD</StorageClass></Contents>`,
    );
    last = { after: key, commonPrefix: false };
  }
  const field = (tag: string, value: string) => `<${tag}>${value}</${tag}>`;
  const parts = [field('Name', escapeXml(name)), field('Prefix', encode(prefix))];
  if (v2) {
    if (token !== null) parts.push(field('ContinuationToken', escapeXml(token)));
    if (query.has('start-after'))
      parts.push(field('StartAfter', encode(query.get('start-after') ?? '')));
    parts.push(field('KeyCount', String(count)));
  } else {
    parts.push(field('Marker', encode(query.get('marker') ?? '')));
  }
  parts.push(field('MaxKeys', String(maxKeys)));
  if (delimiter !== '') parts.push(field('Delimiter', encode(delimiter)));
  if (urlEncoded) parts.push(field('EncodingType', 'url'));
  parts.push(field('IsTruncated', String(truncated)));
  if (truncated && last) {
    if (v2) parts.push(field('NextContinuationToken', escapeXml(makeToken(last))));
    else if (delimiter !== '') parts.push(field('NextMarker', encode(last.after)));
  }
  const tag = 'ListBucketResult';
  return `<${tag} xmlns="${S3_XMLNS}">${parts.join('')}${contents.join('')}${prefixes.join('')}</${tag}>`;
}

/** A continuation token: where the page ended, opaque to the client as S3's are. */
function makeToken(last: { after: string; commonPrefix: boolean }): string {
  return Buffer.from(JSON.stringify([last.after, last.commonPrefix])).toString('base64');
}

function parseToken(token: string): { after: string; commonPrefix: boolean } | null {
  try {
    const value: unknown = JSON.parse(Buffer.from(token, 'base64').toString('utf8'));
    if (Array.isArray(value) && typeof value[0] === 'string' && typeof value[1] === 'boolean') {
      return { after: value[0], commonPrefix: value[1] };
    }
  } catch {
    // Not a token of ours: answered below as S3 answers a bad one.
  }
  return null;
}

/** A key in a listing with `encoding-type=url`: percent-encoded, slashes kept, as S3 does. */
function encodeListKey(key: string): string {
  return encodeURIComponent(key).replace(/%2F/g, '/');
}

/**
 * The bucket, key and IAM checks of a request, or null for one the server does not know (a
 * bucket subresource other than location and listing, an object subresource, a malformed path).
 * Path-style addressing only, as every client here uses.
 */
function classify(
  method: string,
  rawPath: string,
  query: URLSearchParams,
  headers: IncomingHttpHeaders,
): Operation | null {
  const slash = rawPath.indexOf('/', 1);
  let bucket: string;
  let key: string | null;
  try {
    bucket = decodeURIComponent(slash === -1 ? rawPath.slice(1) : rawPath.slice(1, slash));
    const rest = slash === -1 ? '' : rawPath.slice(slash + 1);
    key = rest === '' ? null : decodeURIComponent(rest);
  } catch {
    return null;
  }
  if (bucket === '') return null;
  const base = { bucket, key, read: false, multiDelete: false };

  if (key === null) {
    const prefix = query.get('prefix') ?? '';
    if (method === 'GET' && [...query.keys()].every((name) => LIST_PARAMETERS.has(name))) {
      return { ...base, checks: [{ action: 's3:ListBucket', bucket, prefix }] };
    }
    if (method === 'GET' && query.has('location') && query.size === 1) {
      return { ...base, checks: [{ action: 's3:GetBucketLocation', bucket }] };
    }
    if (method === 'HEAD' && query.size === 0) {
      return { ...base, checks: [{ action: 's3:ListBucket', bucket }] };
    }
    if (method === 'POST' && query.has('delete')) return { ...base, checks: [], multiDelete: true };
    return null;
  }

  const object = { bucket, key };
  // Subresources not served here (acl, tagging, retention…): only these parameters may appear.
  const only = (...names: string[]) =>
    [...query.keys()].every((name) => names.includes(name) || name.startsWith('x-'));
  switch (method) {
    case 'GET':
    case 'HEAD':
      if (!only('versionId', 'partNumber')) return null;
      return {
        ...base,
        read: true,
        checks: [
          { action: query.has('versionId') ? 's3:GetObjectVersion' : 's3:GetObject', ...object },
        ],
      };
    case 'PUT': {
      if (query.has('uploadId')) {
        if (!only('uploadId', 'partNumber')) return null;
        return { ...base, checks: [{ action: 's3:PutObject', ...object }] };
      }
      if (!only()) return null;
      const checks: Operation['checks'] = [{ action: 's3:PutObject', ...object }];
      // A write conditional on the current ETag also needs to read it.
      if (headers['if-match'] !== undefined) checks.push({ action: 's3:GetObject', ...object });
      const header = headers['x-amz-copy-source'];
      if (header !== undefined) {
        const source = typeof header === 'string' ? copySource(header) : null;
        if (!source) return null;
        checks.push(source);
      }
      return { ...base, checks };
    }
    case 'POST':
      if (query.has('uploads') && only('uploads')) {
        return { ...base, checks: [{ action: 's3:PutObject', ...object }] };
      }
      if (query.has('uploadId') && only('uploadId')) {
        return { ...base, checks: [{ action: 's3:PutObject', ...object }] };
      }
      return null;
    case 'DELETE':
      if (query.has('uploadId')) {
        if (!only('uploadId')) return null;
        return { ...base, checks: [{ action: 's3:AbortMultipartUpload', ...object }] };
      }
      if (!only('versionId')) return null;
      return {
        ...base,
        checks: [
          {
            action: query.has('versionId') ? 's3:DeleteObjectVersion' : 's3:DeleteObject',
            ...object,
          },
        ],
      };
    default:
      return null;
  }
}

/** Query parameters of ListObjects and ListObjectsV2. */
const LIST_PARAMETERS = new Set([
  'list-type',
  'prefix',
  'delimiter',
  'marker',
  'max-keys',
  'encoding-type',
  'continuation-token',
  'fetch-owner',
  'start-after',
  'x-id',
]);

/**
 * The read check of a CopyObject source (`/bucket/key?versionId=…`, URL-encoded), or null when
 * the header is malformed.
 */
function copySource(header: string): { action: string; bucket: string; key: string } | null {
  const [path = '', query = ''] = header.replace(/^\//, '').split(/\?(.*)/s, 2);
  const slash = path.indexOf('/');
  if (slash <= 0) return null;
  try {
    return {
      action: new URLSearchParams(query).has('versionId') ? 's3:GetObjectVersion' : 's3:GetObject',
      bucket: decodeURIComponent(path.slice(0, slash)),
      key: decodeURIComponent(path.slice(slash + 1)),
    };
  } catch {
    return null;
  }
}

/** The access key id of a SigV4 (header or query) or SigV2 signature; null when unsigned. */
function accessKeyIdOf(req: IncomingMessage): string | null {
  const authorization = req.headers.authorization;
  if (authorization) {
    return (
      /Credential=([^/,\s]+)\//.exec(authorization)?.[1] ??
      /^AWS ([^:]+):/.exec(authorization)?.[1] ??
      null
    );
  }
  const url = req.url ?? '';
  if (!url.includes('Credential=') && !url.includes('AWSAccessKeyId=')) return null;
  const query = new URLSearchParams(url.split(/\?(.*)/s, 2)[1] ?? '');
  return query.get('X-Amz-Credential')?.split('/')[0] ?? query.get('AWSAccessKeyId') ?? null;
}

/**
 * An object's or part's body, decoded from `aws-chunked` when sent so, and checked against
 * `Content-MD5` and a hex `x-amz-content-sha256` when given.
 * @throws {S3Error} EntityTooLarge, IncompleteBody, BadDigest, InvalidDigest,
 *   XAmzContentSHA256Mismatch.
 */
async function readObjectBody(req: IncomingMessage): Promise<Buffer> {
  const raw = await readBody(req, MAX_BODY_BYTES);
  if (raw === null) {
    throw new S3Error(
      400,
      'EntityTooLarge',
      'Your proposed upload exceeds the maximum allowed size',
      {
        MaxSizeAllowed: String(MAX_BODY_BYTES),
      },
    );
  }
  const { headers } = req;
  const payloadHash = headers['x-amz-content-sha256'];
  const chunked =
    (typeof payloadHash === 'string' && payloadHash.startsWith('STREAMING-')) ||
    String(headers['content-encoding'] ?? '').includes('aws-chunked');
  const body = chunked ? decodeAwsChunked(raw) : raw;
  const declared = headers['x-amz-decoded-content-length'];
  if (chunked && declared !== undefined && Number(declared) !== body.length) {
    throw new S3Error(
      400,
      'IncompleteBody',
      'You did not provide the number of bytes specified by the Content-Length HTTP header',
    );
  }
  const contentMd5 = headers['content-md5'];
  if (typeof contentMd5 === 'string') {
    const wanted = Buffer.from(contentMd5, 'base64');
    if (wanted.length !== 16) {
      throw new S3Error(400, 'InvalidDigest', 'The Content-MD5 you specified was invalid.', {
        'Content-MD5': contentMd5,
      });
    }
    if (!wanted.equals(md5(body))) {
      throw new S3Error(
        400,
        'BadDigest',
        'The Content-MD5 you specified did not match what we received.',
        {
          ExpectedDigest: contentMd5,
          CalculatedDigest: md5(body).toString('base64'),
        },
      );
    }
  }
  if (typeof payloadHash === 'string' && /^[0-9a-f]{64}$/i.test(payloadHash)) {
    const actual = createHash('sha256').update(raw).digest('hex');
    if (actual !== payloadHash.toLowerCase()) {
      throw new S3Error(
        400,
        'XAmzContentSHA256Mismatch',
        "The provided 'x-amz-content-sha256' header does not match what was computed.",
        {
          ClientComputedContentSHA256: payloadHash,
          S3ComputedContentSHA256: actual,
        },
      );
    }
  }
  return body;
}

/**
 * The payload of an `aws-chunked` body: `<hex size>[;chunk-signature=…]\r\n<bytes>\r\n` chunks up
 * to one of size 0, then optional trailers (checksums, not checked here).
 * @throws {S3Error} 400 IncompleteBody when the framing is broken.
 */
function decodeAwsChunked(raw: Buffer): Buffer {
  const chunks: Buffer[] = [];
  let at = 0;
  for (;;) {
    const end = raw.indexOf('\r\n', at);
    if (end === -1) break;
    const size = Number.parseInt(raw.subarray(at, end).toString('latin1').split(';')[0] ?? '', 16);
    if (!Number.isInteger(size) || size < 0 || end + 2 + size > raw.length) break;
    if (size === 0) return Buffer.concat(chunks);
    chunks.push(raw.subarray(end + 2, end + 2 + size));
    at = end + 2 + size + 2;
  }
  throw new S3Error(400, 'IncompleteBody', 'The request body is not valid aws-chunked encoding');
}

/** An XML request body, whole. @throws {S3Error} MalformedXML when it is too large. */
async function readXml(req: IncomingMessage): Promise<string> {
  const body = await readBody(req, MAX_XML_BYTES);
  if (body === null) throw new S3Error(400, 'MalformedXML', 'The XML you provided was too large.');
  return body.toString('utf8');
}

/** Reads a body into memory; null when it is longer than `limit` bytes. */
async function readBody(stream: IncomingMessage, limit: number): Promise<Buffer | null> {
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of stream) {
    length += (chunk as Buffer).length;
    if (length > limit) {
      stream.resume();
      return null;
    }
    chunks.push(chunk as Buffer);
  }
  return chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks);
}

/** The ids S3 puts on every answer, for a support case; random here. */
function requestIds(): { 'x-amz-request-id': string; 'x-amz-id-2': string } {
  const bytes = randomBytes(24);
  return {
    'x-amz-request-id': bytes.subarray(0, 8).toString('hex').toUpperCase(),
    'x-amz-id-2': bytes.subarray(8).toString('base64'),
  };
}

function send(res: ServerResponse, status: number, headers: OutgoingHttpHeaders = {}) {
  res.writeHead(status, { ...headers, ...requestIds(), 'content-length': 0, server: 'AmazonS3' });
  res.end();
}

function sendXml(res: ServerResponse, status: number, xml: string) {
  const body = `<?xml version="1.0" encoding="UTF-8"?>\n${xml}`;
  res.writeHead(status, {
    ...requestIds(),
    'content-type': 'application/xml',
    'content-length': Buffer.byteLength(body),
    server: 'AmazonS3',
  });
  res.end(body);
}

function sendError(req: IncomingMessage, res: ServerResponse, error: S3Error) {
  const ids = requestIds();
  const fields = Object.entries(error.details)
    .map(([name, value]) => `<${name}>${escapeXml(value)}</${name}>`)
    .join('');
  // A HEAD answer has no body: S3 sends the status alone.
  const body =
    req.method === 'HEAD'
      ? ''
      : `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${error.code}</Code><Message>${escapeXml(error.message)}</Message>${fields}<RequestId>${ids['x-amz-request-id']}</RequestId><HostId>${ids['x-amz-id-2']}</HostId></Error>`;
  res.writeHead(error.status, {
    ...ids,
    'content-type': 'application/xml',
    'content-length': Buffer.byteLength(body),
    server: 'AmazonS3',
  });
  res.end(body);
}

/** The keys of a DeleteObjects request body, and whether it asks for a quiet answer. */
function parseDeleteRequest(xml: string): { keys: string[]; quiet: boolean } {
  const keys = [...xml.matchAll(/<Key>([\s\S]*?)<\/Key>/g)].map((m) => unescapeXml(m[1] ?? ''));
  return { keys, quiet: /<Quiet>\s*true\s*<\/Quiet>/i.test(xml) };
}

function escapeXml(text: string): string {
  return text.replace(
    /[<>&"']/g,
    (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c] ?? c,
  );
}

function unescapeXml(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#\d+|lt|gt|amp|quot|apos);/gi, (_, entity: string) => {
    const named: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };
    if (entity[0] !== '#') return named[entity.toLowerCase()] ?? '';
    const code =
      entity[1] === 'x' || entity[1] === 'X'
        ? Number.parseInt(entity.slice(2), 16)
        : Number(entity.slice(1));
    return String.fromCodePoint(code);
  });
}

function unquote(etag: string): string {
  return etag.trim().replace(/^W\//, '').replace(/^"|"$/g, '');
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
