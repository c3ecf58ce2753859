import { Duration } from 'aws-cdk-lib';
import {
  Dashboard,
  GraphWidget,
  MathExpression,
  Metric,
  SingleValueWidget,
  Stats,
  TextWidget,
} from 'aws-cdk-lib/aws-cloudwatch';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { DeadLetterRecorder } from './dead-letter-recorder';

/** The metric namespace of the functions' embedded-metric-format lines (`shared/emf.ts`). */
export const METRICS_NAMESPACE = 'ArticleDigest';
/**
 * The `service` dimension `shared/emf.ts` adds to every metric; metrics with an `ErrorCode` dimension
 * carry the dimension set `[service, ErrorCode]`.
 */
export const METRICS_SERVICE = 'article-digest';
const SERVICE = { service: METRICS_SERVICE };

/**
 * What people running the pipeline look at: documents digested, rejected and retried (by error
 * code), tasks, tokens and estimated cost, the queue's backlog age and the dead-letter queue's
 * depth.
 */
export class DigestDashboard extends Construct {
  constructor(
    scope: Construct,
    id: string,
    props: { fn: IFunction; queue: IQueue; deadLetters: IQueue; recorder: DeadLetterRecorder },
  ) {
    super(scope, id);
    const period = Duration.minutes(5);
    const metric = (metricName: string, label: string, statistic: string = Stats.SUM) =>
      new Metric({
        namespace: METRICS_NAMESPACE,
        metricName,
        dimensionsMap: SERVICE,
        statistic,
        period,
        label,
      });
    const rejectedByCode = new MathExpression({
      expression: `SEARCH('{${METRICS_NAMESPACE},ErrorCode,service} MetricName="DocumentsRejected"', 'Sum', 300)`,
      label: 'rejected',
      period,
    });
    const retriedByCode = new MathExpression({
      expression: `SEARCH('{${METRICS_NAMESPACE},ErrorCode,service} MetricName="DocumentsRetried"', 'Sum', 300)`,
      label: 'retried',
      period,
    });

    new Dashboard(this, 'Dashboard', {
      dashboardName: `${scope.node.id}-digest`,
      widgets: [
        [
          new TextWidget({
            markdown:
              '## Article digest\nDocuments digested and rejected, what they cost, and whether the queue keeps up. Rejections by error code come from the error records (see the README for the codes).',
            width: 24,
            height: 2,
          }),
        ],
        [
          new GraphWidget({
            title: 'Documents',
            left: [metric('DocumentsDigested', 'digested')],
            right: [rejectedByCode],
            width: 12,
          }),
          new GraphWidget({
            title: 'Error records by code',
            left: [rejectedByCode],
            stacked: true,
            width: 6,
          }),
          new GraphWidget({
            title: 'Retries by code (transient failures)',
            left: [retriedByCode],
            stacked: true,
            width: 6,
          }),
        ],
        [
          new GraphWidget({
            title: 'LLM tokens',
            left: [metric('InputTokens', 'input tokens'), metric('OutputTokens', 'output tokens')],
            right: [metric('LlmCalls', 'LLM calls')],
            width: 8,
          }),
          new GraphWidget({
            title: 'Estimated cost (USD)',
            left: [metric('EstimatedCostUsd', 'estimated cost')],
            width: 8,
          }),
          new SingleValueWidget({
            title: 'Estimated cost, last 24 hours (USD)',
            metrics: [
              new Metric({
                namespace: METRICS_NAMESPACE,
                metricName: 'EstimatedCostUsd',
                dimensionsMap: SERVICE,
                statistic: Stats.SUM,
                period: Duration.days(1),
              }),
            ],
            width: 8,
          }),
        ],
        [
          new GraphWidget({
            title: 'Queue: oldest message age (s)',
            left: [
              props.queue.metricApproximateAgeOfOldestMessage({ period, statistic: Stats.MAXIMUM }),
            ],
            width: 8,
          }),
          new GraphWidget({
            title: 'Dead letters',
            left: [
              props.deadLetters.metricApproximateNumberOfMessagesVisible({
                period: Duration.minutes(1),
                statistic: Stats.MAXIMUM,
                label: 'in the dead-letter queue',
              }),
              props.recorder.metricIntakeMessages(Duration.minutes(1)),
            ],
            width: 8,
          }),
          new GraphWidget({
            title: 'Function',
            left: [
              props.fn.metricInvocations({ period }),
              props.fn.metricErrors({ period }),
              props.recorder.fn.metricErrors({ period, label: 'dead-letter recorder errors' }),
            ],
            right: [
              metric('ProcessingTime', 'processing time p90 (ms)', Stats.p(90)),
              props.fn.metricDuration({ period, statistic: Stats.p(90) }),
            ],
            width: 8,
          }),
        ],
        [
          new GraphWidget({
            title: 'Tasks extracted and quotes dropped',
            left: [
              metric('TasksExtracted', 'tasks'),
              metric('QuotesDropped', 'quotes not in the source'),
            ],
            width: 24,
          }),
        ],
      ],
    });
  }
}
