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
      ['HEAD', 'http://127.0.0.1:4569/b/incoming/%2E/(1)%21.txt', {}],
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
});
