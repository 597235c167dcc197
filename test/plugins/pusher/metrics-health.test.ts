import { afterEach, describe, expect, test } from 'bun:test';
import type { TestHub } from '../../helpers/hub.ts';
import { APP, serverSdk, startPusherHub } from './helpers.ts';
import { RawPusher } from './raw.ts';

let hub: TestHub;
const open: RawPusher[] = [];
afterEach(async () => {
  for (const c of open.splice(0)) c.close();
  await hub?.stop();
});

async function metric(name: string, labels: Record<string, string> = {}): Promise<number> {
  const values = (await hub.hub.registry.getSingleMetric(name)?.get())?.values ?? [];
  const match = values.find((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l));
  return match?.value ?? 0;
}

describe('pusher metrics and health', () => {
  test('connections, channels, events, refusals and closes are measured, without app or channel labels', async () => {
    hub = await startPusherHub([{ ...APP, maxConnections: 3 }]);
    const a = await RawPusher.open(hub.url, APP.key);
    const b = await RawPusher.open(hub.url, APP.key);
    const c = await RawPusher.open(hub.url, APP.key);
    open.push(a, b, c);
    a.send({ event: 'pusher:subscribe', data: { channel: 'm' } });
    b.send({ event: 'pusher:subscribe', data: { channel: 'private-n', auth: `${APP.key}:bad` } });
    await a.next((f) => f.event === 'pusher_internal:subscription_succeeded');
    await b.next((f) => f.event === 'pusher:subscription_error');
    await serverSdk(hub).trigger('m', 'x', {});
    await a.next((f) => f.event === 'x');
    const forged = serverSdk(hub, { ...APP, secret: 'wrong' });
    await forged.trigger('m', 'x', {}).catch(() => {});
    const refused = await RawPusher.open(hub.url, 'unknown-key');
    await refused.closedWith();

    expect(await metric('relaykit_pusher_connections')).toBe(3);
    expect(await metric('relaykit_pusher_channels')).toBe(1);
    expect(await metric('relaykit_pusher_events_total', { source: 'http' })).toBe(1);
    expect(await metric('relaykit_pusher_auth_failures_total')).toBe(1);
    expect(await metric('relaykit_pusher_api_unauthorized_total')).toBe(1);
    expect(await metric('relaykit_pusher_closes_total', { cause: 'refused' })).toBe(1);
    const text = await (await hub.request('/metrics')).text();
    expect(text).toContain('relaykit_pusher_connections 3');
    expect(text).not.toContain('app-1');

    // At 3 of 3 connections the app is past 90% of its quota: the check warns, readiness holds.
    // The health plugin runs checks on an interval; run the plugin's own check now.
    const check = hub.hub.view.healthChecks().find((c) => c.name === 'pusher:connections');
    expect(check?.affectsReadiness).toBe(false);
    expect(await check?.check()).toMatchObject({ status: 'warn', observedValue: 3 });
    expect((await hub.request('/health/ready')).status).toBe(200);
  });
});
