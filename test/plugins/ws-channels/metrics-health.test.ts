import { afterEach, describe, expect, test } from 'bun:test';
import { startTestHub, type TestHub } from '../../helpers/hub.ts';
import { TestClient } from './client.ts';

let t: TestHub;
afterEach(async () => {
  await t?.stop();
});

async function metric(name: string, labels: Record<string, string> = {}): Promise<number> {
  const values = (await t.hub.registry.getSingleMetric(name)?.get())?.values ?? [];
  const match = values.find((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l));
  return match?.value ?? 0;
}

describe('ws-channels metrics and health', () => {
  test('connections, subscriptions and deliveries are measured; the metrics go away with the plugin', async () => {
    t = await startTestHub({ overrides: { auth: { adminToken: 'admin-token' } } });
    const a = await TestClient.ready(t.url);
    const b = await TestClient.ready(t.url);
    await a.request({ type: 'subscribe', channels: ['m'] });
    await b.request({ type: 'subscribe', channels: ['m', 'n'] });
    await t.hub.messages.send({ channel: 'm', type: 'x', payload: 1 });
    await a.waitForEvents(1);
    await b.waitForEvents(1);
    a.send('nonsense');
    await a.next('error');

    expect(await metric('relaykit_ws_connections')).toBe(2);
    expect(await metric('relaykit_ws_subscriptions')).toBe(3);
    expect(await metric('relaykit_ws_channels_occupied')).toBe(2);
    expect(await metric('relaykit_ws_events_delivered_total', { mode: 'live' })).toBe(2);
    expect(await metric('relaykit_ws_protocol_errors_total', { code: 'RELAYKIT_ERR_WS_MALFORMED_FRAME' })).toBe(1);
    expect(await metric('relaykit_ws_frames_received_total')).toBe(3);

    const checks = t.hub.view.healthChecks().filter((c) => c.name.startsWith('ws:'));
    expect(checks.map((c) => c.name)).toEqual(['ws:connections', 'ws:sendBuffer']);
    expect(await checks[0].check()).toMatchObject({ status: 'pass', observedValue: 2 });
    expect(await checks[1].check()).toMatchObject({ status: 'pass' });

    a.close();
    await a.waitClosed();
    expect(await metric('relaykit_ws_disconnects_total', { cause: 'client' })).toBe(1);

    await t.request('/admin/plugins/ws-channels', { method: 'PATCH', token: 'admin-token', json: { enabled: false } });
    expect(t.hub.registry.getSingleMetric('relaykit_ws_connections')).toBeUndefined();
    b.close();
  });

  test('the connections check warns near maxConnections and new connections beyond it are closed with 1013', async () => {
    t = await startTestHub({ overrides: { plugins: { 'ws-channels': { maxConnections: 1 } } } });
    const a = await TestClient.ready(t.url);
    const check = t.hub.view.healthChecks().find((c) => c.name === 'ws:connections');
    expect(await check?.check()).toMatchObject({ status: 'warn', observedValue: 1 });
    const b = await TestClient.connect(t.url);
    expect((await b.waitClosed()).code).toBe(1013);
    a.close();
  });
});
