import { createHash, createHmac } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';
import { AwsV4Signer } from 'aws4fetch';
import { describe, expect, it } from 'vitest';
import { createSigner } from '../../shared/store';

const credentials = {
  accessKeyId: 'AKIDEXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
  sessionToken: 'session-token-example',
};

describe('S3 request signer', () => {
  it('signs exactly as aws4fetch does for reads, conditional writes and odd keys', async () => {
    const sign = createSigner(credentials, 'eu-west-1');
    const requests: Array<[string, string, Record<string, string>]> = [
      ['GET', 'https://bucket.s3.eu-west-1.amazonaws.com/digests/a%20b/%E8%B4%A2.json', {}],
      ['GET', 'https://s3.eu-west-1.amazonaws.com/my.bucket/x?versionId=3%2Fa', {}],
      ['HEAD', 'http://127.0.0.1:4569/b/incoming/(1)%21.txt', {}],
      [
        'PUT',
        'https://bucket.s3.eu-west-1.amazonaws.com/cache/k',
        { 'content-type': 'application/json', 'if-none-match': '*', 'if-match': '"abc"' },
      ],
    ];
    for (const datetime of ['20261122T070000Z', '20261123T000001Z']) {
      for (const [method, url, headers] of requests) {
        const ours = await sign(method, url, headers, datetime);
        const theirs = await new AwsV4Signer({
          ...credentials,
          service: 's3',
          region: 'eu-west-1',
          method,
          url,
          headers,
          datetime,
        }).sign();
        expect(ours.headers.get('authorization')).toBe(theirs.headers.get('authorization'));
        expect([...ours.headers]).toEqual([...theirs.headers]);
        expect(ours.url.href).toBe(theirs.url.href);
      }
    }
  });

  it('signs "." and ".." segments as sent, as the AWS SDK does for S3 (aws4fetch resolves them away)', async () => {
    const bytes = (data: string | ArrayBuffer | ArrayBufferView) =>
      typeof data === 'string'
        ? data
        : ArrayBuffer.isView(data)
          ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
          : new Uint8Array(data);
    /** The SDK's hash interface over node:crypto. */
    class Sha256 {
      private readonly hash;
      constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
        this.hash =
          secret === undefined ? createHash('sha256') : createHmac('sha256', bytes(secret));
      }
      update(data: string | ArrayBuffer | ArrayBufferView) {
        this.hash.update(bytes(data));
      }
      async digest() {
        return new Uint8Array(this.hash.digest());
      }
    }
    const sdk = new SignatureV4({
      credentials,
      region: 'eu-west-1',
      service: 's3',
      sha256: Sha256,
      // S3's settings in the SDK: the path is signed as sent, neither normalized nor re-encoded.
      uriEscapePath: false,
      applyChecksum: true,
    });
    const sign = createSigner(credentials, 'eu-west-1');
    for (const path of ['/b/digests/%2E%2E/a.json', '/b/incoming/%2E/%281%29%21.txt']) {
      const theirs = await sdk.sign(
        {
          method: 'HEAD',
          protocol: 'http:',
          hostname: '127.0.0.1',
          port: 4569,
          path,
          query: {},
          headers: { host: '127.0.0.1:4569', 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' },
        },
        { signingDate: new Date(Date.UTC(2026, 10, 22, 7, 0, 0)) },
      );
      const ours = await sign('HEAD', `http://127.0.0.1:4569${path}`, {}, '20261122T070000Z');
      expect(ours.headers.get('authorization')).toBe(theirs.headers.authorization);
      expect(ours.path).toBe(path);
    }
  });
});
