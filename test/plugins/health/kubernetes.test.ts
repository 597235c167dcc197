import { afterEach, expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { parseConfigText, resolveConfig } from '../../../src/config/load.ts';
import { startTestHub, type TestHub, waitFor } from '../../helpers/hub.ts';
import { withPlugins } from './fixtures.ts';

let t: TestHub;
afterEach(async () => {
  await t?.stop();
});

interface Probe {
  httpGet: { path: string; port: string };
  periodSeconds: number;
  failureThreshold: number;
}

test('the Kubernetes example wires its probes to the health endpoints and covers the drain in its grace period', async () => {
  const docs = parseAllDocuments(
    readFileSync(join(import.meta.dir, '../../../examples/kubernetes/relaykit.yaml'), 'utf8'),
  ).map((d) => d.toJS());
  const byKind = new Map(docs.map((d) => [d.kind, d]));
  const config = parseConfigText(byKind.get('ConfigMap').data['relaykit.config.yaml']);
  const resolved = resolveConfig(config, new Map(withPlugins().map((p) => [p.name, p])));
  const pod = byKind.get('Deployment').spec.template.spec;
  const container = pod.containers[0];
  const probes = {
    startup: container.startupProbe as Probe,
    live: container.livenessProbe as Probe,
    ready: container.readinessProbe as Probe,
  };
  expect(probes.startup.httpGet.path).toBe('/health/startup');
  expect(probes.live.httpGet.path).toBe('/health/live');
  expect(probes.ready.httpGet.path).toBe('/health/ready');
  const { drainDelayMs, shutdownTimeoutMs } = resolved.server;
  // Readiness must have failed before the server stops accepting...
  expect(probes.ready.periodSeconds * probes.ready.failureThreshold * 1000).toBeLessThan(drainDelayMs);
  // ...and Kubernetes must not SIGKILL before the graceful shutdown can end.
  expect(pod.terminationGracePeriodSeconds * 1000).toBeGreaterThan(drainDelayMs + shutdownTimeoutMs);

  // The example's health options are valid and the probes answer on a hub that uses them.
  t = await startTestHub({ overrides: { plugins: config.plugins as Record<string, unknown> } });
  const hub = t;
  await waitFor(async () => (await hub.request(probes.ready.httpGet.path)).status === 200, 2000, 'readiness');
  expect((await t.request(probes.startup.httpGet.path)).status).toBe(200);
  expect((await t.request(probes.live.httpGet.path)).status).toBe(200);
});
