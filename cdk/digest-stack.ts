import {
  CfnOutput,
  Duration,
  RemovalPolicy,
  Stack,
  type StackProps,
  Validations,
} from 'aws-cdk-lib';
import {
  Alarm,
  ComparisonOperator,
  type IAlarmAction,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import {
  BlockPublicAccess,
  Bucket,
  BucketEncryption,
  type CfnBucket,
  EventType,
  type IBucket,
} from 'aws-cdk-lib/aws-s3';
import { SqsDestination } from 'aws-cdk-lib/aws-s3-notifications';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import type { Construct, IConstruct } from 'constructs';
import { DigestDashboard } from './digest-dashboard';
import { DigestFunction, FUNCTION_TIMEOUT } from './digest-function';

export interface DigestStackProps extends StackProps {
  /** Use this existing bucket instead of creating one (context `bucketName`). */
  bucketName?: string | undefined;
  /** Key prefixes (context `inputPrefix`, `outputPrefix`, `errorPrefix`). */
  inputPrefix: string;
  outputPrefix: string;
  errorPrefix: string;
  /** Prefix of the content-hash index (context `cachePrefix`, default `cache/`). */
  cachePrefix?: string | undefined;
  /**
   * Secrets Manager secret holding the OpenAI API key (context `openAiSecretName`). Without it
   * the function runs the offline extractive engine.
   */
  openAiSecretName?: string | undefined;
  /** Model name (context `openAiModel`); the function's default when unset. */
  openAiModel?: string | undefined;
  /** OpenAI-compatible endpoint (context `openAiBaseUrl`). */
  openAiBaseUrl?: string | undefined;
  /** Concurrent invocations at most, which caps the LLM request rate (context `maxConcurrency`). */
  maxConcurrency?: number | undefined;
  /** E-mail address for alarm notifications through an SNS topic (context `alarmEmail`). */
  alarmEmail?: string | undefined;
}

/** Receives before a message goes to the dead-letter queue. */
export const MAX_RECEIVE_COUNT = 5;

/** Wires the pipeline: bucket → notification → queue (with DLQ) → function → bucket. */
export class DigestStack extends Stack {
  constructor(scope: Construct, id: string, props: DigestStackProps) {
    super(scope, id, props);
    const { inputPrefix, outputPrefix, errorPrefix } = props;
    const cachePrefix = props.cachePrefix ?? 'cache/';

    const bucket: IBucket = props.bucketName
      ? Bucket.fromBucketName(this, 'Articles', props.bucketName)
      : new Bucket(this, 'Articles', {
          blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
          encryption: BucketEncryption.S3_MANAGED,
          enforceSSL: true,
          versioned: true,
          // Articles and digests are the users' data: deleting the stack keeps them.
          removalPolicy: RemovalPolicy.RETAIN,
        });
    if (bucket instanceof Bucket) {
      Validations.of(bucket).acknowledge({
        id: 'AwsSolutions::AwsSolutions-S1',
        reason:
          'Object-level access is audited with CloudTrail data events where an account needs it; server access logs would add a second bucket and cost to every install.',
      });
    }

    const deadLetters = new Queue(this, 'DeadLetters', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(deadLetters).acknowledge({
      id: 'AwsSolutions::AwsSolutions-SQS3',
      reason: 'This is the dead-letter queue of the Incoming queue.',
    });

    const fn = new DigestFunction(this, 'Digest', {
      entry: 'functions/digest.ts',
      description: 'Digests articles dropped under the input prefix into JSON.',
      environment: {
        INPUT_PREFIX: inputPrefix,
        OUTPUT_PREFIX: outputPrefix,
        ERROR_PREFIX: errorPrefix,
        CACHE_PREFIX: cachePrefix,
        MAX_RECEIVE_COUNT: String(MAX_RECEIVE_COUNT),
        POWERTOOLS_LOG_LEVEL: 'INFO',
        ...(props.openAiModel ? { OPENAI_MODEL: props.openAiModel } : {}),
        ...(props.openAiBaseUrl ? { OPENAI_BASE_URL: props.openAiBaseUrl } : {}),
      },
    });

    // Least privilege, by prefix: read the input; read, write and delete (a stale record of the
    // other kind) digests and error records; read and write the content-hash index. Explicit
    // actions rather than grantRead/grantPut, which add wildcard actions (s3:GetObject*, s3:List*,
    // s3:Abort*) that the function does not need.
    fn.addToRolePolicy(
      new PolicyStatement({
        actions: ['s3:GetObject', 's3:GetObjectVersion'],
        resources: [bucket.arnForObjects(`${inputPrefix}*`)],
      }),
    );
    fn.addToRolePolicy(
      new PolicyStatement({
        actions: ['s3:GetObject'],
        resources: [
          bucket.arnForObjects(`${outputPrefix}*`),
          bucket.arnForObjects(`${cachePrefix}*`),
        ],
      }),
    );
    fn.addToRolePolicy(
      new PolicyStatement({
        actions: ['s3:DeleteObject'],
        resources: [
          bucket.arnForObjects(`${outputPrefix}*`),
          bucket.arnForObjects(`${errorPrefix}*`),
        ],
      }),
    );
    // Listing the input prefix only, so that S3 answers 404 rather than 403 for a document
    // deleted before it was processed, and the pipeline can record it as object_missing.
    fn.addToRolePolicy(
      new PolicyStatement({
        actions: ['s3:ListBucket'],
        resources: [bucket.bucketArn],
        conditions: { StringLike: { 's3:prefix': [`${inputPrefix}*`] } },
      }),
    );
    fn.addToRolePolicy(
      new PolicyStatement({
        actions: ['s3:PutObject'],
        resources: [
          bucket.arnForObjects(`${outputPrefix}*`),
          bucket.arnForObjects(`${errorPrefix}*`),
          bucket.arnForObjects(`${cachePrefix}*`),
        ],
      }),
    );
    // The nag finding names the bucket as it appears in the policy: by logical ID when created
    // here, by name when imported.
    const bucketInPolicy =
      bucket instanceof Bucket
        ? `<${this.getLogicalId(bucket.node.defaultChild as CfnBucket)}.Arn>`
        : `arn:<AWS::Partition>:s3:::${props.bucketName}`;
    for (const prefix of [inputPrefix, outputPrefix, errorPrefix, cachePrefix]) {
      Validations.of(fn.role as IConstruct).acknowledge({
        id: `AwsSolutions::AwsSolutions-IAM5[Resource::${bucketInPolicy}/${prefix}*]`,
        reason: `Object access limited to keys under ${prefix}; the wildcard stands for those keys.`,
      });
    }

    if (props.openAiSecretName) {
      const secret = Secret.fromSecretNameV2(this, 'OpenAiApiKey', props.openAiSecretName);
      fn.addEnvironment('OPENAI_API_KEY_SECRET_ID', props.openAiSecretName);
      fn.addEnvironment('DIGEST_ENGINE', 'openai');
      secret.grantRead(fn);
    }

    const queue = new Queue(this, 'Incoming', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      // At least six times the function timeout, as Lambda's SQS integration recommends.
      visibilityTimeout: Duration.seconds(FUNCTION_TIMEOUT.toSeconds() * 6),
      deadLetterQueue: { queue: deadLetters, maxReceiveCount: MAX_RECEIVE_COUNT },
    });
    bucket.addEventNotification(EventType.OBJECT_CREATED, new SqsDestination(queue), {
      prefix: inputPrefix,
    });
    const notificationsHandler = this.node.tryFindChild(
      'BucketNotificationsHandler050a0587b7544547bf325f094a3db834',
    );
    if (notificationsHandler) {
      Validations.of(notificationsHandler).acknowledge({
        id: 'AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
        reason:
          "CDK's own handler that configures the bucket notification at deploy time; it runs only during deployments.",
      });
    }
    fn.addEventSource(
      new SqsEventSource(queue, {
        batchSize: 5,
        maxBatchingWindow: Duration.seconds(5),
        reportBatchItemFailures: true,
        maxConcurrency: props.maxConcurrency ?? 5,
      }),
    );

    const actions: IAlarmAction[] = [];
    if (props.alarmEmail) {
      const topic = new Topic(this, 'Alarms', { enforceSSL: true });
      topic.addSubscription(new EmailSubscription(props.alarmEmail));
      actions.push(new SnsAction(topic));
      Validations.of(topic).acknowledge({
        id: 'AwsSolutions::AwsSolutions-SNS2',
        reason:
          'Alarm notifications carry no document data; CloudWatch cannot publish to a topic under the AWS-managed SNS key, and a customer key adds cost to every install.',
      });
    }
    const alarm = (
      id: string,
      description: string,
      props: ConstructorParameters<typeof Alarm>[2],
    ) => {
      const created = new Alarm(this, id, {
        ...props,
        alarmDescription: description,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      });
      for (const action of actions) created.addAlarmAction(action);
      return created;
    };
    alarm(
      'DeadLettersNotEmpty',
      'Messages reached the dead-letter queue: documents failed on every retry.',
      {
        metric: deadLetters.metricApproximateNumberOfMessagesVisible({
          period: Duration.minutes(5),
        }),
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      },
    );
    alarm('FunctionErrors', 'The digest function failed (errors, not rejected documents).', {
      metric: fn.metricErrors({ period: Duration.minutes(5) }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    });
    alarm(
      'BacklogAge',
      'The oldest waiting document is over 30 minutes old: the backlog is not draining.',
      {
        metric: queue.metricApproximateAgeOfOldestMessage({ period: Duration.minutes(5) }),
        threshold: 30 * 60,
        evaluationPeriods: 2,
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      },
    );

    new DigestDashboard(this, 'Dashboard', { fn, queue, deadLetters });

    new CfnOutput(this, 'BucketName', { value: bucket.bucketName });
    new CfnOutput(this, 'InputPrefix', { value: inputPrefix });
    new CfnOutput(this, 'OutputPrefix', { value: outputPrefix });
    new CfnOutput(this, 'ErrorPrefix', { value: errorPrefix });
    new CfnOutput(this, 'QueueUrl', { value: queue.queueUrl });
    new CfnOutput(this, 'DeadLetterQueueUrl', { value: deadLetters.queueUrl });
    new CfnOutput(this, 'FunctionName', { value: fn.functionName });
  }
}
