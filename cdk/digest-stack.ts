import {
  CfnOutput,
  Duration,
  RemovalPolicy,
  Stack,
  type StackProps,
  Validations,
} from 'aws-cdk-lib';
import type { IAlarmAction } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { EventPattern } from 'aws-cdk-lib/aws-events';
import { Grant, PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import {
  BlockPublicAccess,
  Bucket,
  BucketEncryption,
  BucketNotificationDestinationType,
  type CfnBucket,
  EventType,
  type IBucket,
  type IBucketNotificationDestination,
  type IBucketRef,
} from 'aws-cdk-lib/aws-s3';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { type IQueue, Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import type { Construct, IConstruct } from 'constructs';
import { DeadLetterRecorder } from './dead-letter-recorder';
import { DigestAlarms } from './digest-alarms';
import { DigestCatalog } from './digest-catalog';
import { DigestDashboard } from './digest-dashboard';
import { eventPatternJson, recordWrittenPattern } from './digest-events';
import { DigestFunction, FUNCTION_TIMEOUT } from './digest-function';

export interface DigestStackProps extends StackProps {
  /**
   * Use this existing bucket instead of creating one (context `bucketName`). The stack then
   * manages neither its versioning nor its lifecycle rules: set those by hand (see the README).
   */
  bucketName?: string | undefined;
  /** Key prefixes (context `inputPrefix`, `outputPrefix`, `errorPrefix`). */
  inputPrefix: string;
  outputPrefix: string;
  errorPrefix: string;
  /** Prefix of the content-hash index (context `cachePrefix`, default `cache/`). */
  cachePrefix?: string | undefined;
  /**
   * Prefix of the text read out of PDF and Word files, which their evidence offsets index
   * (context `textPrefix`, default `texts/`).
   */
  textPrefix?: string | undefined;
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
  /**
   * Days an object version is kept once a newer one replaces it or it is deleted (context
   * `noncurrentVersionExpirationDays`, default 30): the undo window of the versioned bucket.
   */
  noncurrentVersionExpirationDays?: number | undefined;
  /**
   * Days an entry of the content-hash index (cached results and leases) lives (context
   * `cacheExpirationDays`, default 90). After that, identical content is digested, and paid
   * for, again.
   */
  cacheExpirationDays?: number | undefined;
  /**
   * Days after which an unfinished multipart upload is aborted and its parts deleted (context
   * `abortIncompleteMultipartUploadDays`, default 7).
   */
  abortIncompleteMultipartUploadDays?: number | undefined;
}

/** Lifecycle defaults of the bucket the stack creates, in days. */
export const LIFECYCLE_DEFAULTS = {
  noncurrentVersionExpirationDays: 30,
  cacheExpirationDays: 90,
  abortIncompleteMultipartUploadDays: 7,
} as const;

/** Receives before a message goes to the dead-letter queue. */
export const MAX_RECEIVE_COUNT = 5;

/**
 * How the digest function reads the queue, by engine. The handler digests a batch's documents
 * one after another, and a document may take up to `DOCUMENT_TIME_LIMIT_MS` (4 minutes) of the
 * function's 5: with the LLM engine only one document surely fits an invocation, and a second
 * one would be handed back unstarted (a receive spent for nothing) whenever the first is long.
 * One message per invocation costs no throughput (documents are sequential within an
 * invocation anyway; `maxConcurrency` bounds the parallel ones) and only Lambda's request
 * charge, a rounding error beside the LLM's. The offline engine takes well under a second a
 * document, so it reads ten at a time, after up to 5 seconds of gathering.
 */
export const QUEUE_BATCHING = {
  openai: { batchSize: 1 },
  extractive: { batchSize: 10, maxBatchingWindow: Duration.seconds(5) },
} as const;

/**
 * Wires the pipeline: bucket → notification → queue → function → bucket; a message that fails
 * on every receive → recorder intake → recorder (error record) → dead-letter queue.
 */
export class DigestStack extends Stack {
  /**
   * @throws {Error} when a lifecycle setting (`noncurrentVersionExpirationDays`,
   * `cacheExpirationDays`, `abortIncompleteMultipartUploadDays`) is not a positive whole number.
   */
  /** The digest function. */
  readonly fn: DigestFunction;
  /** The queue S3 notifies. */
  readonly queue: Queue;
  /** Where dead letters rest, each with its record, until a redrive. */
  readonly deadLetters: Queue;
  /** The intake of dead letters and the function that records them. */
  readonly recorder: DeadLetterRecorder;
  /** S3's EventBridge events for a digest written (output `DigestWrittenEventPattern`). */
  readonly digestWritten: EventPattern;
  /** S3's EventBridge events for an error record written (`ErrorRecordWrittenEventPattern`). */
  readonly errorRecordWritten: EventPattern;
  /** The Glue tables, the Athena workgroup and the query policy over the records. */
  readonly catalog: DigestCatalog;

  constructor(scope: Construct, id: string, props: DigestStackProps) {
    super(scope, id, props);
    const { inputPrefix, outputPrefix, errorPrefix } = props;
    const cachePrefix = props.cachePrefix ?? 'cache/';
    const textPrefix = props.textPrefix ?? 'texts/';
    const days = (name: keyof typeof LIFECYCLE_DEFAULTS): Duration => {
      const value = props[name] ?? LIFECYCLE_DEFAULTS[name];
      if (!Number.isInteger(value) || value < 1) {
        throw new Error(`${name} must be a positive whole number of days, got ${value}`);
      }
      return Duration.days(value);
    };

    const bucket: IBucket = props.bucketName
      ? Bucket.fromBucketName(this, 'Articles', props.bucketName)
      : new Bucket(this, 'Articles', {
          blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
          encryption: BucketEncryption.S3_MANAGED,
          enforceSSL: true,
          versioned: true,
          // Consumers subscribe to records written instead of polling: S3 sends every object
          // event of the bucket to EventBridge, where rules pick the record prefixes.
          eventBridgeEnabled: true,
          // Versioning is the undo of an overwrite or delete, bounded in time; the cache is an
          // index that is rebuilt on demand; parts of an abandoned upload are billed unseen.
          lifecycleRules: [
            {
              id: 'noncurrent-versions',
              noncurrentVersionExpiration: days('noncurrentVersionExpirationDays'),
              // Once the versions under a delete marker are gone, the marker is removed too.
              expiredObjectDeleteMarker: true,
              abortIncompleteMultipartUploadAfter: days('abortIncompleteMultipartUploadDays'),
            },
            {
              id: 'cache-entries',
              prefix: cachePrefix,
              expiration: days('cacheExpirationDays'),
            },
          ],
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

    // Where dead letters rest until a redrive: every one with a record, and never consumed.
    const deadLetters = new Queue(this, 'DeadLetters', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(deadLetters).acknowledge({
      id: 'AwsSolutions::AwsSolutions-SQS3',
      reason:
        'This is the dead-letter queue: of the recorder intake, which the Incoming queue dead-letters into.',
    });
    this.deadLetters = deadLetters;

    const engine = props.openAiSecretName ? 'openai' : 'extractive';
    const fn = new DigestFunction(this, 'Digest', {
      entry: 'functions/digest.ts',
      description: 'Digests articles dropped under the input prefix into JSON.',
      environment: {
        INPUT_PREFIX: inputPrefix,
        OUTPUT_PREFIX: outputPrefix,
        ERROR_PREFIX: errorPrefix,
        CACHE_PREFIX: cachePrefix,
        MAX_RECEIVE_COUNT: String(MAX_RECEIVE_COUNT),
        ...(props.openAiModel ? { OPENAI_MODEL: props.openAiModel } : {}),
        ...(props.openAiBaseUrl ? { OPENAI_BASE_URL: props.openAiBaseUrl } : {}),
      },
    });

    // Least privilege, by prefix, for exactly the calls the function makes. Explicit actions
    // rather than grantRead/grantPut, which add wildcard actions (s3:GetObject*, s3:List*,
    // s3:Abort*) that the function does not need. GetObject also covers HEAD; conditional
    // writes (If-None-Match, If-Match) need no more than PutObject.
    const objects = (...prefixes: string[]) => prefixes.map((p) => bucket.arnForObjects(`${p}*`));
    fn.addToRolePolicy(
      new PolicyStatement({
        actions: ['s3:GetObject'],
        resources: objects(inputPrefix, outputPrefix, cachePrefix),
      }),
    );
    // S3 answers a read of a missing key with 404 only to a caller allowed to list that key, and
    // with 403 otherwise. The function reads keys that may not exist yet under every prefix it
    // reads (a deleted document, a first digest, a new index entry), so it may list exactly
    // those prefixes.
    fn.addToRolePolicy(
      new PolicyStatement({
        actions: ['s3:ListBucket'],
        resources: [bucket.bucketArn],
        conditions: {
          StringLike: { 's3:prefix': [inputPrefix, outputPrefix, cachePrefix].map((p) => `${p}*`) },
        },
      }),
    );
    fn.addToRolePolicy(
      new PolicyStatement({
        actions: ['s3:PutObject'],
        resources: objects(outputPrefix, errorPrefix, cachePrefix),
      }),
    );
    // A digest replaces a stale error record of the same document, and the reverse.
    fn.addToRolePolicy(
      new PolicyStatement({
        actions: ['s3:DeleteObject'],
        resources: objects(outputPrefix, errorPrefix),
      }),
    );
    // The text read out of a PDF or Word file is written beside its digest, and removed with it
    // when a later version of the document fails. It is never read back.
    fn.addEnvironment('TEXT_PREFIX', textPrefix);
    fn.addToRolePolicy(
      new PolicyStatement({
        actions: ['s3:PutObject', 's3:DeleteObject'],
        resources: objects(textPrefix),
      }),
    );
    this.fn = fn;
    // The nag finding names the bucket as it appears in the policy: by logical ID when created
    // here, by name when imported.
    const bucketInPolicy =
      bucket instanceof Bucket
        ? `<${this.getLogicalId(bucket.node.defaultChild as CfnBucket)}.Arn>`
        : `arn:<AWS::Partition>:s3:::${props.bucketName}`;
    for (const prefix of [inputPrefix, outputPrefix, errorPrefix, cachePrefix, textPrefix]) {
      Validations.of(fn.role as IConstruct).acknowledge({
        id: `AwsSolutions::AwsSolutions-IAM5[Resource::${bucketInPolicy}/${prefix}*]`,
        reason: `Object access limited to keys under ${prefix}; the wildcard stands for those keys.`,
      });
    }

    // A message that is not an S3 notification can never succeed: the function sends it
    // straight to the dead-letter queue and acknowledges it, instead of five receives. It names
    // no document, so it needs no record and skips the recorder.
    fn.addEnvironment('DEAD_LETTER_QUEUE_URL', deadLetters.queueUrl);
    Grant.addToPrincipal({
      grantee: fn,
      actions: ['sqs:SendMessage'],
      resourceArns: [deadLetters.queueArn],
    });

    if (props.openAiSecretName) {
      const secret = Secret.fromSecretNameV2(this, 'OpenAiApiKey', props.openAiSecretName);
      fn.addEnvironment('OPENAI_API_KEY_SECRET_ID', props.openAiSecretName);
      fn.addEnvironment('DIGEST_ENGINE', 'openai');
      // GetSecretValue only: grantRead would add DescribeSecret, which the function never calls.
      Grant.addToPrincipal({
        grantee: fn,
        actions: ['secretsmanager:GetSecretValue'],
        // A secret's ARN ends in six random characters that a name alone does not know.
        resourceArns: [`${secret.secretArn}-??????`],
      });
    }

    // A message that failed on every receive goes through the recorder, which writes the error
    // record a killed function could not, and then rests in the dead-letter queue.
    const recorder = new DeadLetterRecorder(this, 'DeadLetterRecorder', {
      bucket,
      bucketInPolicy,
      inputPrefix,
      outputPrefix,
      errorPrefix,
      cachePrefix,
      deadLetters,
    });
    this.recorder = recorder;

    const visibilityTimeout = Duration.seconds(FUNCTION_TIMEOUT.toSeconds() * 6);
    const queue = new Queue(this, 'Incoming', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      // At least six times the function timeout, as Lambda's SQS integration recommends.
      visibilityTimeout,
      deadLetterQueue: { queue: recorder.intake, maxReceiveCount: MAX_RECEIVE_COUNT },
    });
    this.queue = queue;
    bucket.addEventNotification(EventType.OBJECT_CREATED, new QueueFromOwnBucket(queue), {
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
        ...QUEUE_BATCHING[engine],
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
    new DigestAlarms(this, 'Alarm', {
      fn,
      queue,
      deadLetters,
      recorder,
      visibilityTimeout,
      actions,
    });
    new DigestDashboard(this, 'Dashboard', { fn, queue, deadLetters, recorder });

    // An imported bucket's EventBridge delivery is left as it is (see the README): it applies to
    // every object event of the bucket, is billed per event, and would outlive the stack.
    this.digestWritten = recordWrittenPattern(bucket.bucketName, outputPrefix);
    this.errorRecordWritten = recordWrittenPattern(bucket.bucketName, errorPrefix);
    const catalog = new DigestCatalog(this, 'Catalog', {
      bucket,
      outputPrefix,
      errorPrefix,
      bucketInPolicy,
    });
    this.catalog = catalog;

    new CfnOutput(this, 'BucketName', { value: bucket.bucketName });
    new CfnOutput(this, 'InputPrefix', { value: inputPrefix });
    new CfnOutput(this, 'OutputPrefix', { value: outputPrefix });
    new CfnOutput(this, 'ErrorPrefix', { value: errorPrefix });
    new CfnOutput(this, 'QueueUrl', { value: queue.queueUrl });
    new CfnOutput(this, 'QueueArn', { value: queue.queueArn });
    new CfnOutput(this, 'DeadLetterQueueUrl', { value: deadLetters.queueUrl });
    new CfnOutput(this, 'DeadLetterQueueArn', { value: deadLetters.queueArn });
    new CfnOutput(this, 'FunctionName', { value: fn.functionName });
    new CfnOutput(this, 'DigestWrittenEventPattern', {
      value: this.toJsonString(eventPatternJson(this.digestWritten)),
    });
    new CfnOutput(this, 'ErrorRecordWrittenEventPattern', {
      value: this.toJsonString(eventPatternJson(this.errorRecordWritten)),
    });
    new CfnOutput(this, 'GlueDatabase', { value: catalog.databaseName });
    new CfnOutput(this, 'AthenaWorkGroup', { value: catalog.workGroupName });
    new CfnOutput(this, 'QueryResultsBucketName', { value: catalog.results.bucketName });
    new CfnOutput(this, 'QueryPolicyArn', { value: catalog.queryPolicy.managedPolicyArn });
  }
}

/**
 * The S3 → SQS notification target. Unlike `SqsDestination`, the queue policy names the bucket
 * owner's account (`aws:SourceAccount`) beside the bucket (`aws:SourceArn`): a bucket name, and
 * so its ARN, can be deleted and re-created by another account, which the account check stops.
 * Assumes the bucket is in the stack's account, as `Bucket.fromBucketName` does.
 */
class QueueFromOwnBucket implements IBucketNotificationDestination {
  constructor(private readonly queue: IQueue) {}

  bind(scope: Construct, bucket: IBucketRef) {
    const { policyDependable } = this.queue.addToResourcePolicy(
      new PolicyStatement({
        principals: [new ServicePrincipal('s3.amazonaws.com')],
        actions: ['sqs:SendMessage'],
        resources: [this.queue.queueArn],
        conditions: {
          ArnLike: { 'aws:SourceArn': bucket.bucketRef.bucketArn },
          StringEquals: { 'aws:SourceAccount': Stack.of(scope).account },
        },
      }),
    );
    return {
      arn: this.queue.queueArn,
      type: BucketNotificationDestinationType.QUEUE,
      // S3 checks the permission when the notification is configured.
      dependencies: [policyDependable ?? this.queue],
    };
  }
}
