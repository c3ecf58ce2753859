import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
  S3ServiceException,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_CREDENTIALS, LOCAL_REGION, startLocalS3 } from '../../cli/local/s3';
import { type S3Notification, type StrictS3Server, startStrictS3 } from '../../cli/local/strict-s3';
import { createS3Client } from '../../cli/s3-client';
import { createSigner } from '../../shared/store';

const BUCKET = 'conformance';
const MIB = 1024 * 1024;

/** A signed request with the local credentials; resolves with status, headers and body. */
async function send(
  endpoint: string,
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: Buffer,
) {
  const signed = await createSigner(LOCAL_CREDENTIALS, LOCAL_REGION)(
    method,
    `${endpoint}${path}`,
    headers,
  );
  const sent: Record<string, string> = Object.fromEntries(signed.headers);
  if (body) sent['content-length'] = String(body.length);
  return new Promise<{ status: number; headers: Record<string, unknown>; body: string }>(
    (resolve, reject) => {
      const out = request(`${endpoint}${path}`, { method, headers: sent }, (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            headers: response.headers,
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
      });
      out.on('error', reject);
      out.end(body);
    },
  );
}

/** The status and S3 error code a command ends with. */
async function outcome(sent: Promise<{ $metadata: { httpStatusCode?: number } }>) {
  try {
    return { status: (await sent).$metadata.httpStatusCode, code: undefined };
  } catch (error) {
    if (!(error instanceof S3ServiceException)) throw error;
    return { status: error.$metadata.httpStatusCode, code: error.name };
  }
}

/** An ETag as S3 documents it for a single-part object: the MD5 of the body, in hex. */
const md5Hex = (text: string | Buffer) => createHash('md5').update(text).digest('hex');

