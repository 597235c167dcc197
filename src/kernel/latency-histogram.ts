import { Histogram, type Registry } from './prom.ts';

/** What a LatencyHistogram is: prom-client's name, help, label names and bucket bounds (seconds). */
export interface LatencyHistogramConfig<L extends string> {
  name: string;
  help: string;
  labelNames: readonly L[];
  buckets: readonly number[];
}

/** One label set's observations since the last scrape. */
interface Pending {
  labels: Record<string, string>;
  /** Observations per bucket (not cumulative); the last slot is above every bound. */
  counts: Float64Array;
  sum: number;
  count: number;
}

/** prom-client's record of one label set (lib/histogram.js, `createBaseValues`). */
interface Entry {
  labels: Record<string, string>;
  bucketValues: Record<string, number>;
  sum: number;
  count: number;
}

interface HistogramInternals {
  hashMap: Record<string, Entry>;
}

/**
 * A prom-client histogram for the request path. prom-client's `observe` hashes the
 * label object and turns the bucket bound into a property key on every call: about a
 * tenth of the CPU of a `GET /messages/:id`. Here an observation is a map lookup by a
 * key the caller already has and an increment in a typed array; the counts are merged
 * into the prom-client histogram when it is collected (every scrape, every `get()`),
 * so the exposition, the registry and the metric's name, help, labels and buckets are
 * prom-client's own.
 */
export class LatencyHistogram<L extends string> {
  readonly histogram: Histogram<L>;
  private pending = new Map<string, Pending>();
  /** prom-client's key for each of our keys, learnt once per label set. */
  private readonly hashes = new Map<string, string>();

  constructor(
    private readonly options: LatencyHistogramConfig<L>,
    registry: Registry,
  ) {
    const merge = () => this.merge();
    this.histogram = new Histogram<L>({
      name: options.name,
      help: options.help,
      labelNames: options.labelNames,
      buckets: [...options.buckets],
      registers: [registry],
      collect: merge,
    });
  }

  /**
   * Counts one observation. `key` names the label set (the same labels always under
   * the same key); `labels` is read only the first time a key is seen.
   */
  observe(key: string, labels: () => Record<L, string>, seconds: number): void {
    let series = this.pending.get(key);
    if (!series) {
      series = { labels: labels(), counts: new Float64Array(this.options.buckets.length + 1), sum: 0, count: 0 };
      this.pending.set(key, series);
    }
    const buckets = this.options.buckets;
    let i = 0;
    while (i < buckets.length && seconds > buckets[i]) i++;
    series.counts[i]++;
    series.sum += seconds;
    series.count++;
  }

  /** Adds what was observed since the last merge into the prom-client histogram. */
  private merge(): void {
    if (!this.pending.size) return;
    const pending = this.pending;
    this.pending = new Map();
    const buckets = this.options.buckets;
    for (const [key, series] of pending) {
      const entry = this.entry(key, series.labels);
      for (let i = 0; i < buckets.length; i++) if (series.counts[i]) entry.bucketValues[buckets[i]] += series.counts[i];
      entry.sum += series.sum;
      entry.count += series.count;
    }
  }

  /** prom-client's record for a label set, created through its public `zero()` when missing (first use, or after a reset). */
  private entry(key: string, labels: Record<string, string>): Entry {
    const { hashMap } = this.histogram as unknown as HistogramInternals;
    const known = this.hashes.get(key);
    if (known !== undefined && hashMap[known]) return hashMap[known];
    // `zero()` would reset a record that exists already (observed through prom-client itself).
    const find = () =>
      Object.entries((this.histogram as unknown as HistogramInternals).hashMap).find(([, e]) =>
        sameLabels(e.labels, labels),
      );
    let found = find();
    if (!found) {
      this.histogram.zero(labels as Partial<Record<L, string>>);
      found = find();
    }
    if (found) {
      this.hashes.set(key, found[0]);
      return found[1];
    }
    throw new Error(`${this.options.name}: prom-client kept no record for ${JSON.stringify(labels)}`);
  }
}

function sameLabels(a: Record<string, string>, b: Record<string, string>): boolean {
  const keys = Object.keys(b);
  return keys.length === Object.keys(a).length && keys.every((k) => a[k] === b[k]);
}
