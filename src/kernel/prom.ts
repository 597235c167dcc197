/**
 * prom-client's metric classes, loaded without its index. The index also loads the
 * Pushgateway (node:http, node:https, node:zlib), the cluster aggregator
 * (node:cluster) and the Summary, which the hub never uses and which cost a cold start
 * about 6 ms of its ~30 ms budget. The types are the package's own.
 */
import type * as Prom from 'prom-client';
// @ts-expect-error prom-client ships types for its index only
import CounterClass from 'prom-client/lib/counter.js';
// @ts-expect-error prom-client ships types for its index only
import GaugeClass from 'prom-client/lib/gauge.js';
// @ts-expect-error prom-client ships types for its index only
import HistogramClass from 'prom-client/lib/histogram.js';
// @ts-expect-error prom-client ships types for its index only
import RegistryClass from 'prom-client/lib/registry.js';

export const Registry = RegistryClass as typeof Prom.Registry;
export type Registry = Prom.Registry;
export const Counter = CounterClass as typeof Prom.Counter;
export type Counter<T extends string = string> = Prom.Counter<T>;
export const Gauge = GaugeClass as typeof Prom.Gauge;
export type Gauge<T extends string = string> = Prom.Gauge<T>;
export const Histogram = HistogramClass as typeof Prom.Histogram;
export type Histogram<T extends string = string> = Prom.Histogram<T>;
