import { afterEach, describe, expect, test } from 'bun:test';
import { builtinPlugins } from '../../../plugins/index.ts';
import { ManualClock } from '../../../src/kernel/clock.ts';
import { startTestHub, type TestHub, waitFor } from '../../helpers/hub.ts';
import { echoPlugin } from '../../helpers/plugins.ts';
import { JWT_SECRET, post, signToken, type WatchedSource, waitForIds, watch } from './helpers.ts';

let t: TestHub;
const sources: WatchedSource[] = [];
afterEach(async () => {
  for (const s of sources.splice(0)) s.close();
  await t?.stop();
});

const ADMIN = 'admin-token-for-sse-tests';
const admin = { headers: { authorization: `Bearer ${ADMIN}` } };

function hub() {
  return startTestHub({
    plugins: [...builtinPlugins, echoPlugin],
    overrides: { auth: { adminToken: ADMIN, jwt: { secret: JWT_SECRET } } },
  });
}

describe('sse system channels', () => {
  test('the admin token streams the hub own events from $hub: channels, live and without ids', async () => {
    t = await hub();
    const ops = watch(
      `${t.url}/stream/events?channels=$hub:plugin.*,$hub:client.connected`,
      ['plugin.reconfigured', 'client.connected', 'client.disconnected'],
      admin,
    );
    sources.push(ops);
    await waitFor(() => ops.named('relaykit.connected').length === 1);

    const res = await t.request('/admin/plugins/echo', {
      method: 'PATCH',
      token: ADMIN,
      json: { options: { greeting: 'hi' } },
    });
    expect(res.status).toBe(200);
    const guest = watch(`${t.url}/stream/events?token=${await signToken({ sub: 'guest-7' })}`, []);
    sources.push(guest);
    const connectedIds = () =>
      ops.named('client.connected').map((e) => (e.data as { data: { clientId: string } }).data.clientId);
    await waitFor(() => connectedIds().includes('guest-7') && ops.named('plugin.reconfigured').length === 1);

    expect(ops.named('plugin.reconfigured')[0]).toMatchObject({
      id: '',
      data: { channel: '$hub:plugin.reconfigured', event: 'plugin.reconfigured', data: { name: 'echo' } },
    });
    // Not subscribed: client.disconnected stays out.
    guest.close();
    await new Promise((r) => setTimeout(r, 50));
    expect(ops.named('client.disconnected')).toEqual([]);
  });

  test('a JWT with the system claim may read system channels; subscribe= filters them by event name', async () => {
    t = await hub();
    const token = await signToken({ sub: 'dashboard', system: true });
    const board = watch(`${t.url}/stream/events?token=${token}&channels=$hub:*&subscribe=error.occurred`, [
      'error.occurred',
      'client.connected',
    ]);
    sources.push(board);
    await waitFor(() => board.named('relaykit.connected').length === 1);
    t.hub.bus.publish('error.occurred', {
      source: 'test',
      code: 'E_TEST',
      message: 'boom',
      at: new Date().toISOString(),
    });
    await waitFor(() => board.named('error.occurred').length === 1);
    expect(board.named('error.occurred')[0].data).toMatchObject({ data: { code: 'E_TEST' } });
    expect(board.named('client.connected')).toEqual([]);
  });

  test('the metrics plugin periodic snapshot reaches an operator on $hub:metrics.snapshot', async () => {
    const clock = new ManualClock();
    t = await startTestHub({
      clock,
      overrides: { auth: { adminToken: ADMIN }, plugins: { metrics: { snapshots: { intervalMs: 5000 } } } },
    });
    const board = watch(`${t.url}/stream/events?channels=$hub:metrics.snapshot`, ['metrics.snapshot'], admin);
    sources.push(board);
    await waitFor(() => board.named('relaykit.connected').length === 1);
    await clock.tick(5000);
    await waitFor(() => board.named('metrics.snapshot').length === 1);
    const { data } = board.named('metrics.snapshot')[0].data as { data: { seq: number; metrics: unknown } };
    expect(data.seq).toBe(1);
    // The snapshot counts this very stream.
    expect(JSON.stringify(data.metrics)).toContain('relaykit_sse_streams');
  });

  test('channels=* gives the admin every message, direct ones included, and resumes like any stream', async () => {
    t = await hub();
    const ids = await post(
      t.url,
      [
        { channel: 'a', type: 'm' },
        { to: 'someone', type: 'm' },
        { channel: 'b', to: 'other', type: 'm' },
      ],
      ADMIN,
    );
    const all = watch(`${t.url}/stream/events?channels=*&last_event_id=0`, ['m'], admin);
    sources.push(all);
    await waitForIds(all, 3);
    const [live] = await post(t.url, [{ to: 'nobody-listening', type: 'm' }], ADMIN);
    await waitForIds(all, 4);
    expect(all.ids()).toEqual([...ids, live]);
  });
});