describe('local S3 server', () => {
  let server: StrictS3Server;
  let s3: S3Client;
  const notifications: S3Notification[] = [];

  beforeAll(async () => {
    server = await startStrictS3({
      bucket: BUCKET,
      accessKeyIds: [LOCAL_CREDENTIALS.accessKeyId],
      functionAccessKeyId: 'NONE',
      notifyPrefix: 'incoming/',
      onObjectCreated: (notification) => notifications.push(notification),
    });
    s3 = createS3Client({
      region: LOCAL_REGION,
      endpoint: server.endpoint,
      credentials: LOCAL_CREDENTIALS,
    });
  });
  afterAll(() => server.close());

  it('answers a PutObject and GetObject with the headers S3 sends', async () => {
    const put = await send(
      server.endpoint,
      'PUT',
      `/${BUCKET}/docs/a.json`,
      { 'content-type': 'application/json', 'x-amz-meta-origin': 'test' },
      Buffer.from('{"a":1}'),
    );
    expect(put.status).toBe(200);
    expect(put.headers.etag).toBe(`"${md5Hex('{"a":1}')}"`);
    expect(put.headers['x-amz-request-id']).toMatch(/^[0-9A-F]{16}$/);
    const got = await send(server.endpoint, 'GET', `/${BUCKET}/docs/a.json`);
    expect(got).toMatchObject({ status: 200, body: '{"a":1}' });
    expect(got.headers).toMatchObject({
      etag: put.headers.etag,
      'content-type': 'application/json',
      'content-length': '7',
      'accept-ranges': 'bytes',
      'x-amz-meta-origin': 'test',
    });
    expect(Date.parse(String(got.headers['last-modified']))).toBeGreaterThan(Date.now() - 60_000);
  });

  it('answers a missing key with 404 NoSuchKey in S3’s XML, and a HEAD of it with no body', async () => {
    const got = await send(server.endpoint, 'GET', `/${BUCKET}/docs/none.json`);
    expect(got.status).toBe(404);
    expect(got.headers['content-type']).toBe('application/xml');
    expect(got.body).toMatch(
      /^<\?xml version="1.0" encoding="UTF-8"\?>\n<Error><Code>NoSuchKey<\/Code><Message>The specified key does not exist.<\/Message><Key>docs\/none.json<\/Key><RequestId>[0-9A-F]{16}<\/RequestId><HostId>/,
    );
    const head = await send(server.endpoint, 'HEAD', `/${BUCKET}/docs/none.json`);
    expect(head).toMatchObject({ status: 404, body: '' });
    expect(await send(server.endpoint, 'GET', '/another-bucket/docs/a.json')).toMatchObject({
      status: 404,
      body: expect.stringContaining('<Code>NoSuchBucket</Code>'),
    });
  });

  it('answers conditional reads with 304 and 412, and ranges with 206 and 416', async () => {
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'docs/r.txt', Body: '0123456789' }));
    const etag = `"${md5Hex('0123456789')}"`;
    const path = `/${BUCKET}/docs/r.txt`;
    expect((await send(server.endpoint, 'GET', path, { 'if-none-match': etag })).status).toBe(304);
    expect(await send(server.endpoint, 'GET', path, { 'if-match': '"other"' })).toMatchObject({
      status: 412,
      body: expect.stringContaining('<Code>PreconditionFailed</Code>'),
    });
    const future = new Date(Date.now() + 60_000).toUTCString();
    expect((await send(server.endpoint, 'GET', path, { 'if-modified-since': future })).status).toBe(
      304,
    );
    const part = await send(server.endpoint, 'GET', path, { range: 'bytes=2-4' });
    expect(part).toMatchObject({ status: 206, body: '234' });
    expect(part.headers['content-range']).toBe('bytes 2-4/10');
    expect((await send(server.endpoint, 'GET', path, { range: 'bytes=-3' })).body).toBe('789');
    expect(await send(server.endpoint, 'GET', path, { range: 'bytes=10-' })).toMatchObject({
      status: 416,
      body: expect.stringContaining('<Code>InvalidRange</Code>'),
    });
  });

  it('lists keys in UTF-8 order with prefix, delimiter, max-keys, continuation and start-after', async () => {
    const keys = [
      'list/a.txt',
      'list/b/1.txt',
      'list/b/2.txt',
      'list/c.txt',
      'list/\uffee.txt',
      'list/𠀀.txt',
      'other/x.txt',
    ];
    for (const Key of keys) await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key, Body: 'x' }));
    const all = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'list/' }));
    // U+FFEE is one UTF-16 unit, 𠀀 two that sort lower, but UTF-8 puts U+FFEE first.
    expect(all.Contents?.map((c) => c.Key)).toEqual(keys.slice(0, 6));
    expect(all.Contents?.[0]).toMatchObject({ Size: 1, ETag: `"${md5Hex('x')}"` });
    const rolled = await s3.send(
      new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'list/', Delimiter: '/' }),
    );
    expect(rolled.Contents?.map((c) => c.Key)).toEqual([
      'list/a.txt',
      'list/c.txt',
      'list/\uffee.txt',
      'list/𠀀.txt',
    ]);
    expect(rolled.CommonPrefixes).toEqual([{ Prefix: 'list/b/' }]);
    expect(rolled.KeyCount).toBe(5);
    // Pages of two: a common prefix counts toward max-keys as a key does.
    const pages: string[][] = [];
    let token: string | undefined;
    do {
      const page = await s3.send(
        new ListObjectsV2Command({
          Bucket: BUCKET,
          Prefix: 'list/',
          Delimiter: '/',
          MaxKeys: 2,
          ContinuationToken: token,
        }),
      );
      pages.push([
        ...(page.Contents ?? []).map((c) => c.Key ?? ''),
        ...(page.CommonPrefixes ?? []).map((p) => p.Prefix ?? ''),
      ]);
      expect(page.IsTruncated).toBe(page.NextContinuationToken !== undefined);
      token = page.NextContinuationToken;
    } while (token);
    expect(pages).toEqual([
      ['list/a.txt', 'list/b/'],
      ['list/c.txt', 'list/\uffee.txt'],
      ['list/𠀀.txt'],
    ]);
    const after = await s3.send(
      new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'list/', StartAfter: 'list/b/2.txt' }),
    );
    expect(after.Contents?.map((c) => c.Key)).toEqual(keys.slice(3, 6));
    expect(
      await send(server.endpoint, 'GET', `/${BUCKET}?list-type=2&continuation-token=bogus`),
    ).toMatchObject({ status: 400, body: expect.stringContaining('<Code>InvalidArgument</Code>') });
  });

  it('deletes several keys at once, and refuses a DeleteObjects without a body digest', async () => {
    for (const Key of ['del/a', 'del/b']) {
      await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key, Body: 'x' }));
    }
    const result = await s3.send(
      new DeleteObjectsCommand({
        Bucket: BUCKET,
        Delete: { Objects: [{ Key: 'del/a' }, { Key: 'del/b' }, { Key: 'del/never' }] },
      }),
    );
    // S3 reports a key that was not there as deleted too.
    expect(result.Deleted?.map((d) => d.Key)).toEqual(['del/a', 'del/b', 'del/never']);
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'del/' }));
    expect(listed.KeyCount).toBe(0);
    const xml = Buffer.from('<Delete><Object><Key>del/a</Key></Object></Delete>');
    expect(await send(server.endpoint, 'POST', `/${BUCKET}?delete`, {}, xml)).toMatchObject({
      status: 400,
      body: expect.stringContaining('<Code>InvalidRequest</Code>'),
    });
  });

  it('copies an object, and refuses a copy onto itself that changes nothing', async () => {
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'copy/from', Body: 'copied' }));
    const copy = await s3.send(
      new CopyObjectCommand({ Bucket: BUCKET, Key: 'copy/to', CopySource: `${BUCKET}/copy/from` }),
    );
    expect(copy.CopyObjectResult?.ETag).toBe(`"${md5Hex('copied')}"`);
    const got = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'copy/to' }));
    expect(await got.Body?.transformToString()).toBe('copied');
    expect(
      await outcome(
        s3.send(
          new CopyObjectCommand({
            Bucket: BUCKET,
            Key: 'copy/from',
            CopySource: `${BUCKET}/copy/from`,
          }),
        ),
      ),
    ).toEqual({ status: 400, code: 'InvalidRequest' });
  });

  it('checks the conditions of a copy on its source and of a delete on its object, with 412 and 404', async () => {
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'cond/a', Body: 'a' }));
    const etag = `"${md5Hex('a')}"`;
    const copy = (conditions: Record<string, string>) =>
      outcome(
        s3.send(
          new CopyObjectCommand({
            Bucket: BUCKET,
            Key: 'cond/b',
            CopySource: `${BUCKET}/cond/a`,
            ...conditions,
          }),
        ),
      );
    expect(await copy({ CopySourceIfMatch: '"wrong"' })).toEqual({
      status: 412,
      code: 'PreconditionFailed',
    });
    expect(await copy({ CopySourceIfNoneMatch: etag })).toEqual({
      status: 412,
      code: 'PreconditionFailed',
    });
    expect(await copy({ CopySourceIfMatch: etag })).toEqual({ status: 200, code: undefined });
    expect(
      (await send(server.endpoint, 'DELETE', `/${BUCKET}/cond/a`, { 'if-match': '"wrong"' }))
        .status,
    ).toBe(412);
    expect(
      (await send(server.endpoint, 'DELETE', `/${BUCKET}/cond/none`, { 'if-match': etag })).status,
    ).toBe(404);
    expect(
      (await send(server.endpoint, 'DELETE', `/${BUCKET}/cond/a`, { 'if-match': etag })).status,
    ).toBe(204);
    const empty = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, MaxKeys: 0 }));
    expect(empty.IsTruncated).toBe(false);
    expect(empty.KeyCount).toBe(0);
  });

  it('assembles a multipart upload, with the ETag S3 gives one, and refuses a small first part', async () => {
    const Key = 'incoming/big file.txt';
    const first = Buffer.alloc(5 * MIB, 'a');
    const second = Buffer.from('tail');
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: BUCKET, Key }));
    const parts = [];
    for (const [i, Body] of [first, second].entries()) {
      const { ETag } = await s3.send(
        new UploadPartCommand({ Bucket: BUCKET, Key, UploadId, PartNumber: i + 1, Body }),
      );
      parts.push({ ETag, PartNumber: i + 1 });
    }
    const done = await s3.send(
      new CompleteMultipartUploadCommand({
        Bucket: BUCKET,
        Key,
        UploadId,
        MultipartUpload: { Parts: parts },
      }),
    );
    const digests = Buffer.concat([first, second].map((b) => Buffer.from(md5Hex(b), 'hex')));
    expect(done.ETag).toBe(`"${md5Hex(digests)}-2"`);
    const got = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key }));
    expect((await got.Body?.transformToByteArray())?.length).toBe(first.length + 4);
    expect(notifications.at(-1)?.Records[0]?.eventName).toBe(
      'ObjectCreated:CompleteMultipartUpload',
    );

    const small = await s3.send(new CreateMultipartUploadCommand({ Bucket: BUCKET, Key }));
    const tiny = [];
    for (const PartNumber of [1, 2]) {
      const { ETag } = await s3.send(
        new UploadPartCommand({
          Bucket: BUCKET,
          Key,
          UploadId: small.UploadId,
          PartNumber,
          Body: 'x',
        }),
      );
      tiny.push({ ETag, PartNumber });
    }
    expect(
      await outcome(
        s3.send(
          new CompleteMultipartUploadCommand({
            Bucket: BUCKET,
            Key,
            UploadId: small.UploadId,
            MultipartUpload: { Parts: tiny },
          }),
        ),
      ),
    ).toEqual({ status: 400, code: 'EntityTooSmall' });
  });

  it('decodes an aws-chunked upload and checks Content-MD5 and x-amz-content-sha256', async () => {
    const chunked = Buffer.from(
      '5\r\nhello\r\n6\r\n world\r\n0\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n',
    );
    const put = await send(
      server.endpoint,
      'PUT',
      `/${BUCKET}/chunked.txt`,
      {
        'x-amz-content-sha256': 'STREAMING-UNSIGNED-PAYLOAD-TRAILER',
        'content-encoding': 'aws-chunked',
        'x-amz-decoded-content-length': '11',
        'x-amz-trailer': 'x-amz-checksum-crc32',
      },
      chunked,
    );
    expect(put.status).toBe(200);
    const got = await send(server.endpoint, 'GET', `/${BUCKET}/chunked.txt`);
    expect(got.body).toBe('hello world');
    expect(got.headers['content-encoding']).toBeUndefined();
    const badMd5 = await send(
      server.endpoint,
      'PUT',
      `/${BUCKET}/md5.txt`,
      { 'content-md5': Buffer.from(md5Hex('other'), 'hex').toString('base64') },
      Buffer.from('body'),
    );
    expect(badMd5).toMatchObject({
      status: 400,
      body: expect.stringContaining('<Code>BadDigest</Code>'),
    });
    const badSha = await send(
      server.endpoint,
      'PUT',
      `/${BUCKET}/sha.txt`,
      { 'x-amz-content-sha256': '0'.repeat(64) },
      Buffer.from('body'),
    );
    expect(badSha.body).toContain('<Code>XAmzContentSHA256Mismatch</Code>');
  });

  it('refuses an unknown access key, and answers what it does not implement with 501', async () => {
    const stranger = createS3Client({
      region: LOCAL_REGION,
      endpoint: server.endpoint,
      credentials: { accessKeyId: 'STRANGER', secretAccessKey: 'x' },
    });
    expect(
      await outcome(stranger.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'docs/a.json' }))),
    ).toEqual({ status: 403, code: 'InvalidAccessKeyId' });
    expect(await send(server.endpoint, 'GET', `/${BUCKET}/docs/a.json?acl`)).toMatchObject({
      status: 501,
      body: expect.stringContaining('<Code>NotImplemented</Code>'),
    });
  });

  it('notifies objects created under its prefix only, keys URL-encoded as S3 sends them', async () => {
    const before = notifications.length;
    await s3.send(
      new PutObjectCommand({ Bucket: BUCKET, Key: 'incoming/会议 纪要.txt', Body: 'x' }),
    );
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'digests/skip.json', Body: 'x' }));
    await new Promise((resolve) => setImmediate(resolve));
    const added = notifications.slice(before);
    expect(added).toHaveLength(1);
    expect(added[0]?.Records[0]).toMatchObject({
      eventSource: 'aws:s3',
      eventName: 'ObjectCreated:Put',
      s3: {
        bucket: { name: BUCKET, arn: `arn:aws:s3:::${BUCKET}` },
        object: {
          key: 'incoming/%E4%BC%9A%E8%AE%AE+%E7%BA%AA%E8%A6%81.txt',
          size: 1,
          eTag: md5Hex('x'),
        },
      },
    });
  });
});

describe('local S3 server with a folder', () => {
  it('keeps the bucket across restarts, deletions included', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'local-s3-test-'));
    try {
      const first = await startLocalS3({ bucket: BUCKET, directory });
      const long = `incoming/${'长'.repeat(300)}.txt`;
      for (const Key of ['incoming/kept.txt', 'incoming/gone.txt', long]) {
        await first.client.send(new PutObjectCommand({ Bucket: BUCKET, Key, Body: Key }));
      }
      await first.client.send(
        new DeleteObjectsCommand({
          Bucket: BUCKET,
          Delete: { Objects: [{ Key: 'incoming/gone.txt' }] },
        }),
      );
      await first.close();
      const second = await startLocalS3({ bucket: BUCKET, directory });
      try {
        const listed = await second.client.send(new ListObjectsV2Command({ Bucket: BUCKET }));
        expect(listed.Contents?.map((c) => c.Key)).toEqual(['incoming/kept.txt', long]);
        expect(listed.Contents?.[0]?.ETag).toBe(`"${md5Hex('incoming/kept.txt')}"`);
        const got = await second.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: long }));
        expect(await got.Body?.transformToString()).toBe(long);
      } finally {
        await second.close();
      }
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  });
});
