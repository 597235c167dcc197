import type { Registry } from 'prom-client';
import type { Logger } from '../../src/kernel/logger.ts';

/** The metric types of the exposition formats that prom-client produces. */
export type FamilyType = 'counter' | 'gauge' | 'histogram' | 'summary';

/** One sample line: `name{labels} value`. */
export interface Sample {
  /** The sample's name (`x_bucket`, `x_sum`, ...); the family's name when absent. */
  metricName?: string;
  labels: Record<string, string | number>;
  /** The series' labels when `labels` holds only `le` (prom-client shares one object per histogram series). */
  sharedLabels?: Record<string, string | number>;
  value: number;
}

/** A metric family as read from the registry, after the cardinality guard. */
export interface Family {
  name: string;
  help: string;
  type: FamilyType;
  samples: Sample[];
}

export interface GuardLimits {
  /** Most label sets one metric may expose; the newest beyond it are dropped. */
  maxSeriesPerMetric: number;
  /** Label names that carry user-supplied values; metrics using them are not exposed. */
  forbiddenLabels: readonly string[];
}

/** What the guard found when it last read each metric (for the health check). */
export interface GuardReport {
  /** Metrics over the series limit at their last read, with how many label sets were dropped. */
  readonly dropped: Map<string, number>;
  /** Metrics refused for a forbidden label name, with the label. */
  readonly refused: Map<string, string>;
}

interface PromMetric {
  name: string;
  help: string;
  type: string;
  labelNames?: readonly string[];
  get(): Promise<{ values: Sample[] }>;
  getForPromString?(): Promise<{ values: Sample[] }>;
  remove?(labels: Record<string, string | number>): void;
}

/** Labels that split one series of a histogram or summary into its samples. */
const SAMPLE_LABELS = new Set(['le', 'quantile']);

/**
 * Reads every metric of the hub's registry and enforces the cardinality contract:
 * no metric exposes a label whose name says it carries user-supplied values
 * (channel, client id, URL ...), and no metric keeps more than
 * `maxSeriesPerMetric` label sets. Label sets beyond the limit are removed from
 * the metric itself (so memory stays bounded too) and counted through `onDrop`.
 */
export class CardinalityGuard {
  private readonly forbidden: ReadonlySet<string>;
  private readonly warned = new Set<string>();
  readonly report: GuardReport = { dropped: new Map(), refused: new Map() };

  /**
   * @param onDrop counts dropped label sets; the metric it feeds is named in
   *   `readLast` so a collection shows the drops it made itself.
   */
  constructor(
    private readonly limits: GuardLimits,
    private readonly log: Logger,
    private readonly onDrop: (metric: string, series: number) => void,
    private readonly readLast: ReadonlySet<string> = new Set(),
  ) {
    this.forbidden = new Set(limits.forbiddenLabels);
  }

  /** Every family of `registry`, guarded, in registration order. */
  async collect(registry: Registry, include?: (name: string) => boolean): Promise<Family[]> {
    const metrics = (registry.getMetricsAsArray() as unknown as PromMetric[]).filter(
      (m) => !include || include(m.name),
    );
    for (const map of [this.report.dropped, this.report.refused])
      for (const name of map.keys()) if (!registry.getSingleMetric(name)) map.delete(name);
    const first = await Promise.all(metrics.map((m) => (this.readLast.has(m.name) ? null : this.read(m))));
    const families = await Promise.all(metrics.map((m, i) => (this.readLast.has(m.name) ? this.read(m) : first[i])));
    return families.filter((f): f is Family => f !== null);
  }

  private async read(metric: PromMetric): Promise<Family | null> {
    const refusedLabel = metric.labelNames?.find((l) => this.forbidden.has(l));
    if (refusedLabel) {
      this.report.refused.set(metric.name, refusedLabel);
      this.warnOnce(
        `refused:${metric.name}`,
        { metric: metric.name, label: refusedLabel },
        'metric not exposed: its label carries user-supplied values',
      );
      return null;
    }
    const type = metric.type as FamilyType;
    const data = metric.getForPromString ? await metric.getForPromString() : await metric.get();
    let samples = data.values;
    const grouped = type === 'histogram' || type === 'summary';
    const series = grouped ? samples.filter((s) => s.metricName === `${metric.name}_count`).length : samples.length;
    if (series > this.limits.maxSeriesPerMetric) samples = this.trim(metric, samples, series);
    else this.report.dropped.delete(metric.name);
    return { name: metric.name, help: metric.help, type, samples };
  }

  /** Keeps the first `maxSeriesPerMetric` label sets (the oldest) and removes the rest from the metric. */
  private trim(metric: PromMetric, samples: Sample[], series: number): Sample[] {
    const kept = new Set<string>();
    const removed = new Map<string, Record<string, string | number>>();
    const out: Sample[] = [];
    for (const sample of samples) {
      const labels = seriesLabels(sample);
      const key = JSON.stringify(labels);
      if (kept.has(key)) out.push(sample);
      else if (!removed.has(key) && kept.size < this.limits.maxSeriesPerMetric) {
        kept.add(key);
        out.push(sample);
      } else removed.set(key, labels);
    }
    for (const labels of removed.values()) metric.remove?.(labels);
    const count = series - kept.size;
    this.report.dropped.set(metric.name, count);
    this.onDrop(metric.name, count);
    this.warnOnce(
      `dropped:${metric.name}`,
      { metric: metric.name, limit: this.limits.maxSeriesPerMetric, dropped: count },
      'metric has too many label sets; the newest were dropped (a label carries unbounded values)',
    );
    return out;
  }

  private warnOnce(key: string, fields: Record<string, unknown>, message: string): void {
    if (this.warned.has(key)) return;
    this.warned.add(key);
    this.log.warn(fields, message);
  }
}

/** A sample's series labels: its own and shared ones, without `le`/`quantile`. */
export function seriesLabels(sample: Sample): Record<string, string | number> {
  const out: Record<string, string | number> = { ...sample.sharedLabels };
  for (const [name, value] of Object.entries(sample.labels)) if (!SAMPLE_LABELS.has(name)) out[name] = value;
  return out;
}
