import { Duration, Validations } from 'aws-cdk-lib';
import { MathExpression, Stats } from 'aws-cdk-lib/aws-cloudwatch';
import { Grant, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import { type IQueue, Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct, type IConstruct } from 'constructs';
import { DigestFunction } from './digest-function';

/**
 * The recorder's timeout: a batch of ten messages is a few S3 calls and one SendMessage each,
 * well under a second; the rest is room for the clients' retries of a slow S3 or SQS.
 */
export const RECORDER_TIMEOUT = Duration.minutes(1);

/**
 * Receives of a message in the intake before SQS itself moves it on to the dead-letter queue,
 * without a record: the recorder keeps failing (S3 unreachable for longer than this many
 * visibility timeouts, about an hour, or a bug). The message stays redrivable either way.
 */
export const INTAKE_MAX_RECEIVE_COUNT = 10;

export interface DeadLetterRecorderProps {
  bucket: IBucket;
  /** How cdk-nag names the bucket in a finding (its logical ID, or its name when imported). */
  bucketInPolicy: string;
  inputPrefix: string;
  outputPrefix: string;
  errorPrefix: string;
  cachePrefix: string;
  /** Where dead letters rest and are redriven from; the recorder passes every message on there. */
  deadLetters: IQueue;
}

/**
 * Makes sure no message reaches the dead-letter queue without an error record, even when the
 * digest function was killed on its last receive (hard timeout, out of memory, a crash) and could
 * not write one. The digest queue dead-letters into {@link intake}; the recorder function reads
 * it, writes `errors/<path>.json` where neither a digest nor an error record exists, and passes
 * each message on, body unchanged, to the dead-letter queue, where it rests until a redrive.
 *
 * Why a queue in between rather than a consumer of the dead-letter queue itself: a consumer
 * deletes what it reads, and a redrive (SQS's message move task) needs the messages to stay. A
 * scheduled reader that peeks without deleting would hide messages from a redrive while it
 * holds them, run (and pay) when nothing failed, and write records minutes late.
 */
export class DeadLetterRecorder extends Construct {
  /** The digest queue's dead-letter queue: messages pass through here in seconds. */
  readonly intake: Queue;
  readonly fn: DigestFunction;

  constructor(scope: Construct, id: string, props: DeadLetterRecorderProps) {
    super(scope, id);
    const { bucket, outputPrefix, errorPrefix } = props;

    this.fn = new DigestFunction(this, 'Function', {
      entry: 'functions/dead-letters.ts',
      description:
        'Writes the error record a dead-lettered document lacks, then passes the message on to the dead-letter queue.',
      // Reads, one small write and one send per message: the digest function's size is not needed.
      memorySize: 256,
      timeout: RECORDER_TIMEOUT,
      lazyModules: false,
      environment: {
        // All four prefixes, so the configuration is checked as the digest function's is.
        INPUT_PREFIX: props.inputPrefix,
        OUTPUT_PREFIX: outputPrefix,
        ERROR_PREFIX: errorPrefix,
        CACHE_PREFIX: props.cachePrefix,
      },
    });

    // HEAD of the digest and the error record; answers 404 for a missing key only with
    // ListBucket on the key (403 otherwise). GetObject also covers HEAD.
    this.fn.addToRolePolicy(
      new PolicyStatement({
        actions: ['s3:GetObject'],
        resources: [outputPrefix, errorPrefix].map((p) => bucket.arnForObjects(`${p}*`)),
      }),
    );
    this.fn.addToRolePolicy(
      new PolicyStatement({
        actions: ['s3:ListBucket'],
        resources: [bucket.bucketArn],
        conditions: {
          StringLike: { 's3:prefix': [outputPrefix, errorPrefix].map((p) => `${p}*`) },
        },
      }),
    );
    // The record (a conditional write needs no more), and its removal when a newer version was
    // digested while it was written.
    this.fn.addToRolePolicy(
      new PolicyStatement({
        actions: ['s3:PutObject', 's3:DeleteObject'],
        resources: [bucket.arnForObjects(`${errorPrefix}*`)],
      }),
    );
    for (const prefix of [outputPrefix, errorPrefix]) {
      Validations.of(this.fn.role as IConstruct).acknowledge({
        id: `AwsSolutions::AwsSolutions-IAM5[Resource::${props.bucketInPolicy}/${prefix}*]`,
        reason: `Object access limited to keys under ${prefix}; the wildcard stands for those keys.`,
      });
    }

    this.fn.addEnvironment('DEAD_LETTER_QUEUE_URL', props.deadLetters.queueUrl);
    Grant.addToPrincipal({
      grantee: this.fn,
      actions: ['sqs:SendMessage'],
      resourceArns: [props.deadLetters.queueArn],
    });

    this.intake = new Queue(this, 'Intake', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      // Moved messages keep their first enqueue time: 14 days from the original upload's event.
      retentionPeriod: Duration.days(14),
      visibilityTimeout: Duration.seconds(RECORDER_TIMEOUT.toSeconds() * 6),
      // Also what makes the dead-letter queue a dead-letter queue, which SQS's message move task
      // (the redrive) requires of its source.
      deadLetterQueue: { queue: props.deadLetters, maxReceiveCount: INTAKE_MAX_RECEIVE_COUNT },
    });
    this.fn.addEventSource(
      new SqsEventSource(this.intake, {
        batchSize: 10,
        reportBatchItemFailures: true,
        // Lambda's lowest: dead letters are rare, and a burst can wait a few seconds.
        maxConcurrency: 2,
      }),
    );
  }

  /**
   * Messages in the intake, visible or being handled: more than zero for longer than a few
   * seconds means the recorder is failing.
   */
  metricIntakeMessages(period: Duration): MathExpression {
    return new MathExpression({
      expression: 'FILL(visible, 0) + FILL(inFlight, 0)',
      usingMetrics: {
        visible: this.intake.metricApproximateNumberOfMessagesVisible({
          period,
          statistic: Stats.MAXIMUM,
        }),
        inFlight: this.intake.metricApproximateNumberOfMessagesNotVisible({
          period,
          statistic: Stats.MAXIMUM,
        }),
      },
      period,
      label: 'dead letters waiting for a record',
    });
  }
}
