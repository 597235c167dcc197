import { afterEach, expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startTestHub, type TestHub } from '../../helpers/hub.ts';
import { parseExposition } from './exposition.ts';

let t: TestHub;
afterEach(async () => {
  await t?.stop();
});

/** Metrics the dashboard shows that the delivery, webhooks and ttl plugins register (not in this hub). */
const FROM_OTHER_PLUGINS = new Set([
  'relaykit_deliveries_total',
  'relaykit_connections_active',
  'relaykit_webhook_deliveries_total',
  'relaykit_webhook_outbox_depth',
  'relaykit_webhook_outbox_oldest_age_seconds',
  'relaykit_ttl_expired_total',
  'relaykit_ttl_archived_total',
]);

interface Panel {
  id: number;
  type: string;
  gridPos: { x: number; w: number };
  targets?: Array<{ expr: string }>;
}

test('every metric the Grafana dashboard queries is one the hub exposes (or another plugin registers)', async () => {
  const dashboard = JSON.parse(
    readFileSync(join(import.meta.dir, '../../../examples/grafana/relaykit-dashboard.json'), 'utf8'),
  ) as { uid: string; panels: Panel[] };
  expect(dashboard.uid).toBe('relaykit-hub');
  const ids = dashboard.panels.map((p) => p.id);
  expect(new Set(ids).size).toBe(ids.length);
  for (const panel of dashboard.panels) expect(panel.gridPos.x + panel.gridPos.w).toBeLessThanOrEqual(24);

  t = await startTestHub();
  await t.request('/messages', { method: 'POST', json: { to: 'b', type: 'order.created', payload: 1 } });
  const { families } = parseExposition(await (await t.request('/metrics')).text());
  const exposed = new Set<string>();
  for (const f of families) {
    exposed.add(f.name);
    if (f.type === 'HISTOGRAM') for (const suffix of ['_bucket', '_sum', '_count']) exposed.add(f.name + suffix);
  }
  const queried = new Set(
    dashboard.panels.flatMap((p) =>
      (p.targets ?? []).flatMap((target) => target.expr.match(/\b(relaykit|process|nodejs)_\w+/g) ?? []),
    ),
  );
  expect(queried.size).toBeGreaterThan(20);
  const unknown = [...queried].filter((name) => !exposed.has(name) && !FROM_OTHER_PLUGINS.has(name));
  expect(unknown).toEqual([]);
});
