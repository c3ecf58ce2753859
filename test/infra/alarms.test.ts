import { Template } from 'aws-cdk-lib/assertions';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createEmfMetrics } from '../../shared/emf';
import { logicalIdOf, synthApp } from '../support/synth';

interface MetricDataQuery {
  Id?: string;
  Expression?: string;
  Period?: number;
  ReturnData?: boolean;
  MetricStat?: {
    Metric: { Namespace: string; MetricName: string; Dimensions?: { Value: unknown }[] };
    Period: number;
    Stat: string;
  };
}

interface AlarmProperties {
  AlarmDescription?: string;
  MetricName?: string;
  Namespace?: string;
  Dimensions?: { Name: string; Value: unknown }[];
  Metrics?: MetricDataQuery[];
  Statistic?: string;
  Period?: number;
  Threshold: number;
  EvaluationPeriods: number;
  DatapointsToAlarm?: number;
  ComparisonOperator: string;
  TreatMissingData?: string;
}

interface Emf {
  _aws: { CloudWatchMetrics: { Namespace: string; Dimensions: string[][] }[] };
  [key: string]: unknown;
}

/**
 * The EMF line the function writes for one metric with an error code, made the way
 * `functions/digest.ts` makes it (an EMF line with an `ErrorCode` dimension).
 */
function emitWithErrorCode(name: string, code: string): Emf {
  const lines: string[] = [];
  const metrics = createEmfMetrics({
    namespace: 'ArticleDigest',
    service: 'article-digest',
    write: (line) => lines.push(line),
  });
  metrics.add([{ name, unit: 'Count', value: 1, dimensions: { ErrorCode: code } }]);
  const emf = lines.map((line) => JSON.parse(line) as Emf).find((e) => name in e);
  if (!emf) throw new Error(`no EMF line for ${name} in ${lines.join('')}`);
  return emf;
}

/**
 * CloudWatch's M-of-N evaluation with missing data treated as not breaching: for each minute of
 * `perMinute` (undefined = no data), whether the alarm is in ALARM after that minute.
 */
function evaluate(alarm: AlarmProperties, perMinute: (number | undefined)[]): boolean[] {
  const n = alarm.EvaluationPeriods;
  const m = alarm.DatapointsToAlarm ?? n;
  const breaching = perMinute.map((v) => v !== undefined && v >= alarm.Threshold);
  return breaching.map(
    (_, i) => breaching.slice(Math.max(0, i - n + 1), i + 1).filter(Boolean).length >= m,
  );
}

/**
 * The value of an alarm's metric math at one moment, for expressions of sums and `FILL(id, 0)`
 * terms, as CloudWatch computes it: a term without data makes the sum missing unless filled.
 * `value` gives each metric's datapoint (undefined: no data).
 */
function evaluateMath(
  queries: MetricDataQuery[],
  value: (stat: NonNullable<MetricDataQuery['MetricStat']>) => number | undefined,
): number | undefined {
  const byId = new Map(queries.map((q) => [q.Id, q]));
  const of = (query: MetricDataQuery | undefined): number | undefined => {
    if (query?.MetricStat) return value(query.MetricStat);
    if (!query?.Expression) throw new Error(`no query ${JSON.stringify(query)}`);
    let sum: number | undefined = 0;
    for (const term of query.Expression.split('+').map((t) => t.trim())) {
      const fill = /^FILL\((\w+), 0\)$/.exec(term);
      const id = fill ? fill[1] : term;
      if (!/^\w+$/.test(id ?? '')) throw new Error(`cannot evaluate ${query.Expression}`);
      const termValue = of(byId.get(id)) ?? (fill ? 0 : undefined);
      sum = sum === undefined || termValue === undefined ? undefined : sum + termValue;
    }
    return sum;
  };
  return of(queries.find((q) => q.ReturnData));
}

