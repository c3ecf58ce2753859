import { App, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { INTAKE_MAX_RECEIVE_COUNT, RECORDER_TIMEOUT } from '../../cdk/dead-letter-recorder';
import { DigestStack } from '../../cdk/digest-stack';
import { DEFAULT_PROPS, logicalIdOf, synthApp } from '../support/synth';

type Statement = { Action: string | string[]; Resource: unknown; Condition?: unknown };

describe('DigestStack', () => {
  let stack: DigestStack;
  let template: Template;
  let withKeyStack: DigestStack;
  let withKey: Template;
  /** Logical IDs of the stack's own resources (the same in every synthesis of these props). */
  let ids: Record<'fn' | 'recorder' | 'queue' | 'intake' | 'deadLetters', string>;

  beforeAll(() => {
    // Bundling is left to bundle.test.ts: these tests read the template only.
    stack = synthApp({}, { bundle: false }).stack;
    template = Template.fromStack(stack);
    withKeyStack = synthApp(
      { openAiSecretName: 'digest/openai', alarmEmail: 'ops@example.com' },
      { bundle: false },
    ).stack;
    withKey = Template.fromStack(withKeyStack);
    ids = {
      fn: logicalIdOf(stack, stack.fn),
      recorder: logicalIdOf(stack, stack.recorder.fn),
      queue: logicalIdOf(stack, stack.queue),
      intake: logicalIdOf(stack, stack.recorder.intake),
      deadLetters: logicalIdOf(stack, stack.deadLetters),
    };
  });

  type Policy = { Properties: { PolicyDocument: { Statement: Statement[] }; Roles: unknown[] } };
  type FunctionResource = {
    Properties: {
      Role: { 'Fn::GetAtt': [string, string] };
      Timeout?: number;
      MemorySize?: number;
      Environment: { Variables: Record<string, unknown> };
    };
  };
  const functionOf = (t: Template, id: string) =>
    t.findResources('AWS::Lambda::Function')[id] as FunctionResource;
  /** The statements of a function's role (by default the digest function's). */
  const policyStatements = (t: Template, id = ids.fn): Statement[] => {
    const role = { Ref: functionOf(t, id).Properties.Role['Fn::GetAtt'][0] };
    return Object.values(t.findResources('AWS::IAM::Policy'))
      .map((p) => (p as Policy).Properties)
      .filter((p) => JSON.stringify(p.Roles) === JSON.stringify([role]))
      .flatMap((p) => p.PolicyDocument.Statement);
  };
  const queueOf = (id: string) =>
    template.findResources('AWS::SQS::Queue')[id] as {
      Properties: {
        VisibilityTimeout?: number;
        MessageRetentionPeriod?: number;
        RedrivePolicy?: { deadLetterTargetArn: unknown; maxReceiveCount: number };
      };
    };
  const arnOf = (id: string) => ({ 'Fn::GetAtt': [id, 'Arn'] });
  const actionsOf = (s: Statement) => (Array.isArray(s.Action) ? s.Action : [s.Action]);

  it('creates a private, encrypted, versioned bucket that requires TLS', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      BucketEncryption: Match.objectLike({}),
      VersioningConfiguration: { Status: 'Enabled' },
    });
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Deny',
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
        ]),
      },
    });
  });

  it('expires noncurrent versions, cache entries and incomplete multipart uploads by default', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      LifecycleConfiguration: {
        Rules: Match.arrayWith([
          Match.objectLike({
            Status: 'Enabled',
            NoncurrentVersionExpiration: { NoncurrentDays: 30 },
            ExpiredObjectDeleteMarker: true,
            AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 },
            Prefix: Match.absent(),
          }),
          Match.objectLike({ Status: 'Enabled', Prefix: 'cache/', ExpirationInDays: 90 }),
        ]),
      },
    });
  });

  it('takes the lifecycle periods and the cache prefix from its props', () => {
    const custom = Template.fromStack(
      synthApp(
        {
          cachePrefix: 'index/',
          noncurrentVersionExpirationDays: 7,
          cacheExpirationDays: 365,
          abortIncompleteMultipartUploadDays: 2,
        },
        { bundle: false },
      ).stack,
    );
    custom.hasResourceProperties('AWS::S3::Bucket', {
      LifecycleConfiguration: {
        Rules: Match.arrayWith([
          Match.objectLike({
            NoncurrentVersionExpiration: { NoncurrentDays: 7 },
            AbortIncompleteMultipartUpload: { DaysAfterInitiation: 2 },
          }),
          Match.objectLike({ Prefix: 'index/', ExpirationInDays: 365 }),
        ]),
      },
    });
  });

  it('rejects a lifecycle period that is not a positive whole number of days', () => {
    for (const bad of [0, -1, 1.5, Number.NaN]) {
      expect(
        () => new DigestStack(new App(), 'Bad', { ...DEFAULT_PROPS, cacheExpirationDays: bad }),
      ).toThrow(/cacheExpirationDays must be a positive whole number/);
    }
  });

  it('notifies the queue of new objects under the input prefix only', () => {
    template.hasResourceProperties('Custom::S3BucketNotifications', {
      NotificationConfiguration: {
        QueueConfigurations: [
          Match.objectLike({
            Events: ['s3:ObjectCreated:*'],
            Filter: { Key: { FilterRules: [{ Name: 'prefix', Value: 'incoming/' }] } },
          }),
        ],
      },
    });
  });

  it('lets S3 send to the queue only for this bucket and this account', () => {
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Allow',
            Principal: { Service: 's3.amazonaws.com' },
            Action: 'sqs:SendMessage',
            Condition: {
              ArnLike: { 'aws:SourceArn': { 'Fn::GetAtt': [Match.anyValue(), 'Arn'] } },
              StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
            },
          }),
        ]),
      },
    });
    const s3Grants = Object.values(template.findResources('AWS::SQS::QueuePolicy'))
      .flatMap(
        (p) =>
          (p as { Properties: { PolicyDocument: { Statement: Statement[] } } }).Properties
            .PolicyDocument.Statement,
      )
      .filter((s) => JSON.stringify(s).includes('s3.amazonaws.com'));
    expect(s3Grants).toHaveLength(1);
  });

  it('dead-letters after 5 receives through the recorder intake into the dead-letter queue, with visibility timeouts of 6x each consumer timeout', () => {
    expect(functionOf(template, ids.fn).Properties.Timeout).toBe(300);
    expect(queueOf(ids.queue).Properties).toMatchObject({
      VisibilityTimeout: 1800,
      RedrivePolicy: { deadLetterTargetArn: arnOf(ids.intake), maxReceiveCount: 5 },
    });
    const recorderTimeout = functionOf(template, ids.recorder).Properties.Timeout;
    expect(recorderTimeout).toBe(RECORDER_TIMEOUT.toSeconds());
    // A recorder failing for good still leaves every message in the dead-letter queue.
    expect(queueOf(ids.intake).Properties).toMatchObject({
      VisibilityTimeout: 6 * (recorderTimeout ?? 0),
      MessageRetentionPeriod: 14 * 24 * 3600,
      RedrivePolicy: {
        deadLetterTargetArn: arnOf(ids.deadLetters),
        maxReceiveCount: INTAKE_MAX_RECEIVE_COUNT,
      },
    });
    expect(queueOf(ids.deadLetters).Properties).toMatchObject({
      MessageRetentionPeriod: 14 * 24 * 3600,
    });
    expect(queueOf(ids.deadLetters).Properties.RedrivePolicy).toBeUndefined();
    template.allResourcesProperties('AWS::SQS::Queue', { SqsManagedSseEnabled: true });
  });

  it('never consumes the dead-letter queue, so its messages stay for a redrive', () => {
    const mappings = Object.values(template.findResources('AWS::Lambda::EventSourceMapping')).map(
      (m) => (m as { Properties: { EventSourceArn: unknown } }).Properties.EventSourceArn,
    );
    expect(mappings).toEqual(expect.arrayContaining([arnOf(ids.queue), arnOf(ids.intake)]));
    expect(mappings).toHaveLength(2);
    const receivers = Object.values(template.findResources('AWS::IAM::Policy'))
      .flatMap((p) => (p as Policy).Properties.PolicyDocument.Statement)
      .filter((st) => JSON.stringify(st.Resource).includes(`"${ids.deadLetters}"`))
      .flatMap(actionsOf);
    expect(receivers).toEqual(['sqs:SendMessage', 'sqs:SendMessage']);
  });

  it('reads the queue one message at a time with the LLM engine, ten with the offline engine', () => {
    const mappingOf = (t: Template, id: string) =>
      Object.values(t.findResources('AWS::Lambda::EventSourceMapping'))
        .map((m) => (m as { Properties: Record<string, unknown> }).Properties)
        .find((p) => JSON.stringify(p.FunctionName) === JSON.stringify({ Ref: id }));
    expect(mappingOf(withKey, logicalIdOf(withKeyStack, withKeyStack.fn))).toEqual(
      expect.objectContaining({
        BatchSize: 1,
        FunctionResponseTypes: ['ReportBatchItemFailures'],
        ScalingConfig: { MaximumConcurrency: 5 },
      }),
    );
    expect(
      mappingOf(withKey, logicalIdOf(withKeyStack, withKeyStack.fn))
        ?.MaximumBatchingWindowInSeconds,
    ).toBeUndefined();
    expect(mappingOf(template, ids.fn)).toEqual(
      expect.objectContaining({
        BatchSize: 10,
        MaximumBatchingWindowInSeconds: 5,
        FunctionResponseTypes: ['ReportBatchItemFailures'],
        ScalingConfig: { MaximumConcurrency: 5 },
      }),
    );
    expect(mappingOf(template, ids.recorder)).toEqual(
      expect.objectContaining({
        BatchSize: 10,
        FunctionResponseTypes: ['ReportBatchItemFailures'],
        ScalingConfig: { MaximumConcurrency: 2 },
      }),
    );
  });

  it('lets the recorder read digests and error records (404 when missing), write and remove error records, and send to the dead-letter queue only', () => {
    const statements = policyStatements(template, ids.recorder);
    for (const statement of statements) {
      for (const action of actionsOf(statement)) expect(action).not.toContain('*');
    }
    const byAction = Object.fromEntries(
      statements
        .filter((st) => actionsOf(st).some((a) => !a.startsWith('logs:')))
        .flatMap((st) =>
          actionsOf(st).map((a) => [
            a,
            JSON.stringify({ resource: st.Resource, condition: st.Condition ?? null }),
          ]),
        ),
    );
    const [bucket = ''] = Object.keys(template.findResources('AWS::S3::Bucket'));
    const objects = (...prefixes: string[]) => {
      const arns = prefixes.map((p) => ({
        'Fn::Join': ['', [{ 'Fn::GetAtt': [bucket, 'Arn'] }, `/${p}/*`]],
      }));
      return arns.length === 1 ? arns[0] : arns;
    };
    const expected = (resource: unknown, condition: unknown = null) =>
      JSON.stringify({ resource, condition });
    expect(byAction).toEqual({
      's3:GetObject': expected(objects('digests', 'errors')),
      's3:ListBucket': expected(arnOf(bucket), {
        StringLike: { 's3:prefix': ['digests/*', 'errors/*'] },
      }),
      's3:PutObject': expected(objects('errors')),
      's3:DeleteObject': expected(objects('errors')),
      'sqs:SendMessage': expected(arnOf(ids.deadLetters)),
      'sqs:ReceiveMessage': expected(arnOf(ids.intake)),
      'sqs:ChangeMessageVisibility': expected(arnOf(ids.intake)),
      'sqs:GetQueueUrl': expected(arnOf(ids.intake)),
      'sqs:DeleteMessage': expected(arnOf(ids.intake)),
      'sqs:GetQueueAttributes': expected(arnOf(ids.intake)),
    });
  });

  it('runs the recorder small, with the prefixes and the dead-letter queue URL beside its grant', () => {
    const recorder = functionOf(template, ids.recorder).Properties;
    expect(recorder.MemorySize).toBe(256);
    expect(recorder.Environment.Variables).toEqual({
      INPUT_PREFIX: 'incoming/',
      OUTPUT_PREFIX: 'digests/',
      ERROR_PREFIX: 'errors/',
      CACHE_PREFIX: 'cache/',
      DEAD_LETTER_QUEUE_URL: { Ref: ids.deadLetters },
    });
  });

  it('runs a current Node runtime on arm64 with the prefixes in its environment', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Handler: 'index.handler',
      Runtime: Match.stringLikeRegexp('^nodejs(2[2-9]|[3-9]\\d)\\.x$'),
      Architectures: ['arm64'],
      MemorySize: 1024,
      LoggingConfig: Match.objectLike({ LogFormat: 'JSON' }),
      Environment: {
        Variables: Match.objectLike({
          INPUT_PREFIX: 'incoming/',
          OUTPUT_PREFIX: 'digests/',
          ERROR_PREFIX: 'errors/',
        }),
      },
    });
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
  });

  it('grants the bucket by prefix: read input, digests and index, write outputs, errors, index and kept texts, no wildcard actions', () => {
    const s3 = policyStatements(template).filter((s) =>
      actionsOf(s).some((a) => a.startsWith('s3:')),
    );
    for (const statement of s3) {
      for (const action of actionsOf(statement)) expect(action).not.toContain('*');
    }
    expect([...new Set(s3.flatMap(actionsOf))].sort()).toEqual([
      's3:DeleteObject',
      's3:GetObject',
      's3:ListBucket',
      's3:PutObject',
    ]);
    const byAction = (action: string) => s3.filter((s) => actionsOf(s).includes(action));
    const prefixes = (action: string) =>
      [...JSON.stringify(byAction(action).map((s) => s.Resource)).matchAll(/"\/(\w+)\/\*"/g)]
        .map((m) => m[1])
        .sort();
    expect(prefixes('s3:GetObject')).toEqual(['cache', 'digests', 'incoming']);
    expect(prefixes('s3:PutObject')).toEqual(['cache', 'digests', 'errors', 'texts']);
    expect(prefixes('s3:DeleteObject')).toEqual(['digests', 'errors', 'texts']);
  });

  it('keeps the text of PDF and Word files under TEXT_PREFIX, set beside its own grant', () => {
    const texts = policyStatements(template).filter((s) =>
      JSON.stringify(s.Resource).includes('/texts/*'),
    );
    expect(texts).toHaveLength(1);
    expect(actionsOf(texts[0] as Statement).sort()).toEqual(['s3:DeleteObject', 's3:PutObject']);
    expect(functionOf(template, ids.fn).Properties.Environment.Variables).toMatchObject({
      TEXT_PREFIX: 'texts/',
    });
  });

  it('lets the function list every prefix it reads, so a missing key answers 404 instead of 403', () => {
    const list = policyStatements(template).filter((s) => actionsOf(s).includes('s3:ListBucket'));
    expect(list).toHaveLength(1);
    const [bucket] = Object.keys(template.findResources('AWS::S3::Bucket'));
    expect(list[0]?.Resource).toEqual({ 'Fn::GetAtt': [bucket, 'Arn'] });
    expect(list[0]?.Condition).toEqual({
      StringLike: { 's3:prefix': ['incoming/*', 'digests/*', 'cache/*'] },
    });
  });

  it('lets the function send to the dead-letter queue only, with its URL beside the grant', () => {
    const sends = policyStatements(template).filter((s) =>
      actionsOf(s).includes('sqs:SendMessage'),
    );
    expect(sends).toHaveLength(1);
    expect(actionsOf(sends[0] as Statement)).toEqual(['sqs:SendMessage']);
    expect(sends[0]?.Resource).toEqual(arnOf(ids.deadLetters));
    expect(functionOf(template, ids.fn).Properties.Environment.Variables).toMatchObject({
      DEAD_LETTER_QUEUE_URL: { Ref: ids.deadLetters },
    });
  });

  it('reads the API key from Secrets Manager, never from an environment variable', () => {
    withKey.hasResourceProperties('AWS::Lambda::Function', {
      Handler: 'index.handler',
      Environment: {
        Variables: Match.objectLike({
          OPENAI_API_KEY_SECRET_ID: 'digest/openai',
          DIGEST_ENGINE: 'openai',
        }),
      },
    });
    const fn = functionOf(withKey, logicalIdOf(withKeyStack, withKeyStack.fn));
    expect(Object.keys(fn.Properties.Environment.Variables)).not.toContain('OPENAI_API_KEY');
    const secretRead = policyStatements(withKey).find((s) =>
      actionsOf(s).includes('secretsmanager:GetSecretValue'),
    );
    expect(JSON.stringify(secretRead?.Resource)).toMatch(/secret:digest\/openai-\?\?\?\?\?\?"/);
    expect(secretRead?.Action).toEqual('secretsmanager:GetSecretValue');
    expect(
      policyStatements(template).some((s) =>
        actionsOf(s).some((a) => a.startsWith('secretsmanager:')),
      ),
    ).toBe(false);
  });

  it('notifies the SNS topic from every alarm when an e-mail is given', () => {
    const alarms = Object.values(withKey.findResources('AWS::CloudWatch::Alarm')).map(
      (a) => (a as { Properties: { AlarmActions?: unknown[] } }).Properties,
    );
    expect(alarms.length).toBeGreaterThanOrEqual(5);
    for (const alarm of alarms) expect(alarm.AlarmActions).toHaveLength(1);
    withKey.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'ops@example.com',
    });
    template.resourceCountIs('AWS::SNS::Topic', 0);
  });

  it('has a dashboard of documents, error codes, tokens, cost, queue age and dead letters', () => {
    const dashboards = Object.values(template.findResources('AWS::CloudWatch::Dashboard'));
    expect(dashboards).toHaveLength(1);
    const body = JSON.stringify(dashboards[0]);
    for (const metric of [
      'DocumentsDigested',
      'DocumentsRejected',
      'DocumentsRetried',
      'ErrorCode',
      'InputTokens',
      'OutputTokens',
      'EstimatedCostUsd',
      'ApproximateAgeOfOldestMessage',
      'ApproximateNumberOfMessagesVisible',
    ]) {
      expect(body).toContain(metric);
    }
  });

  it('exports the bucket, prefixes, and the queue URLs and ARNs a redrive needs', () => {
    for (const name of [
      'BucketName',
      'InputPrefix',
      'OutputPrefix',
      'ErrorPrefix',
      'QueueUrl',
      'QueueArn',
      'DeadLetterQueueUrl',
      'DeadLetterQueueArn',
    ]) {
      template.hasOutput(name, Match.anyValue());
    }
  });

  it('uses an existing bucket by name without creating one, and passes the AwsSolutions checks', () => {
    const existing = Template.fromStack(
      synthApp({ bucketName: 'team-articles' }, { bundle: false }).stack,
    );
    // The one bucket it creates then is Athena's query results bucket (no versioning).
    existing.resourceCountIs('AWS::S3::Bucket', 1);
    existing.resourcePropertiesCountIs(
      'AWS::S3::Bucket',
      { VersioningConfiguration: Match.anyValue() },
      0,
    );
    expect(JSON.stringify(existing.toJSON())).toContain('team-articles/incoming/*');
    existing.hasResourceProperties('AWS::SQS::QueuePolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Condition: {
              ArnLike: {
                'aws:SourceArn': {
                  'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':s3:::team-articles']],
                },
              },
              StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
            },
          }),
        ]),
      },
    });
  });

  it('fails synthesis on an unacknowledged AwsSolutions finding', () => {
    const app = new App();
    const stack = new DigestStack(app, 'WithFinding', DEFAULT_PROPS);
    new Queue(stack, 'Plain'); // no dead-letter queue, no TLS-only policy
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    expect(() => app.synth()).toThrow(/AwsSolutions-SQS3|AwsSolutions-SQS4|Validation failed/);
  });
});
