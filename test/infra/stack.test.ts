import { App, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { DigestStack } from '../../cdk/digest-stack';
import { DEFAULT_PROPS, synthApp } from '../support/synth';

type Statement = { Action: string | string[]; Resource: unknown; Condition?: unknown };

describe('DigestStack', () => {
  let template: Template;
  let withKey: Template;

  beforeAll(() => {
    // Bundling is left to bundle.test.ts: these tests read the template only.
    template = Template.fromStack(synthApp({}, { bundle: false }).stack);
    withKey = Template.fromStack(
      synthApp(
        { openAiSecretName: 'digest/openai', alarmEmail: 'ops@example.com' },
        { bundle: false },
      ).stack,
    );
  });

  type Policy = { Properties: { PolicyDocument: { Statement: Statement[] }; Roles: unknown[] } };
  /** The statements of the digest function's role (not those of CDK's deploy-time helpers). */
  const policyStatements = (t: Template): Statement[] => {
    const fn = Object.values(t.findResources('AWS::Lambda::Function')).find(
      (f) => (f as { Properties: { Handler?: string } }).Properties.Handler === 'index.handler',
    ) as { Properties: { Role: { 'Fn::GetAtt': [string, string] } } };
    const role = { Ref: fn.Properties.Role['Fn::GetAtt'][0] };
    return Object.values(t.findResources('AWS::IAM::Policy'))
      .map((p) => (p as Policy).Properties)
      .filter((p) => JSON.stringify(p.Roles) === JSON.stringify([role]))
      .flatMap((p) => p.PolicyDocument.Statement);
  };
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

  it('redrives failed messages to a dead-letter queue, with a visibility timeout of 6x the function timeout', () => {
    const fnTimeout = Object.values(template.findResources('AWS::Lambda::Function'))
      .map((f) => (f as { Properties: { Timeout?: number; Handler?: string } }).Properties)
      .find((p) => p.Handler === 'index.handler')?.Timeout;
    expect(fnTimeout).toBe(300);
    template.hasResourceProperties('AWS::SQS::Queue', {
      VisibilityTimeout: 1800,
      RedrivePolicy: { deadLetterTargetArn: Match.anyValue(), maxReceiveCount: 5 },
      SqsManagedSseEnabled: true,
    });
  });

  it('consumes the queue with partial batch responses and capped concurrency', () => {
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      ScalingConfig: { MaximumConcurrency: 5 },
      BatchSize: 5,
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

  it('grants the bucket by prefix: read input, digests and index, write outputs, errors and index, no wildcard actions', () => {
    const s3 = policyStatements(template).filter((s) =>
      actionsOf(s).some((a) => a.startsWith('s3:')),
    );
    for (const statement of s3) {
      for (const action of actionsOf(statement)) expect(action).not.toContain('*');
    }
    expect(s3.flatMap(actionsOf).sort()).toEqual([
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
    expect(prefixes('s3:PutObject')).toEqual(['cache', 'digests', 'errors']);
    expect(prefixes('s3:DeleteObject')).toEqual(['digests', 'errors']);
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
    const deadLetters = Object.keys(template.findResources('AWS::SQS::Queue')).find(
      (id) => !JSON.stringify(template.findResources('AWS::SQS::Queue')[id]).includes('Redrive'),
    );
    expect(sends[0]?.Resource).toEqual({ 'Fn::GetAtt': [deadLetters, 'Arn'] });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Handler: 'index.handler',
      Environment: {
        Variables: Match.objectLike({ DEAD_LETTER_QUEUE_URL: { Ref: deadLetters } }),
      },
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
    const fn = Object.values(withKey.findResources('AWS::Lambda::Function')).find(
      (f) => (f as { Properties: { Handler?: string } }).Properties.Handler === 'index.handler',
    ) as { Properties: { Environment: { Variables: Record<string, unknown> } } };
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

  it('exports the bucket, prefixes and queue URLs', () => {
    for (const name of [
      'BucketName',
      'InputPrefix',
      'OutputPrefix',
      'ErrorPrefix',
      'QueueUrl',
      'DeadLetterQueueUrl',
    ]) {
      template.hasOutput(name, Match.anyValue());
    }
  });

  it('uses an existing bucket by name without creating one, and passes the AwsSolutions checks', () => {
    const existing = Template.fromStack(
      synthApp({ bucketName: 'team-articles' }, { bundle: false }).stack,
    );
    existing.resourceCountIs('AWS::S3::Bucket', 0);
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
