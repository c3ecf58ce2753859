import { Duration } from 'aws-cdk-lib';
import {
  Alarm,
  type AlarmProps,
  ComparisonOperator,
  type IAlarmAction,
  MathExpression,
  Metric,
  Stats,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { ErrorCode } from '../shared/contract';
import type { DeadLetterRecorder } from './dead-letter-recorder';
import { METRICS_NAMESPACE, METRICS_SERVICE } from './digest-dashboard';

/**
 * Error records whose code means the pipeline, its provider or its store is broken rather than
 * the document bad, with the number of records in 5 minutes that raises the alarm.
 * `llm_rejected` needs three: a provider's content filter may refuse one odd document, while a
 * misconfigured model or parameter rejects every document.
 */
export const ALARMING_ERROR_CODES: Readonly<Partial<Record<ErrorCode, number>>> = {
  llm_unavailable: 1,
  storage_unavailable: 1,
  too_slow: 1,
  internal: 1,
  llm_rejected: 3,
};

/**
 * The retry alarm: retries in at least `datapoints` of the last `evaluationPeriods` minutes.
 * Counting minutes with retries, not retries, keeps one failed try (or one batch failing
 * together in a blip) quiet, while an outage under steady traffic produces retries minute after
 * minute and fires within about 3 to 5 minutes.
 */
export const RETRY_ALARM = { period: Duration.minutes(1), datapoints: 3, evaluationPeriods: 5 };

export interface DigestAlarmsProps {
  fn: IFunction;
  queue: IQueue;
  deadLetters: IQueue;
  /** Dead letters on their way to `deadLetters` wait in its intake. */
  recorder: DeadLetterRecorder;
  /** The queue's visibility timeout: the backlog alarm's threshold is set above it. */
  visibilityTimeout: Duration;
  /** Where alarms notify (for example an SNS topic); none leaves them on the console only. */
  actions: IAlarmAction[];
}

/**
 * The alarms of the pipeline. Handled failures never surface as Lambda errors (the handler
 * reports them as batch item failures or error records), so the alarms read the function's own
 * metrics (namespace `ArticleDigest`, dimensions `service` and `ErrorCode`, as `shared/emf.ts`
 * writes them) and the queues' depths. Missing data is never breaching: a quiet pipeline
 * is healthy.
 */
export class DigestAlarms extends Construct {
  constructor(scope: Construct, id: string, props: DigestAlarmsProps) {
    super(scope, id);
    const alarm = (alarmId: string, description: string, alarmProps: AlarmProps) => {
      const created = new Alarm(this, alarmId, {
        treatMissingData: TreatMissingData.NOT_BREACHING,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        ...alarmProps,
        alarmDescription: description,
      });
      for (const action of props.actions) created.addAlarmAction(action);
      return created;
    };

    // SEARCH cannot back an alarm; a Metrics Insights query can, and sums every ErrorCode,
    // including codes added later, without listing them here.
    alarm(
      'Retries',
      'Documents keep failing with transient errors (LLM provider or S3 unavailable, too slow, internal): messages are going back to the queue minute after minute.',
      {
        metric: new MathExpression({
          expression: `SELECT SUM(DocumentsRetried) FROM SCHEMA("${METRICS_NAMESPACE}", ErrorCode, service) WHERE service = '${METRICS_SERVICE}'`,
          period: RETRY_ALARM.period,
          label: 'documents retried',
          usingMetrics: {},
        }),
        threshold: 1,
        evaluationPeriods: RETRY_ALARM.evaluationPeriods,
        datapointsToAlarm: RETRY_ALARM.datapoints,
      },
    );

    for (const [code, threshold] of Object.entries(ALARMING_ERROR_CODES)) {
      alarm(
        `ErrorRecords-${code}`,
        `Error records with code ${code} were written: something is broken, not only the document (see the README's failure classes).`,
        {
          metric: new Metric({
            namespace: METRICS_NAMESPACE,
            metricName: 'DocumentsRejected',
            dimensionsMap: { service: METRICS_SERVICE, ErrorCode: code },
            statistic: Stats.SUM,
            period: Duration.minutes(5),
          }),
          threshold,
          evaluationPeriods: 1,
        },
      );
    }

    // SQS publishes queue metrics every minute, so a 1-minute period reacts to the first dead
    // letter (a malformed message goes there at once) within a few minutes. Dead letters pass
    // through the recorder's intake in seconds, or stay there while the recorder fails: counted
    // wherever they are. FILL: an idle queue publishes no data, which must not hide the other.
    const minute = Duration.minutes(1);
    alarm(
      'DeadLettersNotEmpty',
      'Messages are in the dead-letter queue (or its intake): malformed messages, or documents that failed on every receive.',
      {
        metric: new MathExpression({
          expression: 'FILL(resting, 0) + intake',
          usingMetrics: {
            resting: props.deadLetters.metricApproximateNumberOfMessagesVisible({
              period: minute,
              statistic: Stats.MAXIMUM,
            }),
            intake: props.recorder.metricIntakeMessages(minute),
          },
          period: minute,
          label: 'dead letters',
        }),
        threshold: 1,
        evaluationPeriods: 1,
      },
    );

    // A message retried once is at most one visibility timeout plus one function run old when it
    // is deleted; 15 minutes more keeps that quiet, while a backlog that does not drain (or a
    // second retry of the same message) passes it.
    const backlogThreshold = props.visibilityTimeout.plus(Duration.minutes(15));
    alarm(
      'BacklogAge',
      `The oldest queued document is over ${backlogThreshold.toMinutes()} minutes old: the backlog is not draining, or a document keeps being retried.`,
      {
        metric: props.queue.metricApproximateAgeOfOldestMessage({
          period: Duration.minutes(5),
          statistic: Stats.MAXIMUM,
        }),
        threshold: backlogThreshold.toSeconds(),
        evaluationPeriods: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      },
    );

    // Only failures of the invocation itself count here (start-up with a bad configuration, a
    // crash outside the per-message handling, a timeout); rejected and retried documents do not.
    alarm(
      'InvocationErrors',
      'The digest function itself failed (start-up, crash or timeout), not a document.',
      {
        metric: props.fn.metricErrors({ period: Duration.minutes(5), statistic: Stats.SUM }),
        threshold: 1,
        evaluationPeriods: 1,
      },
    );
  }
}
