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
    template = Template.fromStack(synthApp().stack);
    withKey = Template.fromStack(
      synthApp({ openAiSecretName: 'digest/openai', alarmEmail: 'ops@example.com' }).stack,
    );
  });

  const policyStatements = (t: Template): Statement[] =>
    Object.values(t.findResources('AWS::IAM::Policy')).flatMap(
      (p) =>
        (p as { Properties: { PolicyDocument: { Statement: Statement[] } } }).Properties
          .PolicyDocument.Statement,
    );
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

  it('grants the bucket by prefix: read input, write outputs, errors and index, no wildcard actions', () => {
    const s3 = policyStatements(template).filter((s) =>
      actionsOf(s).some((a) => a.startsWith('s3:')),
    );
    for (const statement of s3) {
      for (const action of actionsOf(statement)) expect(action).not.toContain('*');
    }
    const byAction = (action: string) => s3.filter((s) => actionsOf(s).includes(action));
    const resources = (action: string) => JSON.stringify(byAction(action).map((s) => s.Resource));
    expect(resources('s3:GetObject')).toMatch(/\/incoming\/\*/);
    expect(resources('s3:GetObject')).not.toMatch(/errors/);
    const put = resources('s3:PutObject');
    expect(put).toMatch(/\/digests\/\*/);
    expect(put).toMatch(/\/errors\/\*/);
    expect(put).toMatch(/\/cache\/\*/);
    expect(put).not.toMatch(/incoming/);
    expect(byAction('s3:ListBucket')[0]?.Condition).toEqual({
      StringLike: { 's3:prefix': ['incoming/*'] },
    });
    expect(resources('s3:DeleteObject')).toMatch(/\/errors\/\*/);
    expect(resources('s3:DeleteObject')).not.toMatch(/incoming|cache/);
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
    expect(JSON.stringify(secretRead?.Resource)).toMatch(/secret:digest\/openai-\?\?\?\?\?\?/);
    expect(
      policyStatements(template).some((s) =>
        actionsOf(s).some((a) => a.startsWith('secretsmanager:')),
      ),
    ).toBe(false);
  });

  it('alarms on dead letters, function errors and backlog age, notifying the SNS topic when given', () => {
    const alarms = Object.values(withKey.findResources('AWS::CloudWatch::Alarm')).map(
      (a) => (a as { Properties: { MetricName: string; AlarmActions?: unknown[] } }).Properties,
    );
    expect(alarms.map((a) => a.MetricName).sort()).toEqual([
      'ApproximateAgeOfOldestMessage',
      'ApproximateNumberOfMessagesVisible',
      'Errors',
    ]);
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
    const existing = Template.fromStack(synthApp({ bucketName: 'team-articles' }).stack);
    existing.resourceCountIs('AWS::S3::Bucket', 0);
    expect(JSON.stringify(existing.toJSON())).toContain('team-articles/incoming/*');
  });

  it('fails synthesis on an unacknowledged AwsSolutions finding', () => {
    const app = new App();
    const stack = new DigestStack(app, 'WithFinding', DEFAULT_PROPS);
    new Queue(stack, 'Plain'); // no dead-letter queue, no TLS-only policy
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    expect(() => app.synth()).toThrow(/AwsSolutions-SQS3|AwsSolutions-SQS4|Validation failed/);
  });
});
