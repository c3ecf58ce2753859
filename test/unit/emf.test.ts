import { Metrics } from '@aws-lambda-powertools/metrics';
import { describe, expect, it, vi } from 'vitest';
import { createEmfMetrics } from '../../shared/emf';
import type { MetricPoint } from '../../shared/metrics';

type Emf = Record<string, unknown> & {
  _aws: {
    Timestamp: number;
    CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: unknown[] }[];
  };
};

const NAMESPACE = 'ArticleDigest';
const SERVICE = 'article-digest';

function ours(points: MetricPoint[]): Emf[] {
  const lines: string[] = [];
  const metrics = createEmfMetrics({
    namespace: NAMESPACE,
    service: SERVICE,
    write: (line) => lines.push(line),
    now: () => 0,
  });
  metrics.add(points);
  metrics.flush();
  return lines.map((line) => JSON.parse(line) as Emf);
}

/** The lines Powertools' Metrics writes for the same points, the way the functions used it. */
function powertools(points: MetricPoint[]): Emf[] {
  const lines: string[] = [];
  const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    lines.push(String(chunk));
    return true;
  });
  try {
    const metrics = new Metrics({ namespace: NAMESPACE, serviceName: SERVICE });
    for (const point of points) {
      if (point.dimensions) {
        const single = metrics.singleMetric();
        for (const [name, value] of Object.entries(point.dimensions))
          single.addDimension(name, value);
        single.addMetric(point.name, point.unit, point.value);
      } else {
        metrics.addMetric(point.name, point.unit, point.value);
      }
    }
    metrics.publishStoredMetrics();
  } finally {
    write.mockRestore();
  }
  return lines
    .flatMap((chunk) => chunk.split('\n'))
    .filter((line) => line.startsWith('{'))
    .map((line) => ({
      ...(JSON.parse(line) as Emf),
      _aws: { ...JSON.parse(line)._aws, Timestamp: 0 },
    }));
}

describe('createEmfMetrics', () => {
  it('writes the lines Powertools writes for a digest, a rejection and a retry', () => {
    const points: MetricPoint[] = [
      { name: 'ProcessingTime', unit: 'Milliseconds', value: 12 },
      { name: 'DocumentsDigested', unit: 'Count', value: 1 },
      { name: 'DocumentsRejected', unit: 'Count', value: 1, dimensions: { ErrorCode: 'too_slow' } },
      { name: 'ProcessingTime', unit: 'Milliseconds', value: 30 },
      { name: 'EstimatedCostUsd', unit: 'None', value: 0.0012 },
      {
        name: 'DocumentsRetried',
        unit: 'Count',
        value: 1,
        dimensions: { ErrorCode: 'llm_unavailable' },
      },
    ];
    expect(ours(points)).toEqual(powertools(points));
  });

  it('writes nothing when nothing was recorded', () => {
    expect(ours([])).toEqual([]);
  });

  it('stays within 100 metrics a line and 100 values a metric', () => {
    const many = Array.from({ length: 130 }, (_, i) => ({
      name: `M${i}`,
      unit: 'Count' as const,
      value: i,
    }));
    const repeated = Array.from({ length: 150 }, (_, i) => ({
      name: 'ProcessingTime',
      unit: 'Milliseconds' as const,
      value: i,
    }));
    const lines = ours([...many, ...repeated]);
    for (const line of lines) {
      const [directive] = line._aws.CloudWatchMetrics;
      expect(directive?.Metrics.length).toBeLessThanOrEqual(100);
      for (const value of Object.values(line))
        if (Array.isArray(value)) expect(value.length).toBeLessThanOrEqual(100);
    }
    const times = lines.flatMap((line) => {
      const value = line.ProcessingTime;
      return value === undefined ? [] : Array.isArray(value) ? value : [value];
    });
    expect(times).toEqual(repeated.map((p) => p.value));
    const names = new Set(
      lines.flatMap((line) => Object.keys(line).filter((k) => k.startsWith('M'))),
    );
    expect(names.size).toBe(130);
  });
});
