import { afterAll, beforeAll, expect, test } from 'bun:test';
import { type E2EHub, forEachRuntime, send, startHub, waitFor } from './harness.ts';

const TOKEN = 'e2e-ttl-admin';
const CONFIG = `watch: false
auth:
  adminToken: ${TOKEN}
plugins:
  ttl:
    rules:
      - { type: "error.*", policy: SHORT }
      - { type: "typing", policy: IMMEDIATE }
    archive:
      table: true
`;

forEachRuntime('ttl retention', (runtime) => {
  let hub: E2EHub;
  beforeAll(async () => {
    hub = await startHub(runtime, { config: CONFIG });
  });
  afterAll(() => hub.dispose());

  test('policies set the expiry and an extension moves it', async () => {
    const m = await send(hub, { channel: 'ops', type: 'error.db', payload: { code: 1 } });
    expect(Date.parse(m.expiresAt as string) - Date.parse(m.createdAt as string)).toBe(3_600_000);
    const res = await hub.request(`/messages/${m.id}/extend`, { method: 'POST', json: { seconds: 60 } });
    expect(res.status).toBe(200);
    expect(Date.parse((await res.json()).expiresAt) - Date.parse(m.expiresAt as string)).toBe(60_000);
  });

  test('an acknowledged IMMEDIATE message is hidden, then swept into the archive', async () => {
    const m = await send(hub, { to: 'bob', type: 'typing', payload: { on: true } });
    expect((await hub.request(`/messages/${m.id}/ack`, { method: 'POST', json: { by: 'bob' } })).status).toBe(200);
    expect((await hub.request(`/messages/${m.id}`)).status).toBe(404);
    const archived = async () =>
      (await (await hub.request('/ttl/archive?type=typing', { token: TOKEN })).json()) as {
        messages: { id: number; payload: unknown }[];
      };
    await waitFor(async () => (await archived()).messages.length === 1, 5000, 'the sweep');
    expect((await archived()).messages).toEqual([expect.objectContaining({ id: m.id, payload: { on: true } })]);
    const stats = await (await hub.request('/ttl/stats', { token: TOKEN })).json();
    expect(stats).toMatchObject({ expired: 1, archived: 1, pendingExpiry: 0 });
  });
});
