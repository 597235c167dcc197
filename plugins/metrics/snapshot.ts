import { type Family, type FamilyType, type Sample, seriesLabels } from './collect.ts';

/**
 * One series of a metric as JSON: counters and gauges carry `value`; histograms and
 * summaries carry `count`, `sum` and the percentiles (estimated from the buckets for
 * histograms, as Prometheus's `histogram_quantile` does). Values that JSON cannot
 * hold (NaN, ±Inf) and percentiles of empty series are `null`.
 */
export interface SeriesJson {
  labels: Record<string, string>;
  value?: number | null;
  count?: number;
  sum?: number | null;
  p50?: number | null;
  p90?: number | null;
  p95?: number | null;
  p99?: number | null;
}

export interface MetricJson {
  name: string;
  help: string;
  type: FamilyType;
  series: SeriesJson[];
}

/** The metrics at one moment: `GET /metrics/json`, the history ring and the `metrics.snapshot` event. */
export interface MetricsSnapshot {
  /** Position in this instance's history (0 for an on-demand read). */
  seq: number;
  at: string;
  metrics: MetricJson[];
}

const PERCENTILES = [
  ['p50', 0.5],
  ['p90', 0.9],
  ['p95', 0.95],
  ['p99', 0.99],
] as const;

/** Turns guarded families into their JSON form. */
export function toJson(families: readonly Family[]): MetricJson[] {
  return families.map((family) => ({
    name: family.name,
    help: family.help,
    type: family.type,
    series:
      family.type === 'histogram'
        ? histogramSeries(family)
        : family.type === 'summary'
          ? summarySeries(family)
          : family.samples.map((s) => ({ labels: stringLabels(s.labels), value: finite(s.value) })),
  }));
}

interface Grouped {
  labels: Record<string, string>;
  samples: Sample[];
}

/** Groups a histogram's or summary's samples by label set, without `le`/`quantile`. */
function group(family: Family): Grouped[] {
  const groups = new Map<string, Grouped>();
  for (const sample of family.samples) {
    const labels = stringLabels(seriesLabels(sample));
    const key = JSON.stringify(labels);
    let entry = groups.get(key);
    if (!entry) {
      entry = { labels, samples: [] };
      groups.set(key, entry);
    }
    entry.samples.push(sample);
  }
  return [...groups.values()];
}

function histogramSeries(family: Family): SeriesJson[] {
  return group(family).map(({ labels, samples }) => {
    const buckets: Array<[number, number]> = [];
    let count = 0;
    let sum: number | null = null;
    for (const s of samples) {
      if (s.metricName === `${family.name}_bucket`) buckets.push([Number(bound(s.labels.le)), s.value]);
      else if (s.metricName === `${family.name}_count`) count = s.value;
      else if (s.metricName === `${family.name}_sum`) sum = finite(s.value);
    }
    buckets.sort((a, b) => a[0] - b[0]);
    const series: SeriesJson = { labels, count, sum };
    for (const [key, q] of PERCENTILES) series[key] = bucketQuantile(q, buckets);
    return series;
  });
}

function summarySeries(family: Family): SeriesJson[] {
  return group(family).map(({ labels, samples }) => {
    const series: SeriesJson = { labels, count: 0, sum: null };
    for (const s of samples) {
      if (s.metricName === `${family.name}_count`) series.count = s.value;
      else if (s.metricName === `${family.name}_sum`) series.sum = finite(s.value);
      else {
        const match = PERCENTILES.find(([, q]) => q === Number(s.labels.quantile));
        if (match) series[match[0]] = finite(s.value);
      }
    }
    return series;
  });
}

/**
 * Estimates the q-quantile from cumulative buckets `[upperBound, count]` by linear
 * interpolation inside the bucket that holds the rank (Prometheus's
 * `histogram_quantile`): a rank in the `+Inf` bucket answers the highest finite bound.
 */
export function bucketQuantile(q: number, buckets: ReadonlyArray<readonly [number, number]>): number | null {
  const total = buckets.at(-1)?.[1] ?? 0;
  if (total === 0) return null;
  const rank = q * total;
  let lowerBound = 0;
  let lowerCount = 0;
  for (const [upper, count] of buckets) {
    if (count >= rank) {
      if (upper === Number.POSITIVE_INFINITY) return lowerBound;
      if (count === lowerCount) return upper;
      return lowerBound + ((upper - lowerBound) * (rank - lowerCount)) / (count - lowerCount);
    }
    lowerBound = upper;
    lowerCount = count;
  }
  return lowerBound;
}

function bound(le: string | number | undefined): number {
  return le === '+Inf' ? Number.POSITIVE_INFINITY : Number(le);
}

function finite(value: number): number | null {
  return Number.isFinite(value) ? value : null;
}

function stringLabels(labels: Record<string, string | number>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key in labels) out[key] = String(labels[key]);
  return out;
}

/** A fixed-size ring of the most recent snapshots. */
export class SnapshotRing {
  private readonly items: MetricsSnapshot[] = [];
  private next = 0;

  constructor(readonly capacity: number) {}

  push(snapshot: MetricsSnapshot): void {
    if (this.capacity === 0) return;
    if (this.items.length < this.capacity) this.items.push(snapshot);
    else this.items[this.next] = snapshot;
    this.next = (this.next + 1) % this.capacity;
  }

  /**
   * Oldest first. With `after`, the first `limit` snapshots whose `seq` is greater
   * (page forward by passing the last `seq` seen); without it, the newest `limit`.
   */
  list(after: number | undefined, limit: number): MetricsSnapshot[] {
    const ordered =
      this.items.length < this.capacity
        ? this.items
        : [...this.items.slice(this.next), ...this.items.slice(0, this.next)];
    if (after === undefined) return ordered.slice(Math.max(0, ordered.length - limit));
    return ordered.filter((s) => s.seq > after).slice(0, limit);
  }

  get size(): number {
    return this.items.length;
  }
}
