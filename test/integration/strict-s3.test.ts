import {
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  type S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  LOCAL_FUNCTION_CREDENTIALS,
  LOCAL_REGION,
  type LocalS3,
  startLocalS3,
} from '../../cli/local/s3';
import { createS3Client } from '../../cli/s3-client';
import { type PolicyDocument, simulatorAuthorizer } from '../support/iam';

/** The status and S3 error code a command ends with. */
async function answer(sent: Promise<{ $metadata: { httpStatusCode?: number } }>) {
  try {
    const output = await sent;
    return { status: output.$metadata.httpStatusCode, code: undefined };
  } catch (error) {
    if (!(error instanceof S3ServiceException)) throw error;
    return { status: error.$metadata.httpStatusCode, code: error.name };
  }
}

describe('strict local S3', () => {
  let s3: LocalS3;
  const put = (
    Key: string,
    Body: string,
    condition: { IfNoneMatch?: string; IfMatch?: string } = {},
  ) => answer(s3.client.send(new PutObjectCommand({ Bucket: s3.bucket, Key, Body, ...condition })));

  beforeAll(async () => {
    s3 = await startLocalS3({ bucket: 'strict-test' });
  });
  afterAll(() => s3.close());

  it('refuses a key longer than 1,024 bytes of UTF-8 with 400 KeyTooLongError', async () => {
    // 9 + 3 × 338 = 1,023 bytes in 347 characters: the limit counts bytes, not characters.
    const longest = `incoming/${'文'.repeat(338)}x`;
    expect(Buffer.byteLength(longest)).toBe(1024);
    expect(await put(longest, 'fits')).toEqual({ status: 200, code: undefined });
    expect(await put(`${longest}y`, 'too long')).toEqual({ status: 400, code: 'KeyTooLongError' });
    expect(
      await answer(s3.client.send(new GetObjectCommand({ Bucket: s3.bucket, Key: `${longest}y` }))),
    ).toEqual({ status: 400, code: 'KeyTooLongError' });
  });

  it('answers 412 PreconditionFailed to If-None-Match: * when the key exists', async () => {
    expect(await put('cache/lease-1', 'first', { IfNoneMatch: '*' })).toEqual({
      status: 200,
      code: undefined,
    });
    expect(await put('cache/lease-1', 'second', { IfNoneMatch: '*' })).toEqual({
      status: 412,
      code: 'PreconditionFailed',
    });
    const body = await s3.client.send(
      new GetObjectCommand({ Bucket: s3.bucket, Key: 'cache/lease-1' }),
    );
    expect(await body.Body?.transformToString()).toBe('first');
  });

  it('answers If-Match with 412 for another ETag, 404 NoSuchKey for no object, and writes on a match', async () => {
    await put('cache/lease-2', 'v1');
    const { ETag } = await s3.client.send(
      new HeadObjectCommand({ Bucket: s3.bucket, Key: 'cache/lease-2' }),
    );
    expect(
      await put('cache/lease-2', 'stale', { IfMatch: '"0123456789abcdef0123456789abcdef"' }),
    ).toEqual({
      status: 412,
      code: 'PreconditionFailed',
    });
    expect(await put('cache/never-written', 'x', { IfMatch: ETag ?? '' })).toEqual({
      status: 404,
      code: 'NoSuchKey',
    });
    // S3 compares ETags with or without their quotes.
    expect(await put('cache/lease-2', 'v2', { IfMatch: (ETag ?? '').replaceAll('"', '') })).toEqual(
      {
        status: 200,
        code: undefined,
      },
    );
    expect(await put('cache/lease-2', 'v3', { IfMatch: ETag ?? '' })).toMatchObject({
      status: 412,
    });
  });

  it('lets exactly one of 12 parallel If-None-Match: * writes of one key win', async () => {
    const results = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        put('cache/contended.lease', `writer ${i}`, { IfNoneMatch: '*' }),
      ),
    );
    const winners = results.flatMap((r, i) => (r.status === 200 ? [i] : []));
    expect(winners).toHaveLength(1);
    expect(results.filter((r) => r.status === 412)).toHaveLength(11);
    const stored = await s3.client.send(
      new GetObjectCommand({ Bucket: s3.bucket, Key: 'cache/contended.lease' }),
    );
    expect(await stored.Body?.transformToString()).toBe(`writer ${winners[0]}`);
  });
});

