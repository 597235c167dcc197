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
  const config = await parseConfigText(byKind.get('ConfigMap').data['relaykit.config.yaml']);
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

test('the Kubernetes cluster example runs three replicas on one PostgreSQL with a valid config and the same drain', async () => {
  const docs = parseAllDocuments(
    readFileSync(join(import.meta.dir, '../../../examples/kubernetes/cluster.yaml'), 'utf8'),
  )
    .map((d) => d.toJS())
    .filter(Boolean);
  const hub = docs.find((d) => d.kind === 'Deployment' && d.metadata.name === 'relaykit');
  const configMap = docs.find((d) => d.kind === 'ConfigMap');
  const config = await parseConfigText(configMap.data['relaykit.config.yaml']);
  const resolved = resolveConfig(config, new Map(withPlugins().map((p) => [p.name, p])));
  expect(resolved.cluster.leadership.mode).toBe('advisory');
  expect(hub.spec.replicas).toBe(3);
  const pod = hub.spec.template.spec;
  const container = pod.containers[0];
  // Every replica on the same PostgreSQL database; no volume on the hub pods.
  const url = container.env.find((e: { name: string }) => e.name === 'RELAYKIT_STORAGE_URL').value;
  expect(url).toStartWith('postgres://');
  expect(pod.volumes.map((v: { name: string }) => v.name)).toEqual(['config']);
  const ready = container.readinessProbe as Probe;
  expect(ready.httpGet.path).toBe('/health/ready');
  const { drainDelayMs, shutdownTimeoutMs } = resolved.server;
  expect(ready.periodSeconds * ready.failureThreshold * 1000).toBeLessThan(drainDelayMs);
  expect(pod.terminationGracePeriodSeconds * 1000).toBeGreaterThan(drainDelayMs + shutdownTimeoutMs);
  // PostgreSQL and Redis are part of the example; a disruption budget keeps two replicas up.
  const services = docs.filter((d) => d.kind === 'Service').map((d) => d.metadata.name);
  expect(services).toEqual(expect.arrayContaining(['relaykit', 'relaykit-postgres', 'relaykit-redis']));
  expect(docs.find((d) => d.kind === 'PodDisruptionBudget').spec.minAvailable).toBe(2);
});
