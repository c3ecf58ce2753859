import { readFileSync } from 'node:fs';
import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { CfnNamedQuery, CfnWorkGroup } from 'aws-cdk-lib/aws-athena';
import { CfnDatabase, CfnTable } from 'aws-cdk-lib/aws-glue';
import { ManagedPolicy, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { BlockPublicAccess, Bucket, BucketEncryption, type IBucket } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import {
  athenaTasksViewSql,
  DIGEST_COLUMNS,
  ERROR_COLUMNS,
  hiveType,
  type SqlColumn,
  TASK_VIEW_COLUMNS,
} from '../shared/catalog';

/**
 * Days a query's result files are kept in the results bucket. Athena reuses a result for at
 * most 7 days anyway; after that a result is a download nobody made.
 */
export const QUERY_RESULTS_EXPIRATION = Duration.days(7);

/**
 * The most one query may scan (bytes, the workgroup's `BytesScannedCutoffPerQuery`): 100 GiB,
 * about ten million digests of 10 KB and about $0.50 at Athena's $5 per TB. A query that would
 * read more is cancelled, so a mistaken cross join cannot run up a bill.
 */
export const QUERY_SCAN_LIMIT_BYTES = 100 * 1024 ** 3;

/** The saved queries of the workgroup, the same files the suite runs locally with DuckDB. */
export const NAMED_QUERIES = [
  'open-tasks-by-owner',
  'tasks-due-this-month',
  'documents-with-dropped-quotes',
] as const;

/** The text of a query under `sql/queries/`. */
export function namedQuerySql(name: (typeof NAMED_QUERIES)[number]): string {
  return readFileSync(new URL(`../sql/queries/${name}.sql`, import.meta.url), 'utf8');
}

/** The Glue database name for a stack name: `ArticleDigest` → `article_digest`. */
export function databaseNameFor(stackName: string): string {
  return stackName
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toLowerCase()
    .replace(/[^a-z0-9_]/g, '_');
}

export interface DigestCatalogProps {
  bucket: IBucket;
  outputPrefix: string;
  errorPrefix: string;
  /** How cdk-nag names the bucket in a finding (its logical ID, or its name when imported). */
  bucketInPolicy: string;
}

/**
 * SQL over every digest with Athena: a Glue database with a `digests` and an `errors` table
 * over the record prefixes and a `tasks` view (one row per task), an Athena workgroup whose
 * results go, encrypted, to a bucket of their own that forgets them after a week, the README's
 * queries saved in the workgroup, and a managed policy that lets a principal run them.
 *
 * Why tables over the records themselves rather than a flattened copy the function writes: a
 * query always reads the current digests and nothing else (a re-digested document replaces its
 * file, a failed one loses it, a deleted version is not listed), the function gains no code, no
 * write and no permission, and there is nothing to backfill for the documents digested before.
 * The records are pretty-printed JSON, which Athena's JSON SerDes cannot read (one record per
 * line); its Amazon Ion SerDe reads JSON, a subset of Ion, across lines.
 */
export class DigestCatalog extends Construct {
  readonly database: CfnDatabase;
  readonly digests: CfnTable;
  readonly errors: CfnTable;
  readonly tasks: CfnTable;
  readonly workGroup: CfnWorkGroup;
  /** Where query results go. */
  readonly results: Bucket;
  /** What a principal needs to query the tables in the workgroup; attach it to a role or user. */
  readonly queryPolicy: ManagedPolicy;
  readonly databaseName: string;
  readonly workGroupName: string;

  constructor(scope: Construct, id: string, props: DigestCatalogProps) {
    super(scope, id);
    const { bucket, outputPrefix, errorPrefix } = props;
    const stack = Stack.of(this);
    this.databaseName = databaseNameFor(stack.stackName);
    this.workGroupName = stack.stackName;

    this.database = new CfnDatabase(this, 'Database', {
      catalogId: stack.account,
      databaseInput: {
        name: this.databaseName,
        description: 'Article digests: the digests and errors tables and the tasks view.',
      },
    });

    const table = (name: string, prefix: string, columns: SqlColumn[], description: string) => {
      const resource = new CfnTable(this, name, {
        catalogId: stack.account,
        databaseName: this.databaseName,
        tableInput: {
          name: name.toLowerCase(),
          description,
          tableType: 'EXTERNAL_TABLE',
          parameters: { EXTERNAL: 'TRUE', classification: 'json' },
          storageDescriptor: {
            location: bucket.s3UrlForObject(prefix),
            inputFormat: 'com.amazon.ionhiveserde.formats.IonInputFormat',
            outputFormat: 'com.amazon.ionhiveserde.formats.IonOutputFormat',
            serdeInfo: {
              serializationLibrary: 'com.amazon.ionhiveserde.IonHiveSerDe',
              // The default, stated: JSON fields are camelCase, Glue's column names lower case.
              parameters: { 'ion.path_extractor.case_sensitive': 'false' },
            },
            columns: columns.map((c) => ({ name: c.name.toLowerCase(), type: hiveType(c.type) })),
          },
        },
      });
      resource.addResourceDependency(this.database);
      return resource;
    };
    this.digests = table(
      'Digests',
      outputPrefix,
      DIGEST_COLUMNS,
      `One row per digest (${outputPrefix}), as the JSON Schema digest.schema.json describes it.`,
    );
    this.errors = table(
      'Errors',
      errorPrefix,
      ERROR_COLUMNS,
      `One row per error record (${errorPrefix}), as the JSON Schema error.schema.json describes it.`,
    );

    // Athena keeps a view in Glue as a VIRTUAL_VIEW table whose original text holds the Trino
    // SQL and its output columns (what `CREATE VIEW` in Athena would store); the column types
    // must be what the SQL yields, or Athena reports the view as stale.
    const viewSql = athenaTasksViewSql();
    const presto = {
      originalSql: viewSql,
      catalog: 'awsdatacatalog',
      schema: this.databaseName,
      columns: TASK_VIEW_COLUMNS.map((c) => ({ name: c.name, type: c.type })),
    };
    const hive: Record<string, string> = { varchar: 'string', bigint: 'bigint', date: 'date' };
    this.tasks = new CfnTable(this, 'Tasks', {
      catalogId: stack.account,
      databaseName: this.databaseName,
      tableInput: {
        name: 'tasks',
        description:
          'One row per task of every digest: document, article, owner, deadline, evidence.',
        tableType: 'VIRTUAL_VIEW',
        parameters: { presto_view: 'true', comment: 'Presto View' },
        viewOriginalText: `/* Presto View: ${Buffer.from(JSON.stringify(presto)).toString('base64')} */`,
        viewExpandedText: '/* Presto View */',
        storageDescriptor: {
          columns: TASK_VIEW_COLUMNS.map((c) => ({
            name: c.name,
            type: hive[c.type] ?? c.type,
            comment: c.comment,
          })),
          serdeInfo: {},
        },
      },
    });
    this.tasks.addResourceDependency(this.digests);

    this.results = new Bucket(this, 'Results', {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      lifecycleRules: [
        {
          expiration: QUERY_RESULTS_EXPIRATION,
          abortIncompleteMultipartUploadAfter: Duration.days(1),
        },
      ],
      // Results are copies of what the tables hold: the stack may delete them with itself, and
      // CloudFormation leaves a bucket that still holds files (then empty and delete it by hand).
      removalPolicy: RemovalPolicy.DESTROY,
    });
    Validations.of(this.results).acknowledge({
      id: 'AwsSolutions::AwsSolutions-S1',
      reason:
        'Query results are copies of the digests, written by Athena for the principal that ran the query; Athena and CloudTrail record who queried.',
    });

    this.workGroup = new CfnWorkGroup(this, 'WorkGroup', {
      name: this.workGroupName,
      description: 'Queries over the article digests.',
      state: 'ENABLED',
      // Deleting the stack also deletes queries users saved in the workgroup.
      recursiveDeleteOption: true,
      workGroupConfiguration: {
        // Clients cannot send results elsewhere, unencrypted, or past the scan limit.
        enforceWorkGroupConfiguration: true,
        publishCloudWatchMetricsEnabled: true,
        bytesScannedCutoffPerQuery: QUERY_SCAN_LIMIT_BYTES,
        engineVersion: { selectedEngineVersion: 'Athena engine version 3' },
        resultConfiguration: {
          outputLocation: `s3://${this.results.bucketName}/`,
          encryptionConfiguration: { encryptionOption: 'SSE_S3' },
        },
      },
    });

    for (const name of NAMED_QUERIES) {
      const query = new CfnNamedQuery(this, `Query-${name}`, {
        name,
        database: this.databaseName,
        workGroup: this.workGroupName,
        queryString: namedQuerySql(name),
        description: `sql/queries/${name}.sql`,
      });
      query.addResourceDependency(this.workGroup);
      query.addResourceDependency(this.database);
    }

    const catalogArn = (resource: string) =>
      stack.formatArn({ service: 'glue', resource, resourceName: undefined });
    const tableArns = ['digests', 'errors', 'tasks'].map((t) =>
      stack.formatArn({
        service: 'glue',
        resource: 'table',
        resourceName: `${this.databaseName}/${t}`,
      }),
    );
    const workGroupArn = stack.formatArn({
      service: 'athena',
      resource: 'workgroup',
      resourceName: this.workGroupName,
    });
    this.queryPolicy = new ManagedPolicy(this, 'QueryPolicy', {
      description: 'Query the article digests with Athena in their workgroup (read only).',
      statements: [
        new PolicyStatement({
          actions: [
            'athena:StartQueryExecution',
            'athena:StopQueryExecution',
            'athena:GetQueryExecution',
            'athena:GetQueryResults',
            'athena:GetWorkGroup',
            'athena:ListNamedQueries',
            'athena:BatchGetNamedQuery',
          ],
          resources: [workGroupArn],
        }),
        new PolicyStatement({
          actions: ['glue:GetDatabase', 'glue:GetTable', 'glue:GetTables', 'glue:GetPartitions'],
          resources: [
            catalogArn('catalog'),
            stack.formatArn({
              service: 'glue',
              resource: 'database',
              resourceName: this.databaseName,
            }),
            ...tableArns,
          ],
        }),
        new PolicyStatement({
          actions: ['s3:GetObject'],
          resources: [
            bucket.arnForObjects(`${outputPrefix}*`),
            bucket.arnForObjects(`${errorPrefix}*`),
          ],
        }),
        new PolicyStatement({
          actions: ['s3:ListBucket'],
          resources: [bucket.bucketArn],
          conditions: { StringLike: { 's3:prefix': [`${outputPrefix}*`, `${errorPrefix}*`] } },
        }),
        // Athena asks where a table's bucket is before it reads it.
        new PolicyStatement({ actions: ['s3:GetBucketLocation'], resources: [bucket.bucketArn] }),
        new PolicyStatement({
          actions: ['s3:GetBucketLocation', 's3:ListBucket'],
          resources: [this.results.bucketArn],
        }),
        new PolicyStatement({
          actions: ['s3:GetObject', 's3:PutObject', 's3:AbortMultipartUpload'],
          resources: [this.results.arnForObjects('*')],
        }),
      ],
    });
    const results = `<${stack.getLogicalId(this.results.node.defaultChild as CfnTable)}.Arn>`;
    const wildcards: Array<[string, string]> = [
      [`Resource::${props.bucketInPolicy}/${outputPrefix}*`, `digests: keys under ${outputPrefix}`],
      [
        `Resource::${props.bucketInPolicy}/${errorPrefix}*`,
        `error records: keys under ${errorPrefix}`,
      ],
      [`Resource::${results}/*`, 'query results: Athena names each file after its query'],
    ];
    for (const [finding, why] of wildcards) {
      Validations.of(this.queryPolicy).acknowledge({
        id: `AwsSolutions::AwsSolutions-IAM5[${finding}]`,
        reason: `Reads limited to ${why}; the wildcard stands for those keys.`,
      });
    }
  }
}
