/**
 * A strict front for the local S3 server: an HTTP proxy on loopback that answers as AWS S3 does
 * where s3rver is lenient, and streams everything else through unchanged. It enforces
 *
 * - S3's key limit: a key of more than 1,024 bytes of UTF-8 is refused with 400 KeyTooLongError;
 * - conditional writes on PutObject (and CopyObject's destination): `If-None-Match: *` answers
 *   412 PreconditionFailed when the key exists; `If-Match: "<etag>"` answers 412 when the current
 *   ETag differs and 404 NoSuchKey when there is no object; any other `If-None-Match` value is
 *   501 NotImplemented. Writes to one key are serialized (S3 may instead answer 409
 *   ConditionalRequestConflict to one of two racing conditional writes: a client must treat both
 *   alike, and serializing makes "exactly one wins" deterministic);
 * - optionally, IAM: requests signed with the function's access key id are checked against an
 *   {@link Authorize} callback (a policy simulator in tests) and refused with 403 AccessDenied;
 *   a GET or HEAD of a missing key answers 404 only when `s3:ListBucket` is allowed with
 *   `s3:prefix` equal to the key, and 403 otherwise, as S3 does.
 *
 * s3rver already answers conditional GET/HEAD with `If-None-Match` (304) and `If-Modified-Since`;
 * `If-Match` and `If-Unmodified-Since` on reads are not added because nothing here sends them.
 *
 * s3rver does not verify SigV4 signatures, only that the access key id is one it knows, so the
 * function's key id is replaced by the server's own on the way through; the signature is left as
 * it was made.
 */
