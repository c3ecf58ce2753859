/**
 * CloudWatch metrics as embedded metric format (EMF) log lines: one JSON object per line on
 * stdout, which Lambda's log pipeline turns into metrics with no API call. The format is AWS's
 * documented specification ("Embedded metric format specification" in the CloudWatch user guide):
 * an `_aws` member with `Timestamp` (ms) and `CloudWatchMetrics` directives (namespace,
 * dimension sets, metric names and units), and the values as top-level members.
 *
 * Written here rather than with Powertools' Metrics because the handler pays for every module on
 * each cold start, and these few lines are all of that library the functions use (about a tenth
 * of a text document's cold import). The lines are the ones Powertools writes: the `service`
 * dimension on every metric, a metric with dimensions of its own written at once, the others
 * stored and written together.
 */
import type { MetricPoint } from './metrics';

/** EMF's limit on metrics in one directive, and on values of one metric in one line. */
const MAX_METRICS_PER_LINE = 100;
const MAX_VALUES_PER_METRIC = 100;

export interface EmfMetricsOptions {
  /** CloudWatch namespace, e.g. `ArticleDigest`. */
  namespace: string;
  /** Value of the `service` dimension every metric carries. */
  service: string;
  /** Writes one line (without its newline); in Lambda, to stdout. */
  write: (line: string) => void;
  /** Clock, in ms since the epoch; default `Date.now`. */
  now?: () => number;
}

export interface EmfMetrics {
  /**
   * Records points: one with `dimensions` is written at once on a line of its own (its own
   * dimension set); the others are kept until {@link EmfMetrics.flush}.
   */
  add(points: readonly MetricPoint[]): void;
  /** Writes the kept points (repeated names as arrays of values) and forgets them; no line if none. */
  flush(): void;
}

type Stored = { unit: MetricPoint['unit']; values: number[] };

export function createEmfMetrics({
  namespace,
  service,
  write,
  now = Date.now,
}: EmfMetricsOptions): EmfMetrics {
  let stored = new Map<string, Stored>();

  const line = (
    metrics: ReadonlyArray<readonly [string, Stored]>,
    dimensions: Record<string, string>,
  ) => {
    const names = ['service', ...Object.keys(dimensions).filter((name) => name !== 'service')];
    const values: Record<string, number | number[]> = {};
    for (const [name, { values: all }] of metrics)
      values[name] = all.length === 1 ? (all[0] as number) : all;
    write(
      JSON.stringify({
        _aws: {
          Timestamp: now(),
          CloudWatchMetrics: [
            {
              Namespace: namespace,
              Dimensions: [names],
              Metrics: metrics.map(([name, { unit }]) => ({ Name: name, Unit: unit })),
            },
          ],
        },
        service,
        ...dimensions,
        ...values,
      }),
    );
  };

  return {
    add(points) {
      for (const point of points) {
        if (point.dimensions && Object.keys(point.dimensions).length > 0) {
          line([[point.name, { unit: point.unit, values: [point.value] }]], point.dimensions);
          continue;
        }
        const kept = stored.get(point.name);
        if (kept) kept.values.push(point.value);
        else stored.set(point.name, { unit: point.unit, values: [point.value] });
      }
    },
    flush() {
      if (stored.size === 0) return;
      const pending = stored;
      stored = new Map();
      // Within EMF's limits: at most 100 metrics a line, 100 values a metric.
      let batch: Array<[string, Stored]> = [];
      const send = () => {
        if (batch.length > 0) line(batch, {});
        batch = [];
      };
      for (const [name, { unit, values }] of pending) {
        for (let i = 0; i < values.length; i += MAX_VALUES_PER_METRIC) {
          if (i > 0 || batch.length === MAX_METRICS_PER_LINE) send();
          batch.push([name, { unit, values: values.slice(i, i + MAX_VALUES_PER_METRIC) }]);
        }
      }
      send();
    },
  };
}
