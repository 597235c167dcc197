import parsePrometheusTextFormat from 'parse-prometheus-text-format';

/** A family as parse-prometheus-text-format returns it. */
export interface ParsedFamily {
  name: string;
  help: string;
  type: 'COUNTER' | 'GAUGE' | 'HISTOGRAM' | 'SUMMARY' | 'UNTYPED';
  metrics: Array<{
    value?: string;
    labels?: Record<string, string>;
    buckets?: Record<string, string>;
    count?: string;
    sum?: string;
  }>;
}

/** One sample line, parsed on its own. */
export interface ParsedSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const FLOAT = /^([+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?|[+-]Inf|NaN)$/;

/**
 * Parses a Prometheus text exposition with parse-prometheus-text-format (which throws
 * on malformed lines) and checks what that parser leaves out: one block per family,
 * no sample outside its family (the parser reports those as UNTYPED), valid names,
 * label names and values, and histograms whose buckets are cumulative and end in a
 * `+Inf` bucket equal to `_count`. Throws on the first violation.
 */
export function parseExposition(text: string): { families: ParsedFamily[]; samples: ParsedSample[] } {
  const families = parsePrometheusTextFormat(text) as ParsedFamily[];
  const seen = new Set<string>();
  for (const family of families) {
    if (!NAME.test(family.name)) throw new Error(`invalid metric name ${family.name}`);
    if (seen.has(family.name)) throw new Error(`family ${family.name} appears twice`);
    seen.add(family.name);
    if (family.type === 'UNTYPED') throw new Error(`samples of ${family.name} are outside a typed family`);
  }
  const samples: ParsedSample[] = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const [parsed] = parsePrometheusTextFormat(`${line}\n`) as ParsedFamily[];
    const metric = parsed.metrics[0];
    const raw = metric.value ?? '';
    if (!FLOAT.test(raw)) throw new Error(`invalid value in: ${line}`);
    for (const label of Object.keys(metric.labels ?? {})) {
      if (!LABEL.test(label)) throw new Error(`invalid label name in: ${line}`);
    }
    samples.push({ name: parsed.name, labels: metric.labels ?? {}, value: Number(raw.replace('Inf', 'Infinity')) });
  }
  for (const family of families.filter((f) => f.type === 'HISTOGRAM')) checkHistogram(family.name, samples);
  return { families, samples };
}

function checkHistogram(name: string, samples: readonly ParsedSample[]): void {
  const series = new Map<string, { buckets: Array<[number, number]>; count?: number }>();
  const keyOf = (labels: Record<string, string>) => {
    const { le: _, ...rest } = labels;
    return JSON.stringify(Object.entries(rest).sort());
  };
  for (const s of samples) {
    if (![`${name}_bucket`, `${name}_count`, `${name}_sum`].includes(s.name)) continue;
    const key = keyOf(s.labels);
    const entry = series.get(key) ?? { buckets: [] };
    series.set(key, entry);
    if (s.name === `${name}_bucket`) {
      entry.buckets.push([s.labels.le === '+Inf' ? Number.POSITIVE_INFINITY : Number(s.labels.le), s.value]);
    } else if (s.name === `${name}_count`) entry.count = s.value;
  }
  for (const [key, { buckets, count }] of series) {
    const sorted = [...buckets].sort((a, b) => a[0] - b[0]);
    if (sorted.at(-1)?.[0] !== Number.POSITIVE_INFINITY) throw new Error(`${name}${key} has no +Inf bucket`);
    if (sorted.at(-1)?.[1] !== count) throw new Error(`${name}${key}: +Inf bucket differs from _count`);
    for (let i = 1; i < sorted.length; i++) {
      if (sorted[i][1] < sorted[i - 1][1]) throw new Error(`${name}${key}: buckets are not cumulative`);
    }
  }
}

/** The value of the sample `name` whose labels include `labels`, or undefined. */
export function sampleValue(
  samples: readonly ParsedSample[],
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  return samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
}
