import type { Family, Sample } from './collect.ts';

/** Content types of the two exposition formats. */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';
export const OPENMETRICS_CONTENT_TYPE = 'application/openmetrics-text; version=1.0.0; charset=utf-8';

/** Whether an `Accept` header asks for OpenMetrics (as Prometheus does when it prefers it). */
export function wantsOpenMetrics(accept: string | null): boolean {
  return accept?.toLowerCase().includes('application/openmetrics-text') ?? false;
}

/**
 * The Prometheus text format 0.0.4. Written here rather than by prom-client's
 * `Registry.metrics()`: serving OpenMetrics through prom-client renames counters in
 * place (it strips `_total` from the shared metric objects), and its writer prints
 * NaN as `Nan`.
 */
export function toPrometheusText(families: readonly Family[]): string {
  const out: string[] = [];
  for (const family of families) {
    out.push(`# HELP ${family.name} ${escapeHelp(family.help)}`, `# TYPE ${family.name} ${family.type}`);
    for (const sample of family.samples) out.push(sampleLine(sample.metricName ?? family.name, sample, false));
  }
  out.push('');
  return out.join('\n');
}

/**
 * OpenMetrics 1.0: counter families are named without `_total` and their samples
 * with it, `le`/`quantile` values are canonical floats, `"` is escaped in HELP and
 * the exposition ends with `# EOF`.
 */
export function toOpenMetrics(families: readonly Family[]): string {
  const out: string[] = [];
  for (const family of families) {
    const counter = family.type === 'counter';
    const name = counter ? family.name.replace(/_total$/, '') : family.name;
    out.push(`# TYPE ${name} ${family.type}`, `# HELP ${name} ${escapeHelp(family.help, true)}`);
    for (const sample of family.samples) {
      const sampleName = counter ? `${name}_total` : (sample.metricName ?? family.name);
      out.push(sampleLine(sampleName, sample, true));
    }
  }
  out.push('# EOF', '');
  return out.join('\n');
}

function sampleLine(name: string, sample: Sample, openMetrics: boolean): string {
  let labels = sample.sharedLabels ? sharedLabelText(sample.sharedLabels) : '';
  for (const key in sample.labels) {
    const raw = sample.labels[key];
    const value = openMetrics && (key === 'le' || key === 'quantile') ? canonicalFloat(raw) : escapeLabel(String(raw));
    labels += `${labels ? ',' : ''}${key}="${value}"`;
  }
  return `${name}${labels ? `{${labels}}` : ''} ${formatValue(sample.value)}`;
}

/** Formatted once per histogram series: every bucket of the series shares the same object. */
const sharedText = new WeakMap<object, string>();

function sharedLabelText(shared: Record<string, string | number>): string {
  let text = sharedText.get(shared);
  if (text === undefined) {
    text = Object.entries(shared)
      .map(([key, value]) => `${key}="${escapeLabel(String(value))}"`)
      .join(',');
    sharedText.set(shared, text);
  }
  return text;
}

/** A sample value as both formats spell it. */
export function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Number.POSITIVE_INFINITY) return '+Inf';
  if (value === Number.NEGATIVE_INFINITY) return '-Inf';
  return String(value);
}

/** `1` → `1.0`, `+Inf` stays: OpenMetrics compares `le` and `quantile` values as strings. */
function canonicalFloat(raw: string | number): string {
  if (raw === '+Inf' || raw === '-Inf') return raw;
  const n = typeof raw === 'number' ? raw : Number(raw);
  if (!Number.isFinite(n)) return formatValue(n);
  return Number.isInteger(n) ? n.toFixed(1) : String(n);
}

function escapeHelp(help: string, quotes = false): string {
  const escaped = help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
  return quotes ? escaped.replace(/"/g, '\\"') : escaped;
}

function escapeLabel(value: string): string {
  if (!/[\\\n"]/.test(value)) return value;
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}
