import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { NAMED_QUERIES, namedQuerySql, QUERY_SCAN_LIMIT_BYTES } from '../../cdk/digest-catalog';
import type { DigestStack } from '../../cdk/digest-stack';
import {
  athenaTasksViewSql,
  DIGEST_COLUMNS,
  ERROR_COLUMNS,
  hiveType,
  TASK_VIEW_COLUMNS,
} from '../../shared/catalog';
import { ROOT } from '../support/fixtures';
import { logicalIdOf, synthApp } from '../support/synth';

type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

/**
 * Whether an EventBridge pattern matches an event, for the parts of the pattern language the
 * stack uses: arrays of exact values or `{ prefix }`, nested objects.
 */
function matches(pattern: Json, event: Json): boolean {
  if (Array.isArray(pattern)) {
    return pattern.some((p) =>
      p && typeof p === 'object' && !Array.isArray(p) && 'prefix' in p
        ? typeof event === 'string' && event.startsWith(String(p.prefix))
        : p === event,
    );
  }
  if (pattern && typeof pattern === 'object') {
    if (!event || typeof event !== 'object' || Array.isArray(event)) return false;
    return Object.entries(pattern).every(([key, sub]) => matches(sub, event[key] ?? null));
  }
  throw new Error(`not a pattern: ${JSON.stringify(pattern)}`);
}

/** An S3 event as EventBridge delivers it (shape of S3's documented "Object Created" example). */
function s3Event(key: string, { bucket = 'articles-bucket', type = 'Object Created' } = {}): Json {
  return {
    version: '0',
    id: '17793124-05d4-b198-2fde-7ededc63b103',
    'detail-type': type,
    source: 'aws.s3',
    account: '111122223333',
    time: '2026-11-12T00:00:00Z',
    region: 'eu-west-1',
    resources: [`arn:aws:s3:::${bucket}`],
    detail: {
      version: '0',
      bucket: { name: bucket },
      object: {
        key,
        size: 5576,
        etag: 'b1946ac92492d2347c6235b4d2611184',
        sequencer: '00617F08299329D189',
      },
      'request-id': 'N4N7GDK58NMKJ12R',
      requester: '123456789012',
      reason: 'PutObject',
    },
  };
}

/** An output's value with the bucket's name in place of its reference. */
function outputJson(template: Template, name: string, bucketName: string): Json {
  const value = template.findOutputs(name)[name]?.Value as Json;
  const join = (value as { 'Fn::Join'?: [string, Json[]] })['Fn::Join'];
  const text = join
    ? join[1].map((part) => (typeof part === 'string' ? part : bucketName)).join(join[0])
    : String(value);
  return JSON.parse(text) as Json;
}

