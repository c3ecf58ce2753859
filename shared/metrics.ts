import type { ErrorCode, Usage } from './contract';
import type { Outcome } from './pipeline';

export type MetricUnit = 'Count' | 'Milliseconds' | 'None';

/** One metric data point; `dimensions` split it further (e.g. by error code). */
export interface MetricPoint {
  name: string;
  unit: MetricUnit;
  value: number;
  dimensions?: Record<string, string>;
}

/**
 * The metrics one processed object produces: documents digested or rejected (by error code),
 * tasks, dropped quotes, LLM calls and tokens, estimated cost and processing time. Names are
 * stable: the stack's alarms and dashboard read them.
 */
export function outcomeMetrics(outcome: Outcome, elapsedMs: number): MetricPoint[] {
  if (outcome.status === 'ignored') return [];
  const points: MetricPoint[] = [
    { name: 'ProcessingTime', unit: 'Milliseconds', value: elapsedMs },
  ];
  if (outcome.status === 'failed') {
    points.push(
      {
        name: 'DocumentsRejected',
        unit: 'Count',
        value: 1,
        dimensions: { ErrorCode: outcome.record.error.code },
      },
      ...spendMetrics(outcome.record.usage),
    );
    return points;
  }
  const { digest } = outcome;
  points.push(
    { name: 'DocumentsDigested', unit: 'Count', value: 1 },
    {
      name: 'TasksExtracted',
      unit: 'Count',
      value: digest.articles.reduce((n, a) => n + a.tasks.length, 0),
    },
    { name: 'QuotesDropped', unit: 'Count', value: digest.grounding.dropped },
    ...spendMetrics(digest.usage),
  );
  return points;
}

/**
 * LLM calls, tokens and estimated cost, whatever the try ended in (digest, error record, retry):
 * every token paid is counted once. Nothing for a try that spent nothing.
 */
function spendMetrics(usage: Usage | null): MetricPoint[] {
  if (!usage || usage.llmCalls === 0) return [];
  const points: MetricPoint[] = [
    { name: 'LlmCalls', unit: 'Count', value: usage.llmCalls },
    { name: 'InputTokens', unit: 'Count', value: usage.inputTokens },
    { name: 'OutputTokens', unit: 'Count', value: usage.outputTokens },
  ];
  if (usage.estimatedCostUsd !== null) {
    points.push({ name: 'EstimatedCostUsd', unit: 'None', value: usage.estimatedCostUsd });
  }
  return points;
}

/**
 * The metrics of one failed try of an object whose message goes back to the queue:
 * `DocumentsRetried` by error code, and what the try spent. It moves within a minute of a provider or storage outage,
 * where error records appear only once every receive has failed.
 */
export function tryFailedMetrics(code: ErrorCode, spent: Usage | null): MetricPoint[] {
  return [
    { name: 'DocumentsRetried', unit: 'Count', value: 1, dimensions: { ErrorCode: code } },
    ...spendMetrics(spent),
  ];
}
