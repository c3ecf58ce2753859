import { CfnOutput, Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import {
  BlockPublicAccess,
  Bucket,
  BucketEncryption,
  EventType,
  type IBucket,
} from 'aws-cdk-lib/aws-s3';
import { SqsDestination } from 'aws-cdk-lib/aws-s3-notifications';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { DigestFunction, FUNCTION_TIMEOUT } from './digest-function';

export interface DigestStackProps extends StackProps {
  /** Use this existing bucket instead of creating one (context `bucketName`). */
  bucketName?: string;
  /** Key prefixes (context `inputPrefix`, `outputPrefix`, `errorPrefix`). */
  inputPrefix: string;
  outputPrefix: string;
  errorPrefix: string;
}

/** Wires the pipeline: bucket → notification → queue (with DLQ) → function → bucket. */
export class DigestStack extends Stack {
  constructor(scope: Construct, id: string, props: DigestStackProps) {
    super(scope, id, props);
    const { inputPrefix, outputPrefix, errorPrefix } = props;

    const bucket: IBucket = props.bucketName
      ? Bucket.fromBucketName(this, 'Articles', props.bucketName)
      : new Bucket(this, 'Articles', {
          blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
          encryption: BucketEncryption.S3_MANAGED,
          enforceSSL: true,
          versioned: true,
          removalPolicy: RemovalPolicy.RETAIN,
        });

    const deadLetters = new Queue(this, 'DeadLetters', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });

    const fn = new DigestFunction(this, 'Digest', {
      entry: 'functions/digest.ts',
      environment: {
        INPUT_PREFIX: inputPrefix,
        OUTPUT_PREFIX: outputPrefix,
        ERROR_PREFIX: errorPrefix,
      },
    });
    // Least privilege: read only the input prefix, write only the output and error prefixes.
    bucket.grantRead(fn, `${inputPrefix}*`);
    bucket.grantPut(fn, `${outputPrefix}*`);
    bucket.grantPut(fn, `${errorPrefix}*`);

    const queue = new Queue(this, 'Incoming', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      // At least six times the function timeout, as Lambda's SQS integration recommends.
      visibilityTimeout: Duration.seconds(FUNCTION_TIMEOUT.toSeconds() * 6),
      deadLetterQueue: { queue: deadLetters, maxReceiveCount: 5 },
    });
    bucket.addEventNotification(EventType.OBJECT_CREATED, new SqsDestination(queue), {
      prefix: inputPrefix,
    });
    fn.addEventSource(
      new SqsEventSource(queue, {
        batchSize: 5,
        reportBatchItemFailures: true,
        // Caps concurrent invocations, and so the request rate at the LLM provider.
        maxConcurrency: 5,
      }),
    );

    new Alarm(this, 'DeadLettersNotEmpty', {
      metric: deadLetters.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5) }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
      alarmDescription: 'Messages reached the dead-letter queue: documents failed on every retry.',
    });

    new CfnOutput(this, 'BucketName', { value: bucket.bucketName });
    new CfnOutput(this, 'InputPrefix', { value: inputPrefix });
    new CfnOutput(this, 'OutputPrefix', { value: outputPrefix });
    new CfnOutput(this, 'ErrorPrefix', { value: errorPrefix });
    new CfnOutput(this, 'QueueUrl', { value: queue.queueUrl });
    new CfnOutput(this, 'DeadLetterQueueUrl', { value: deadLetters.queueUrl });
  }
}