describe('DigestStack for consumers', () => {
  let stack: DigestStack;
  let template: Template;
  let imported: Template;

  beforeAll(() => {
    stack = synthApp({}, { bundle: false }).stack;
    template = Template.fromStack(stack);
    imported = Template.fromStack(
      synthApp({ bucketName: 'team-articles' }, { bundle: false }).stack,
    );
  });

  describe('events', () => {
    it('turns on EventBridge delivery for the bucket it creates, beside the queue notification', () => {
      template.hasResourceProperties('Custom::S3BucketNotifications', {
        NotificationConfiguration: Match.objectEquals({
          EventBridgeConfiguration: {},
          QueueConfigurations: Match.anyValue(),
        }),
      });
    });

    it('leaves the EventBridge delivery of an imported bucket as it is', () => {
      imported.hasResourceProperties('Custom::S3BucketNotifications', {
        NotificationConfiguration: Match.objectEquals({ QueueConfigurations: Match.anyValue() }),
      });
    });

    it('outputs a pattern that matches a digest written, and nothing else', () => {
      const pattern = outputJson(template, 'DigestWrittenEventPattern', 'articles-bucket');
      expect(pattern).toEqual({
        source: ['aws.s3'],
        'detail-type': ['Object Created'],
        detail: {
          bucket: { name: ['articles-bucket'] },
          object: { key: [{ prefix: 'digests/' }] },
        },
      });
      expect(matches(pattern, s3Event('digests/会议 纪要.txt.json'))).toBe(true);
      expect(matches(pattern, s3Event(`digests/_long-keys/${'a'.repeat(64)}.json`))).toBe(true);
      for (const other of [
        s3Event('incoming/会议 纪要.txt'),
        s3Event('errors/会议 纪要.txt.json'),
        s3Event('cache/abc/def.text.json'),
        s3Event('digests-archive/a.txt.json'),
        s3Event('digests/a.txt.json', { type: 'Object Deleted' }),
        s3Event('digests/a.txt.json', { bucket: 'another-bucket' }),
      ]) {
        expect(matches(pattern, other), JSON.stringify(other)).toBe(false);
      }
    });

    it('outputs a pattern that matches an error record written, and not a digest', () => {
      const pattern = outputJson(template, 'ErrorRecordWrittenEventPattern', 'articles-bucket');
      expect(matches(pattern, s3Event('errors/scans/page 1.pdf.json'))).toBe(true);
      expect(matches(pattern, s3Event('digests/scans/page 1.pdf.json'))).toBe(false);
      expect(stack.resolve(stack.errorRecordWritten.detail)).toEqual({
        bucket: { name: [{ Ref: logicalIdOf(stack, stack.node.findChild('Articles')) }] },
        object: { key: [{ prefix: 'errors/' }] },
      });
    });

    it('names an imported bucket in its patterns', () => {
      const pattern = outputJson(imported, 'DigestWrittenEventPattern', 'unused');
      expect(matches(pattern, s3Event('digests/a.txt.json', { bucket: 'team-articles' }))).toBe(
        true,
      );
    });
  });

  describe('SQL', () => {
    type TableInput = {
      Name: string;
      TableType: string;
      Parameters?: Record<string, string>;
      ViewOriginalText?: string;
      StorageDescriptor: {
        Location?: unknown;
        InputFormat?: string;
        SerdeInfo: { SerializationLibrary?: string };
        Columns: Array<{ Name: string; Type: string }>;
      };
    };
    const table = (name: string): TableInput => {
      const found = Object.values(template.findResources('AWS::Glue::Table')).map(
        (r) => (r as { Properties: { TableInput: TableInput } }).Properties.TableInput,
      );
      const input = found.find((t) => t.Name === name);
      if (!input) throw new Error(`no Glue table ${name}`);
      return input;
    };
    const bucketUrl = (prefix: string) => ({
      'Fn::Join': [
        '',
        ['s3://', { Ref: logicalIdOf(stack, stack.node.findChild('Articles')) }, `/${prefix}`],
      ],
    });

    it('creates a database named after the stack', () => {
      template.hasResourceProperties('AWS::Glue::Database', {
        DatabaseInput: Match.objectLike({ Name: 'article_digest' }),
      });
      template.hasOutput('GlueDatabase', { Value: 'article_digest' });
    });

    it('reads digests and error records where the function writes them, pretty-printed JSON included', () => {
      for (const [name, prefix, columns] of [
        ['digests', 'digests/', DIGEST_COLUMNS],
        ['errors', 'errors/', ERROR_COLUMNS],
      ] as const) {
        const input = table(name);
        expect(input.TableType).toBe('EXTERNAL_TABLE');
        expect(input.StorageDescriptor.Location).toEqual(bucketUrl(prefix));
        // The Ion SerDe reads a JSON value across lines; the JSON SerDes need one per line.
        expect(input.StorageDescriptor.SerdeInfo.SerializationLibrary).toBe(
          'com.amazon.ionhiveserde.IonHiveSerDe',
        );
        expect(input.StorageDescriptor.InputFormat).toBe(
          'com.amazon.ionhiveserde.formats.IonInputFormat',
        );
        expect(input.StorageDescriptor.Columns).toEqual(
          columns.map((c) => ({ Name: c.name.toLowerCase(), Type: hiveType(c.type) })),
        );
      }
    });

    it("types the digests table from the contract's fields, nested ones included", () => {
      const columns = Object.fromEntries(
        table('digests').StorageDescriptor.Columns.map((c) => [c.Name, c.Type]),
      );
      expect(columns.processedat).toBe('string');
      expect(columns.grounding).toBe(
        'struct<checked:bigint,dropped:bigint,unsupported:bigint,unsupportedfields:bigint,addressedtomodel:bigint,duplicates:bigint,unreliable:boolean>',
      );
      expect(columns.articles).toContain(
        'tasks:array<struct<task:string,owner:string,deadline:string,evidence:struct<quote:string,start:bigint,end:bigint>>>',
      );
    });

    it('stores the tasks view as Athena stores a view, with the columns its SQL yields', () => {
      const view = table('tasks');
      expect(view.TableType).toBe('VIRTUAL_VIEW');
      expect(view.Parameters).toMatchObject({ presto_view: 'true' });
      const encoded = /^\/\* Presto View: ([A-Za-z0-9+/=]+) \*\/$/.exec(
        view.ViewOriginalText ?? '',
      );
      expect(encoded).not.toBeNull();
      const presto = JSON.parse(Buffer.from(encoded?.[1] ?? '', 'base64').toString('utf8'));
      expect(presto).toEqual({
        originalSql: athenaTasksViewSql(),
        catalog: 'awsdatacatalog',
        schema: 'article_digest',
        columns: TASK_VIEW_COLUMNS.map((c) => ({ name: c.name, type: c.type })),
      });
      expect(presto.originalSql).toContain('FROM digests AS d');
      expect(presto.originalSql).toContain(
        'UNNEST(d.articles) WITH ORDINALITY AS a (title, byline, summary, keypoints, tasks, article_number)',
      );
      expect(view.StorageDescriptor.Columns.map((c) => c.Name)).toEqual(
        TASK_VIEW_COLUMNS.map((c) => c.name),
      );
    });

    it('runs queries in a workgroup that enforces encrypted results in its own bucket and a scan limit', () => {
      const results = logicalIdOf(stack, stack.catalog.results);
      template.hasResourceProperties('AWS::Athena::WorkGroup', {
        Name: 'ArticleDigest',
        WorkGroupConfiguration: {
          EnforceWorkGroupConfiguration: true,
          PublishCloudWatchMetricsEnabled: true,
          BytesScannedCutoffPerQuery: QUERY_SCAN_LIMIT_BYTES,
          EngineVersion: { SelectedEngineVersion: 'Athena engine version 3' },
          ResultConfiguration: {
            OutputLocation: { 'Fn::Join': ['', ['s3://', { Ref: results }, '/']] },
            EncryptionConfiguration: { EncryptionOption: 'SSE_S3' },
          },
        },
      });
      template.hasResource('AWS::S3::Bucket', {
        Properties: Match.objectLike({
          PublicAccessBlockConfiguration: Match.objectLike({ BlockPublicAcls: true }),
          BucketEncryption: Match.objectLike({}),
          LifecycleConfiguration: {
            Rules: [
              Match.objectLike({
                ExpirationInDays: 7,
                AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 },
              }),
            ],
          },
        }),
        DeletionPolicy: 'Delete',
      });
      expect(
        Object.keys(template.findResources('AWS::S3::BucketPolicy')).some((id) =>
          JSON.stringify(template.toJSON().Resources[id]).includes(`"${results}"`),
        ),
      ).toBe(true);
    });

    it('saves in the workgroup the queries the suite runs locally', () => {
      const saved = Object.values(template.findResources('AWS::Athena::NamedQuery')).map(
        (r) => (r as { Properties: Record<string, unknown> }).Properties,
      );
      expect(saved.map((q) => [q.Name, q.QueryString, q.Database, q.WorkGroup])).toEqual(
        NAMED_QUERIES.map((name) => [name, namedQuerySql(name), 'article_digest', 'ArticleDigest']),
      );
      for (const name of NAMED_QUERIES) {
        expect(namedQuerySql(name)).toBe(
          readFileSync(resolve(ROOT, 'sql', 'queries', `${name}.sql`), 'utf8'),
        );
      }
    });

    it('offers a read-only query policy that the README lists', () => {
      const policy = template.toJSON().Resources[logicalIdOf(stack, stack.catalog.queryPolicy)] as {
        Properties: {
          PolicyDocument: { Statement: Array<{ Action: string | string[]; Resource: unknown }> };
        };
      };
      const statements = policy.Properties.PolicyDocument.Statement;
      const actionsOf = (s: { Action: string | string[] }) =>
        Array.isArray(s.Action) ? s.Action : [s.Action];
      const actions = statements.flatMap(actionsOf);
      // On the records, only reads; writes go to the results bucket alone.
      const articles = logicalIdOf(stack, stack.node.findChild('Articles'));
      expect(
        statements
          .filter((s) => JSON.stringify(s.Resource).includes(`"${articles}"`))
          .flatMap(actionsOf)
          .sort(),
      ).toEqual(['s3:GetBucketLocation', 's3:GetObject', 's3:ListBucket']);
      const readme = readFileSync(resolve(ROOT, 'README.md'), 'utf8');
      const start = readme.indexOf('<!-- query policy: checked against the template by');
      expect(start).toBeGreaterThan(0);
      const rows = readme.slice(start).split('\n').slice(3);
      const listed = rows
        .slice(
          0,
          rows.findIndex((line) => !line.startsWith('|')),
        )
        .flatMap((row) => [...(row.split('|')[1] ?? '').matchAll(/`([^`]+)`/g)].map((m) => m[1]));
      expect([...new Set(listed)].sort()).toEqual([...new Set(actions)].sort());
    });
  });
});
