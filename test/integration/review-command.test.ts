import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type LocalS3, startLocalS3 } from '../../cli/local/s3';
import { LOCAL_BUCKET } from '../../cli/local/session';
import { reviewCommand } from '../../cli/review/command';
import { UsageError } from '../../cli/usage';

describe('article-digest review --local', () => {
  let s3: LocalS3;
  let dir: string;
  beforeEach(async () => {
    s3 = await startLocalS3({ bucket: LOCAL_BUCKET });
    dir = await mkdtemp(join(tmpdir(), 'article-digest-review-'));
  });
  afterEach(async () => {
    await s3.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('says the bucket holds no digest or error record yet, instead of writing an empty page', async () => {
    // Only a source so far: the page of it was empty, with exit code 0 and no word.
    await s3.client.send(
      new PutObjectCommand({
        Bucket: LOCAL_BUCKET,
        Key: 'incoming/a.txt',
        Body: '一是抓好春耕生产。',
      }),
    );
    const port = new URL(s3.endpoint).port;
    const file = join(dir, 'review.html');
    const printed: string[] = [];
    const review = reviewCommand(['--local', '--port', port, '--out', file], {}, (line) =>
      printed.push(line),
    );
    await expect(review).rejects.toBeInstanceOf(UsageError);
    await expect(review).rejects.toThrow(
      `no digests or error records in s3://${LOCAL_BUCKET} under digests/ or errors/ yet: drop a file into the watch server first, or check the prefixes (OUTPUT_PREFIX, ERROR_PREFIX)`,
    );
    expect(printed).toEqual([]);
    expect(existsSync(file)).toBe(false);
  });
});