describe('DigestAlarms', () => {
  let alarms: AlarmProperties[];
  let queueIds: { deadLetters: string; intake: string };
  const find = (word: string) => {
    const found = alarms.filter((a) => a.AlarmDescription?.includes(word));
    expect(found).toHaveLength(1);
    return found[0] as AlarmProperties;
  };

  beforeAll(() => {
    const { stack } = synthApp({}, { bundle: false });
    const template = Template.fromStack(stack);
    queueIds = {
      deadLetters: logicalIdOf(stack, stack.deadLetters),
      intake: logicalIdOf(stack, stack.recorder.intake),
    };
    alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm')).map(
      (a) => (a as { Properties: AlarmProperties }).Properties,
    );
  });
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('treats missing data as OK on every alarm', () => {
    for (const alarm of alarms) expect(alarm.TreatMissingData).toBe('notBreaching');
  });

  it('sums retries over every error code with the dimension set the functions write', () => {
    const alarm = find('transient errors');
    const emf = emitWithErrorCode('DocumentsRetried', 'llm_unavailable');
    const [directive] = emf._aws.CloudWatchMetrics;
    const dimensions = directive?.Dimensions[0]?.slice().sort();
    expect(dimensions).toEqual(['ErrorCode', 'service']);
    const [query] = alarm.Metrics ?? [];
    expect(query?.ReturnData).toBe(true);
    expect(query?.Period).toBe(60);
    expect(query?.Expression).toBe(
      `SELECT SUM(DocumentsRetried) FROM SCHEMA("${directive?.Namespace}", ${dimensions?.join(', ')}) WHERE service = '${emf.service}'`,
    );
  });

  it('stays quiet on one retry, one failing batch or a slow trickle of retries', () => {
    const alarm = find('transient errors');
    const quiet = (series: (number | undefined)[]) =>
      expect(evaluate(alarm, series)).not.toContain(true);
    quiet([1, undefined, undefined, undefined, undefined, undefined]);
    quiet([5, undefined, undefined, undefined, undefined, undefined]);
    // One document retried every 30 minutes (the visibility timeout).
    quiet(Array.from({ length: 90 }, (_, i) => (i % 30 === 0 ? 1 : undefined)));
  });

  it('fires within 5 minutes of an outage under steady traffic', () => {
    const alarm = find('transient errors');
    const firstAlarm = (series: (number | undefined)[]) =>
      evaluate(alarm, series).indexOf(true) + 1;
    // Retries every minute (a backlog failing fast), then every other minute (light traffic).
    expect(firstAlarm(Array.from({ length: 10 }, () => 4))).toBeLessThanOrEqual(3);
    expect(firstAlarm(Array.from({ length: 10 }, (_, i) => (i % 2 === 0 ? 1 : undefined)))).toBe(5);
  });

  it('alarms on error records of each code that means something is broken, as the function writes them', () => {
    const thresholds = Object.fromEntries(
      ['llm_unavailable', 'storage_unavailable', 'too_slow', 'internal', 'llm_rejected'].map(
        (code) => {
          const alarm = find(`code ${code} `);
          const emf = emitWithErrorCode('DocumentsRejected', code);
          const [directive] = emf._aws.CloudWatchMetrics;
          expect(alarm.Namespace).toBe(directive?.Namespace);
          expect(alarm.MetricName).toBe('DocumentsRejected');
          const emitted = (directive?.Dimensions[0] ?? []).map((name) => ({
            Name: name,
            Value: emf[name],
          }));
          expect(alarm.Dimensions?.slice().sort((a, b) => a.Name.localeCompare(b.Name))).toEqual(
            emitted.sort((a, b) => a.Name.localeCompare(b.Name)),
          );
          expect(alarm.Statistic).toBe('Sum');
          expect(alarm.Period).toBe(300);
          expect(alarm.ComparisonOperator).toBe('GreaterThanOrEqualToThreshold');
          return [code, alarm.Threshold];
        },
      ),
    );
    expect(thresholds).toEqual({
      llm_unavailable: 1,
      storage_unavailable: 1,
      too_slow: 1,
      internal: 1,
      llm_rejected: 3,
    });
    // Document errors (bad input, refusals) are the documents' fault: no alarm.
    for (const code of ['empty_input', 'too_large', 'llm_refusal', 'llm_invalid_output']) {
      expect(alarms.some((a) => a.AlarmDescription?.includes(`code ${code} `))).toBe(false);
    }
  });

  it('alarms on the first dead letter with a 1-minute period, in the dead-letter queue or its intake', () => {
    const alarm = find('dead-letter queue');
    expect(alarm).toMatchObject({
      Threshold: 1,
      EvaluationPeriods: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    });
    const stats = (alarm.Metrics ?? []).flatMap((q) => (q.MetricStat ? [q.MetricStat] : []));
    for (const stat of stats) {
      expect(stat).toMatchObject({ Period: 60, Stat: 'Maximum' });
      expect(stat.Metric.Namespace).toBe('AWS/SQS');
    }
    /** One minute's datapoints: messages by queue and metric; a queue left out published none. */
    const at = (data: Record<string, number>) =>
      evaluateMath(alarm.Metrics ?? [], (stat) => {
        const queue = JSON.stringify(stat.Metric.Dimensions?.[0]?.Value).match(
          /"(\w+)","QueueName"/,
        )?.[1];
        const name =
          queue === queueIds.deadLetters
            ? 'deadLetters'
            : queue === queueIds.intake
              ? 'intake'
              : queue;
        return data[`${name} ${stat.Metric.MetricName}`];
      });
    const fires = (data: Record<string, number>) => (at(data) ?? 0) >= alarm.Threshold;
    // Resting in the dead-letter queue, the intake idle (no data published).
    expect(fires({ 'deadLetters ApproximateNumberOfMessagesVisible': 1 })).toBe(true);
    // Held by a failing recorder, the dead-letter queue idle.
    expect(fires({ 'intake ApproximateNumberOfMessagesNotVisible': 1 })).toBe(true);
    expect(fires({ 'intake ApproximateNumberOfMessagesVisible': 2 })).toBe(true);
    expect(
      fires({
        'deadLetters ApproximateNumberOfMessagesVisible': 0,
        'intake ApproximateNumberOfMessagesVisible': 0,
        'intake ApproximateNumberOfMessagesNotVisible': 0,
      }),
    ).toBe(false);
    expect(fires({})).toBe(false);
  });

  it('alarms on backlog age above the visibility timeout plus one run, so one retry stays quiet', () => {
    const alarm = find('oldest queued document');
    expect(alarm).toMatchObject({
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateAgeOfOldestMessage',
      Statistic: 'Maximum',
      ComparisonOperator: 'GreaterThanThreshold',
    });
    const visibilityTimeout = 1800;
    const functionTimeout = 300;
    expect(alarm.Threshold).toBeGreaterThan(visibilityTimeout + functionTimeout);
    // A message on its second retry is a full visibility timeout older again.
    expect(alarm.Threshold).toBeLessThan(2 * visibilityTimeout);
  });

  it('alarms on invocation errors of the function only, not on handled failures', () => {
    const lambda = alarms.filter((a) => a.Namespace === 'AWS/Lambda');
    expect(lambda).toHaveLength(1);
    expect(lambda[0]).toMatchObject({ MetricName: 'Errors', Statistic: 'Sum', Threshold: 1 });
  });
});