describe('strict local S3 with the function restricted by a policy', () => {
  const policy: PolicyDocument = {
    Version: '2012-10-17',
    Statement: [
      { Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::policy-test/*' },
      {
        Effect: 'Allow',
        Action: ['s3:PutObject', 's3:DeleteObject'],
        Resource: 'arn:aws:s3:::policy-test/out/*',
      },
      {
        Effect: 'Allow',
        Action: 's3:ListBucket',
        Resource: 'arn:aws:s3:::policy-test',
        Condition: { StringLike: { 's3:prefix': ['listed/*'] } },
      },
    ],
  };
  let s3: LocalS3;
  let fn: S3Client;

  beforeAll(async () => {
    s3 = await startLocalS3({
      bucket: 'policy-test',
      authorizeFunction: simulatorAuthorizer(policy),
      recordCalls: true,
    });
    fn = createS3Client({
      region: LOCAL_REGION,
      endpoint: s3.endpoint,
      credentials: LOCAL_FUNCTION_CREDENTIALS,
    });
  });
  afterAll(() => s3.close());

  it('answers 404 for a missing key the function may list, 403 AccessDenied for one it may not', async () => {
    const get = (Key: string) => answer(fn.send(new GetObjectCommand({ Bucket: s3.bucket, Key })));
    expect(await get('listed/missing.json')).toEqual({ status: 404, code: 'NoSuchKey' });
    expect(await get('unlisted/missing.json')).toEqual({ status: 403, code: 'AccessDenied' });
    expect(
      await answer(
        fn.send(new HeadObjectCommand({ Bucket: s3.bucket, Key: 'unlisted/missing.json' })),
      ),
    ).toMatchObject({ status: 403 });
    // An object that exists is read whatever the listing permission.
    await s3.client.send(
      new PutObjectCommand({ Bucket: s3.bucket, Key: 'unlisted/here.txt', Body: 'x' }),
    );
    expect(await get('unlisted/here.txt')).toEqual({ status: 200, code: undefined });
    // The listing check is made before the answer is sent, so it is recorded first.
    const missing = 'unlisted/missing.json';
    const check = { action: 's3:ListBucket', prefix: missing, status: 403, implied: true };
    const read = { action: 's3:GetObject', key: missing, status: 403, restricted: true };
    expect(s3.calls.filter((c) => c.key === missing || c.prefix === missing)).toEqual(
      [check, read, check, read].map((call) => expect.objectContaining(call)),
    );
  });

  it('refuses a write the policy denies with 403 AccessDenied, and not for the local key', async () => {
    const denied = await answer(
      fn.send(new PutObjectCommand({ Bucket: s3.bucket, Key: 'in/a.txt', Body: 'x' })),
    );
    expect(denied).toEqual({ status: 403, code: 'AccessDenied' });
    expect(
      await answer(
        fn.send(new PutObjectCommand({ Bucket: s3.bucket, Key: 'out/a.json', Body: 'x' })),
      ),
    ).toEqual({ status: 200, code: undefined });
    expect(
      await answer(
        s3.client.send(new PutObjectCommand({ Bucket: s3.bucket, Key: 'in/a.txt', Body: 'x' })),
      ),
    ).toEqual({ status: 200, code: undefined });
    expect(s3.calls.filter((c) => c.action === 's3:PutObject' && c.key === 'in/a.txt')).toEqual([
      expect.objectContaining({ accessKeyId: LOCAL_FUNCTION_CREDENTIALS.accessKeyId, status: 403 }),
      expect.objectContaining({ restricted: false, status: 200 }),
    ]);
  });

  it('deletes only the permitted keys of a multi-object delete and reports the others as AccessDenied', async () => {
    for (const Key of ['out/x.json', 'in/y.txt']) {
      await s3.client.send(new PutObjectCommand({ Bucket: s3.bucket, Key, Body: 'x' }));
    }
    const result = await fn.send(
      new DeleteObjectsCommand({
        Bucket: s3.bucket,
        Delete: { Objects: [{ Key: 'out/x.json' }, { Key: 'in/y.txt' }] },
      }),
    );
    expect(result.Deleted?.map((d) => d.Key)).toEqual(['out/x.json']);
    expect(result.Errors?.map((e) => [e.Key, e.Code])).toEqual([['in/y.txt', 'AccessDenied']]);
    expect(
      await answer(s3.client.send(new HeadObjectCommand({ Bucket: s3.bucket, Key: 'in/y.txt' }))),
    ).toMatchObject({ status: 200 });
  });
});
