import type { HealthCheck, HealthResult } from '../../src/kernel/health.ts';
import type { ExternalCheckOptions } from './options.ts';

/** A check the runner may cancel: it aborts `signal` when the check times out or the plugin stops. */
export interface CancellableCheck extends HealthCheck {
  /** Its own timeout, when it has one (else the plugin's). */
  readonly timeoutMs?: number;
  check(signal?: AbortSignal): HealthResult | Promise<HealthResult>;
}

/**
 * Validates the operators' external checks; throws an error naming the field.
 * Runs at setup so a bad entry fails the apply instead of failing at every run.
 */
export function externalChecks(entries: readonly ExternalCheckOptions[]): CancellableCheck[] {
  const seen = new Set<string>();
  return entries.map((entry, i) => {
    const where = `plugins.health.external[${i}]`;
    if (seen.has(entry.name)) throw new Error(`${where}.name: "${entry.name}" is used twice`);
    seen.add(entry.name);
    if (Boolean(entry.http) === Boolean(entry.tcp)) throw new Error(`${where}: set exactly one of http or tcp`);
    const base = {
      name: `${entry.name}:responseTime`,
      componentType: entry.componentType,
      affectsReadiness: entry.affectsReadiness,
      ...(entry.timeoutMs > 0 ? { timeoutMs: entry.timeoutMs } : {}),
    };
    if (entry.http) {
      let url: URL;
      try {
        url = new URL(entry.http);
      } catch {
        throw new Error(`${where}.http: "${entry.http}" is not a URL`);
      }
      if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`${where}.http: use http or https`);
      return { ...base, check: (signal?: AbortSignal) => httpCheck(url, signal) };
    }
    const match = /^(.+):(\d{1,5})$/.exec(entry.tcp);
    const port = match ? Number(match[2]) : 0;
    if (!match || port < 1 || port > 65535) throw new Error(`${where}.tcp: expected host:port, got "${entry.tcp}"`);
    const host = match[1].replace(/^\[(.*)\]$/, '$1');
    return { ...base, check: (signal?: AbortSignal) => tcpCheck(host, port, signal) };
  });
}

/** GET `url`: 2xx passes. The body is discarded; redirects are answers, not followed. */
async function httpCheck(url: URL, signal?: AbortSignal): Promise<HealthResult> {
  const started = performance.now();
  try {
    const res = await fetch(url, { signal, redirect: 'manual', headers: { 'user-agent': 'relaykit-health' } });
    await res.body?.cancel();
    const ms = elapsed(started);
    return res.status >= 200 && res.status < 300
      ? { status: 'pass', observedValue: ms, observedUnit: 'ms' }
      : { status: 'fail', observedValue: ms, observedUnit: 'ms', output: `answered HTTP ${res.status}` };
  } catch (err) {
    // Some runtimes put the URL in the message; the status document may be public.
    const output = reason(err).split(url.href).join('<url>').split(url.origin).join('<url>');
    return { status: 'fail', observedValue: elapsed(started), observedUnit: 'ms', output };
  }
}

/**
 * Opens a TCP connection to `host:port` and closes it at once. node:net loads with the
 * first check (it would cost every start a few ms, most hubs having no TCP checks).
 */
async function tcpCheck(host: string, port: number, signal?: AbortSignal): Promise<HealthResult> {
  const { createConnection } = await import('node:net');
  const started = performance.now();
  return new Promise((resolve) => {
    const socket = createConnection({ host, port });
    const done = (result: HealthResult) => {
      signal?.removeEventListener('abort', onAbort);
      socket.destroy();
      resolve(result);
    };
    const onAbort = () =>
      done({ status: 'fail', observedValue: elapsed(started), observedUnit: 'ms', output: 'aborted' });
    signal?.addEventListener('abort', onAbort, { once: true });
    socket.once('connect', () => done({ status: 'pass', observedValue: elapsed(started), observedUnit: 'ms' }));
    socket.once('error', (err) =>
      done({ status: 'fail', observedValue: elapsed(started), observedUnit: 'ms', output: reason(err) }),
    );
  });
}

function elapsed(started: number): number {
  return Math.round((performance.now() - started) * 1000) / 1000;
}

function reason(err: unknown): string {
  const e = err as { code?: string; message?: string; name?: string };
  if (e?.name === 'AbortError') return 'aborted';
  const message = e?.message ?? String(err);
  return e?.code && !message.startsWith(e.code) ? `${e.code}: ${message}` : message;
}
