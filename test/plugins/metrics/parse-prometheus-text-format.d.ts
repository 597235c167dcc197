declare module 'parse-prometheus-text-format' {
  /** Parses the Prometheus text format; throws on a malformed line. */
  export default function parsePrometheusTextFormat(text: string): unknown[];
}