import {
  Agent,
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type RequestListener,
  request,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';

/** S3's longest key, in bytes of UTF-8. */
const MAX_KEY_BYTES = 1024;
/** Largest multi-object delete body read into memory (1,000 keys of 1,024 bytes fit). */
const MAX_DELETE_BODY_BYTES = 2 * 1024 * 1024;

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

/** One S3 action a request performed or was refused, as the front answered it. */
export interface S3Call {
  /** The access key id that signed the request; null when unsigned. */
  accessKeyId: string | null;
  /** Whether the request was the function's, checked against the policy. */
  restricted: boolean;
  /** The IAM action, e.g. `s3:GetObject`; `unknown` for a request the front cannot map. */
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

export interface StrictS3Options {
  /** The lenient server behind the front (s3rver), e.g. `http://127.0.0.1:4568`. */
  upstream: string;
  /** The access key id the upstream server knows; the function's is replaced by it. */
  upstreamAccessKeyId: string;
  /** Requests signed with this access key id are the function's. */
  functionAccessKeyId: string;
  /** Checks the function's requests; without it they are not restricted. */
  authorize?: Authorize | undefined;
  /** Keep every call in {@link StrictS3Front.calls}. Default false (memory grows per request). */
  record?: boolean | undefined;
  /** Port on 127.0.0.1; 0 (the default) picks a free one. */
  port?: number | undefined;
  /**
   * The upstream server's request handler, when it runs in this process (s3rver's Koa
   * callback): requests whose answer the front passes on unchanged are handed to it directly
   * instead of over a second HTTP connection. The front still checks them first, as ever; only
   * the answers it must read (a denied 404, a filtered multi-object delete) and the ETag of a
   * conditional write go through `upstream`.
   */
  dispatch?: RequestListener | undefined;
}

export interface StrictS3Front {
  endpoint: string;
  /** The calls answered so far, in the order they finished (empty unless `record` is set). */
  readonly calls: S3Call[];
  close(): Promise<void>;
}

/** What the front needs to know of a request before it forwards it. */
interface Operation {
  bucket: string;
  key: string | null;
  /** Checked in order; the request is refused if any is denied. */
  checks: Array<{ action: string; bucket: string; key?: string; prefix?: string }>;
  /** A PUT that replaces the object at `key`, whose conditions the front evaluates. */
  write: boolean;
  /** A write or delete of `key`: serialized with other writes of the same key. */
  mutates: boolean;
  /** A read whose 404 depends on `s3:ListBucket`. */
  read: boolean;
  multiDelete: boolean;
}

/** Starts the front on 127.0.0.1. */
export async function startStrictS3(options: StrictS3Options): Promise<StrictS3Front> {
  const upstream = new URL(options.upstream);
  const agent = new Agent({ keepAlive: true });
  const calls: S3Call[] = [];
  const locks = new KeyLocks();

  const record = (call: S3Call) => {
    if (options.record) calls.push(call);
  };

  /** Sends a request to the upstream server and resolves with its response head. */
  const forward = (
    method: string,
    path: string,
    headers: IncomingHttpHeaders,
    body?: IncomingMessage | Buffer,
  ) =>
    new Promise<IncomingMessage>((resolve, reject) => {
      const out = request(
        { host: upstream.hostname, port: upstream.port, method, path, headers, agent },
        resolve,
      );
      out.on('error', reject);
      if (Buffer.isBuffer(body)) out.end(body);
      else if (body) {
        body.pipe(out);
        // A client that goes away mid-upload must not leave the upstream request waiting.
        body.once('close', () => {
          if (!body.complete) out.destroy();
        });
      } else out.end();
    });

  /**
   * Answers a request with the upstream server's answer, unchanged: in process when the
   * upstream handler is here, else over HTTP. Resolves when the client has the answer.
   */
  const passOn = async (req: IncomingMessage, res: ServerResponse, accessKeyId: string | null) => {
    const { dispatch } = options;
    if (!dispatch) {
      const url = req.url ?? '/';
      return relay(
        await forward(req.method ?? 'GET', url, upstreamHeaders(req, accessKeyId), req),
        res,
      );
    }
    const headers = upstreamHeaders(req, accessKeyId);
    for (const name of Object.keys(req.headers)) if (!(name in headers)) delete req.headers[name];
    Object.assign(req.headers, headers);
    const answered = new Promise<void>((resolve) => res.once('close', resolve));
    dispatch(req, res);
    await answered;
  };

  /** The current ETag of an object (quoted, as S3 sends it), or null when there is none. */
  const currentEtag = async (path: string): Promise<string | null> => {
    const response = await forward('HEAD', path, { host: upstream.host });
    response.resume();
    if (response.statusCode === 404) return null;
    if (response.statusCode !== 200) {
      throw new Error(`HEAD ${path} answered ${response.statusCode}`);
    }
    return String(response.headers.etag ?? '');
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = req.url ?? '/';
    const method = req.method ?? 'GET';
    const accessKeyId = accessKeyIdOf(req);
    const restricted = accessKeyId === options.functionAccessKeyId;
    const guarded = restricted && options.authorize !== undefined;
    const operation = classify(method, url, req.headers);
    const answered = (call: Omit<S3Call, 'accessKeyId' | 'restricted' | 'status'>) =>
      res.once('finish', () =>
        record({ accessKeyId, restricted, ...call, status: res.statusCode }),
      );

    if (!operation) {
      if (guarded) {
        record({ accessKeyId, restricted, action: 'unknown', bucket: '', status: 403 });
        return sendError(req, res, 403, 'AccessDenied', 'Access Denied');
      }
      res.once('finish', () =>
        record({ accessKeyId, restricted, action: 'unknown', bucket: '', status: res.statusCode }),
      );
      return passOn(req, res, accessKeyId);
    }
    const { bucket, key } = operation;
    if (key !== null && Buffer.byteLength(key) > MAX_KEY_BYTES) {
      for (const check of operation.checks) answered(check);
      return sendError(req, res, 400, 'KeyTooLongError', 'Your key is too long', {
        Size: String(Buffer.byteLength(key)),
        MaxSizeAllowed: String(MAX_KEY_BYTES),
      });
    }
    if (operation.multiDelete) return multiDelete(req, res, operation, accessKeyId, guarded);

    for (const check of operation.checks) answered(check);
    if (guarded) {
      for (const check of operation.checks) {
        if (!(await allowed(check)))
          return sendError(req, res, 403, 'AccessDenied', 'Access Denied');
      }
    }
    if (!operation.mutates) {
      // Only the function's reads, checked against a policy, need their answer read here.
      if (!(guarded && operation.read)) return passOn(req, res, accessKeyId);
      const response = await forward(method, url, upstreamHeaders(req, accessKeyId), req);
      if (response.statusCode === 404 && key !== null) {
        // S3 says "no such key" only to a caller who could have listed the key.
        const list = { action: 's3:ListBucket', bucket, prefix: key };
        const listable = await allowed(list);
        record({ accessKeyId, restricted, ...list, status: listable ? 404 : 403, implied: true });
        if (!listable) {
          response.resume();
          return sendError(req, res, 403, 'AccessDenied', 'Access Denied');
        }
      }
      return relay(response, res);
    }
    await locks.run(`${bucket}/${key}`, async () => {
      if (operation.write) {
        const refusal = await preconditionRefusal(req.headers, () =>
          currentEtag(url.split('?')[0] ?? url),
        );
        if (refusal) return sendError(req, res, ...refusal);
      }
      // The lock is held until the write is answered, so the next check sees its result.
      await passOn(req, res, accessKeyId);
    });
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

  /** DeleteObjects: `s3:DeleteObject` per key; denied keys are reported in the result, as S3 does. */
  const multiDelete = async (
    req: IncomingMessage,
    res: ServerResponse,
    operation: Operation,
    accessKeyId: string | null,
    guarded: boolean,
  ) => {
    const restricted = accessKeyId === options.functionAccessKeyId;
    const body = await readBody(req, MAX_DELETE_BODY_BYTES);
    if (body === null) {
      return sendError(req, res, 400, 'MalformedXML', 'The XML you provided was too large.');
    }
    const { keys, quiet } = parseDeleteRequest(body.toString('utf8'));
    const denied = new Set<string>();
    if (guarded) {
      for (const key of keys) {
        if (!(await allowed({ action: 's3:DeleteObject', bucket: operation.bucket, key }))) {
          denied.add(key);
        }
      }
    }
    const finish = () => {
      for (const key of keys) {
        record({
          accessKeyId,
          restricted,
          action: 's3:DeleteObject',
          bucket: operation.bucket,
          key,
          status: denied.has(key) ? 403 : res.statusCode,
        });
      }
    };
    res.once('finish', finish);
    const errors = [...denied]
      .map(
        (key) =>
          `<Error><Key>${escapeXml(key)}</Key><Code>AccessDenied</Code><Message>Access Denied</Message></Error>`,
      )
      .join('');
    const permitted = keys.filter((key) => !denied.has(key));
    if (permitted.length === 0) {
      const xml = `<?xml version="1.0" encoding="UTF-8"?>\n<DeleteResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">${errors}</DeleteResult>`;
      res.writeHead(200, {
        'content-type': 'application/xml',
        'content-length': Buffer.byteLength(xml),
      });
      res.end(xml);
      return;
    }
    const headers = upstreamHeaders(req, accessKeyId);
    let forwarded = body;
    if (denied.size > 0) {
      forwarded = Buffer.from(deleteRequestXml(permitted, quiet));
      // The body changed: its digests no longer hold (s3rver checks none of them).
      for (const name of Object.keys(headers)) {
        if (name === 'content-md5' || name.startsWith('x-amz-checksum-')) delete headers[name];
      }
      headers['content-length'] = String(forwarded.length);
    }
    const response = await forward('POST', req.url ?? '/', headers, forwarded);
    if (denied.size === 0) return relay(response, res);
    const result = (await readBody(response, Number.POSITIVE_INFINITY)) ?? Buffer.alloc(0);
    const xml = result.toString('utf8').replace('</DeleteResult>', `${errors}</DeleteResult>`);
    const { 'content-length': _length, 'transfer-encoding': _encoding, ...rest } = response.headers;
    res.writeHead(response.statusCode ?? 200, {
      ...withoutHopByHop(rest),
      'content-length': Buffer.byteLength(xml),
    });
    res.end(xml);
  };

  const upstreamHeaders = (req: IncomingMessage, accessKeyId: string | null) => {
    const headers = withoutHopByHop({ ...req.headers });
    // The front already answered any `Expect: 100-continue` to its client.
    delete headers.expect;
    headers.host = upstream.host;
    if (accessKeyId === options.functionAccessKeyId && headers.authorization) {
      headers.authorization = headers.authorization.replace(
        `Credential=${accessKeyId}/`,
        `Credential=${options.upstreamAccessKeyId}/`,
      );
    }
    return headers;
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) {
        sendError(
          req,
          res,
          500,
          'InternalError',
          `The strict S3 front failed: ${messageOf(error)}`,
        );
      } else {
        res.destroy();
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
        agent.destroy();
        server.close(() => resolve());
      }),
  };
}

/**
 * Why a conditional write must not happen, as S3 answers it, or null when it may. `current`
 * gives the object's quoted ETag, or null when there is none.
 */
async function preconditionRefusal(
  headers: IncomingHttpHeaders,
  current: () => Promise<string | null>,
): Promise<[number, string, string, Record<string, string>?] | null> {
  const noneMatch = headers['if-none-match'];
  const match = headers['if-match'];
  if (noneMatch === undefined && match === undefined) return null;
  if (noneMatch !== undefined && noneMatch.trim() !== '*') {
    return [
      501,
      'NotImplemented',
      'A header you provided implies functionality that is not implemented',
      { Header: 'If-None-Match' },
    ];
  }
  const etag = await current();
  if (noneMatch !== undefined && etag !== null) {
    return [
      412,
      'PreconditionFailed',
      'At least one of the pre-conditions you specified did not hold',
      { Condition: 'If-None-Match' },
    ];
  }
  if (match !== undefined) {
    if (etag === null) return [404, 'NoSuchKey', 'The specified key does not exist.'];
    // S3 compares ETags with or without their quotes; `*` matches any existing object.
    const wanted = match.split(',').map(unquote);
    if (!wanted.includes('*') && !wanted.includes(unquote(etag))) {
      return [
        412,
        'PreconditionFailed',
        'At least one of the pre-conditions you specified did not hold',
        { Condition: 'If-Match' },
      ];
    }
  }
  return null;
}

/**
 * The bucket, key and IAM checks of a request, or null for one the front does not know (a
 * service-level call, a bucket subresource other than listing and multi-object delete, or a
 * malformed path). Path-style addressing only, as every client here uses.
 */
function classify(method: string, url: string, headers: IncomingHttpHeaders): Operation | null {
  const [rawPath = '/', rawQuery = ''] = url.split(/\?(.*)/s, 2);
  const query = new URLSearchParams(rawQuery);
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
  const base = { bucket, key, write: false, mutates: false, read: false, multiDelete: false };

  if (key === null) {
    const prefix = query.get('prefix') ?? '';
    if (method === 'GET' && [...query.keys()].every((name) => LIST_PARAMETERS.has(name))) {
      return { ...base, checks: [{ action: 's3:ListBucket', bucket, prefix }] };
    }
    if (method === 'GET' && query.has('versions')) {
      return { ...base, checks: [{ action: 's3:ListBucketVersions', bucket, prefix }] };
    }
    if (method === 'GET' && query.has('location')) {
      return { ...base, checks: [{ action: 's3:GetBucketLocation', bucket }] };
    }
    if (method === 'HEAD' && query.size === 0) {
      return { ...base, checks: [{ action: 's3:ListBucket', bucket }] };
    }
    if (method === 'POST' && query.has('delete')) return { ...base, checks: [], multiDelete: true };
    return null;
  }

  const object = { bucket, key };
  const versioned = query.has('versionId');
  switch (method) {
    case 'GET':
    case 'HEAD': {
      if (query.has('acl')) return { ...base, checks: [{ action: 's3:GetObjectAcl', ...object }] };
      if (query.has('tagging'))
        return { ...base, checks: [{ action: 's3:GetObjectTagging', ...object }] };
      if (query.has('uploadId'))
        return { ...base, checks: [{ action: 's3:ListMultipartUploadParts', ...object }] };
      const action = versioned ? 's3:GetObjectVersion' : 's3:GetObject';
      return { ...base, read: true, checks: [{ action, ...object }] };
    }
    case 'PUT': {
      if (query.has('acl')) return { ...base, checks: [{ action: 's3:PutObjectAcl', ...object }] };
      if (query.has('tagging'))
        return { ...base, checks: [{ action: 's3:PutObjectTagging', ...object }] };
      if (query.has('uploadId'))
        return { ...base, checks: [{ action: 's3:PutObject', ...object }] };
      const checks: Operation['checks'] = [{ action: 's3:PutObject', ...object }];
      // A write conditional on the current ETag also needs to read it.
      if (headers['if-match'] !== undefined) checks.push({ action: 's3:GetObject', ...object });
      const source = copySource(headers['x-amz-copy-source']);
      if (source === undefined) return null;
      if (source) checks.push(source);
      return { ...base, checks, write: true, mutates: true };
    }
    case 'POST':
      if (query.has('uploads') || query.has('uploadId')) {
        return { ...base, checks: [{ action: 's3:PutObject', ...object }] };
      }
      return null;
    case 'DELETE': {
      if (query.has('uploadId'))
        return { ...base, checks: [{ action: 's3:AbortMultipartUpload', ...object }] };
      if (query.has('tagging'))
        return { ...base, checks: [{ action: 's3:DeleteObjectTagging', ...object }] };
      const action = versioned ? 's3:DeleteObjectVersion' : 's3:DeleteObject';
      return { ...base, mutates: true, checks: [{ action, ...object }] };
    }
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
 * The read check of a CopyObject source (`/bucket/key?versionId=…`, URL-encoded): null when the
 * request is no copy, undefined when the header is malformed.
 */
function copySource(
  header: string | string[] | undefined,
): { action: string; bucket: string; key: string } | null | undefined {
  if (header === undefined) return null;
  if (Array.isArray(header)) return undefined;
  const [path = '', query = ''] = header.replace(/^\//, '').split(/\?(.*)/s, 2);
  const slash = path.indexOf('/');
  if (slash <= 0) return undefined;
  try {
    return {
      action: new URLSearchParams(query).has('versionId') ? 's3:GetObjectVersion' : 's3:GetObject',
      bucket: decodeURIComponent(path.slice(0, slash)),
      key: decodeURIComponent(path.slice(slash + 1)),
    };
  } catch {
    return undefined;
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
  const query = new URLSearchParams((req.url ?? '').split(/\?(.*)/s, 2)[1] ?? '');
  return query.get('X-Amz-Credential')?.split('/')[0] ?? query.get('AWSAccessKeyId') ?? null;
}

/** Passes an upstream response on, streaming its body; resolves when the client has it. */
function relay(response: IncomingMessage, res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    res.once('close', () => {
      if (!response.complete) response.destroy();
      resolve();
    });
    res.writeHead(response.statusCode ?? 502, withoutHopByHop({ ...response.headers }));
    response.pipe(res);
    response.once('error', () => res.destroy());
  });
}

function sendError(
  req: IncomingMessage,
  res: ServerResponse,
  status: number,
  code: string,
  message: string,
  details: Record<string, string> = {},
) {
  // An unread request body is discarded so the connection stays usable.
  req.resume();
  const requestId = Math.random().toString(16).slice(2, 18).toUpperCase();
  const fields = Object.entries(details)
    .map(([name, value]) => `<${name}>${escapeXml(value)}</${name}>`)
    .join('');
  const body =
    req.method === 'HEAD'
      ? ''
      : `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${escapeXml(message)}</Message>${fields}<RequestId>${requestId}</RequestId></Error>`;
  res.writeHead(status, {
    'content-type': 'application/xml',
    'content-length': Buffer.byteLength(body),
    'x-amz-request-id': requestId,
  });
  res.end(body);
}

const HOP_BY_HOP = [
  'connection',
  'keep-alive',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
];

function withoutHopByHop<T extends Record<string, unknown>>(headers: T): T {
  for (const name of HOP_BY_HOP) delete headers[name];
  return headers;
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
  return Buffer.concat(chunks);
}

/** The keys of a DeleteObjects request body, and whether it asks for a quiet answer. */
function parseDeleteRequest(xml: string): { keys: string[]; quiet: boolean } {
  const keys = [...xml.matchAll(/<Key>([\s\S]*?)<\/Key>/g)].map((m) => unescapeXml(m[1] ?? ''));
  return { keys, quiet: /<Quiet>\s*true\s*<\/Quiet>/i.test(xml) };
}

function deleteRequestXml(keys: string[], quiet: boolean): string {
  const objects = keys.map((key) => `<Object><Key>${escapeXml(key)}</Key></Object>`).join('');
  return `<?xml version="1.0" encoding="UTF-8"?>\n<Delete>${quiet ? '<Quiet>true</Quiet>' : ''}${objects}</Delete>`;
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

/** Runs tasks one at a time per key, in arrival order; other keys are not held up. */
class KeyLocks {
  private readonly tails = new Map<string, Promise<void>>();

  async run(key: string, task: () => Promise<void>): Promise<void> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const done = previous.then(task);
    const tail = done.catch(() => {});
    this.tails.set(key, tail);
    try {
      await done;
    } finally {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }
}
