import { afterEach, describe, expect, test } from 'bun:test';
import { Type } from '@sinclair/typebox';
import { builtinPlugins } from '../../../plugins/index.ts';
import { ManualClock } from '../../../src/kernel/clock.ts';
import { HubError } from '../../../src/kernel/errors.ts';
import { definePlugin, type PluginDefinition } from '../../../src/kernel/plugin.ts';
import { startTestHub, type TestHub } from '../../helpers/hub.ts';
import { ADMIN, LOOPBACK, query, type Receiver, received, startReceiver } from './helpers.ts';

let t: TestHub;
let receiver: Receiver;
afterEach(async () => {
  await t?.stop();
  await receiver?.stop();
});

/** A plugin whose message hook runs after the webhooks one and fails the commit of `boom` messages. */
const failingHook = definePlugin({
  name: 'failing-hook',
  options: Type.Object({}, { default: {} }),
  setup: () => ({
    messageHooks: {
      afterInsert(_tx, messages) {
        if (messages.some((m) => m.type === 'boom')) throw new HubError('RELAYKIT_ERR_CONFLICT', 'boom refused');
      },
    },
  }),
});

async function hubWith(plugins: readonly PluginDefinition[], worker: boolean): Promise<TestHub> {
  return startTestHub({
    plugins,
    clock: new ManualClock(Date.now()),
    overrides: {
      auth: { adminToken: ADMIN },
      plugins: { webhooks: { security: { allowNetworks: LOOPBACK }, worker: { enabled: worker } } },
    },
  });
}

const count = (dbPath: string, sql: string) => query<{ n: number }>(dbPath, sql)[0].n;

describe('transactional outbox', () => {
  test("a message's deliveries are committed with it, before its 201", async () => {
    receiver = startReceiver();
    t = await hubWith(builtinPlugins, false);
    for (const path of ['/a', '/b']) {
      const res = await t.request('/webhooks/endpoints', {
        method: 'POST',
        token: ADMIN,
        json: { url: `${receiver.url}${path}`, events: ['message.sent'] },
      });
      expect(res.status).toBe(201);
    }
    const res = await t.request('/messages', { method: 'POST', json: { to: 'x', type: 'n', payload: 1 } });
    const message = await res.json();
    // The worker is off: whatever is in the database was written by the commit itself.
    expect(count(t.dbPath, `SELECT count(*) AS n FROM webhook_events WHERE message_id = ${message.id}`)).toBe(1);
    expect(count(t.dbPath, "SELECT count(*) AS n FROM webhook_deliveries WHERE status = 'pending'")).toBe(2);
    expect(receiver.requests).toHaveLength(0);
  });

  test('a message whose commit fails leaves no delivery behind', async () => {
    receiver = startReceiver();
    t = await hubWith([...builtinPlugins, failingHook as unknown as PluginDefinition], true);
    await t.request('/webhooks/endpoints', {
      method: 'POST',
      token: ADMIN,
      json: { url: receiver.url, events: ['message.sent'] },
    });
    const refused = await t.request('/messages', { method: 'POST', json: { to: 'x', type: 'boom', payload: 1 } });
    expect(refused.status).toBe(409);
    const ok = await t.request('/messages', { method: 'POST', json: { to: 'x', type: 'fine', payload: 2 } });
    expect(ok.status).toBe(201);
    await received(receiver, 1);
    expect(count(t.dbPath, 'SELECT count(*) AS n FROM webhook_events')).toBe(1);
    expect(count(t.dbPath, 'SELECT count(*) AS n FROM messages')).toBe(1);
    expect(JSON.parse(receiver.requests[0].body).data.type).toBe('fine');
  });

  test('deliveries written while the worker is off are sent once it is on', async () => {
    receiver = startReceiver();
    t = await hubWith(builtinPlugins, false);
    await t.request('/webhooks/endpoints', {
      method: 'POST',
      token: ADMIN,
      json: { url: receiver.url, events: ['message.sent'] },
    });
    for (let i = 0; i < 5; i++)
      await t.request('/messages', { method: 'POST', json: { to: 'x', type: 'n', payload: i } });
    const res = await t.request('/admin/plugins/webhooks', {
      method: 'PATCH',
      token: ADMIN,
      json: { options: { worker: { enabled: true } } },
    });
    expect(res.status).toBe(200);
    await received(receiver, 5);
  });
});
