/**
 * The Pusher plugin on a two-node cluster, with real pusher-js clients on different
 * nodes: presence members, member_added / member_removed, channel_occupied /
 * channel_vacated webhooks and the HTTP API's counts are the whole cluster's, and the
 * members of a SIGKILLed node drop out of the other node's member lists within seconds.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import type Pusher from 'pusher-js';
import type { TestHub } from '../helpers/hub.ts';
import { createTestDatabase } from '../helpers/postgres.ts';
import { BUN } from '../helpers/process.ts';
import { next, pusherClient, serverSdk, subscribed } from '../plugins/pusher/helpers.ts';
import { LOOPBACK, type Receiver, startReceiver } from '../plugins/webhooks/helpers.ts';
import { Cluster, type Node, waitFor } from './cluster-harness.ts';

const db = await createTestDatabase(import.meta.path, '', 'rk_cluster_');
const TOKEN = 'cluster-pusher-admin-0123456789';
const APP = { id: 'app-1', key: 'app-key', secret: 'app-secret' };

const CONFIG = `watch: false
auth:
  adminToken: ${TOKEN}
plugins:
  pusher:
    enabled: true
    webhookBatchMs: 50
    apps:
      - id: ${APP.id}
        key: ${APP.key}
        secret: ${APP.secret}
        webhookEvents: [channel_occupied, channel_vacated, member_added, member_removed]
  webhooks:
    security:
      allowNetworks: ${JSON.stringify(LOOPBACK)}
    delivery:
      retrySchedule: [0, 0]
`;

interface Members {
  count: number;
  me: { id: string };
  get(id: string): { info: unknown } | null;
  each(cb: (member: { id: string }) => void): void;
}
type PresenceChannel = ReturnType<Pusher['subscribe']> & { members: Members };

interface WebhookEvent {
  name: string;
  channel: string;
  user_id?: string;
}

let cluster: Cluster;
let receiver: Receiver;
const clients: Pusher[] = [];

/** What the helpers need of a hub: its URL (a node of the cluster). */
const hubOf = (node: Node) => ({ url: node.url }) as unknown as TestHub;

function connect(node: Node, user?: { user_id: string; user_info?: Record<string, unknown> }): Pusher {
  const client = pusherClient(hubOf(node), user ? { user } : {});
  clients.push(client);
  return client;
}

async function join(node: Node, channel: string, userId: string): Promise<PresenceChannel> {
  const client = connect(node, { user_id: userId, user_info: { name: userId.toUpperCase() } });
  return (await subscribed(client, channel)) as PresenceChannel;
}

function ids(members: Members): string[] {
  const out: string[] = [];
  members.each((m) => out.push(m.id));
  return out.sort();
}

/** Every member id a channel's `pusher:member_added` / `pusher:member_removed` reported, in order. */
function record(channel: PresenceChannel, event: string): string[] {
  const seen: string[] = [];
  channel.bind(event, (m: { id: string }) => seen.push(m.id));
  return seen;
}

/** Pusher webhook events the receiver got, validated by the server SDK. */
function webhooks(node: Node): WebhookEvent[] {
  const sdk = serverSdk(hubOf(node));
  return receiver.requests.flatMap((r) => {
    const webhook = sdk.webhook({ headers: Object.fromEntries(r.headers), rawBody: r.body });
    expect(webhook.isValid()).toBe(true);
    return webhook.getEvents() as WebhookEvent[];
  });
}

/** Waits until `channel` has received everything committed before now: an event triggered on `node`. */
async function barrier(node: Node, channel: PresenceChannel): Promise<void> {
  const name = `probe-${crypto.randomUUID()}`;
  const got = next(channel, name);
  await serverSdk(hubOf(node)).trigger(channel.name, name, {});
  await got;
}

async function get<T>(node: Node, path: string, params: Record<string, string> = {}): Promise<T> {
  const res = await serverSdk(hubOf(node)).get({ path, params });
  return (await res.json()) as T;
}

beforeAll(async () => {
  if (!db) return;
  receiver = startReceiver();
  cluster = new Cluster([BUN, BUN], db.url(), CONFIG);
  await cluster.start();
  const res = await fetch(`${cluster.nodes[0].url}/webhooks/endpoints`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      url: `${receiver.url}/pusher`,
      events: ['pusher.webhook'],
      channels: ['pusher.app-1'],
      format: 'raw',
    }),
  });
  expect(res.status).toBe(201);
}, 60_000);

afterAll(async () => {
  for (const client of clients) client.disconnect();
  await cluster?.dispose();
  await receiver?.stop();
});

describe.skipIf(!db)('Pusher on a cluster', () => {
  test('a member on one node is in the other node’s member list, and member_added / member_removed cross nodes', async () => {
    const [a, b] = cluster.nodes;
    const alice = await join(a, 'presence-room', 'alice');
    const added = record(alice, 'pusher:member_added');
    const removed = record(alice, 'pusher:member_removed');
    const events: string[] = [];
    alice.bind_global((event: string) => events.push(event));

    const bob = await join(b, 'presence-room', 'bob');
    expect(ids(bob.members)).toEqual(['alice', 'bob']);
    expect(bob.members.get('alice')?.info).toEqual({ name: 'ALICE' });
    expect(bob.members.me.id).toBe('bob');
    const bobAdded = record(bob, 'pusher:member_added');
    const bobRemoved = record(bob, 'pusher:member_removed');
    await waitFor(() => added.includes('bob'), 5000, 'member_added for bob on node a');
    expect(ids(alice.members)).toEqual(['alice', 'bob']);

    // Bob's second connection, on the other node: no new member, and its list is complete too.
    const bobAgain = await join(a, 'presence-room', 'bob');
    expect(ids(bobAgain.members)).toEqual(['alice', 'bob']);
    await barrier(a, alice);
    await barrier(b, bob);
    expect(added).toEqual(['bob']);
    expect(bobAdded).toEqual([]);

    // Bob's connection on node b goes: he is still present through node a.
    bob.pusher.disconnect();
    await barrier(b, alice);
    expect(removed).toEqual([]);
    // His last connection goes (on node a): both nodes' subscribers hear of it.
    const carol = await join(b, 'presence-room', 'carol');
    expect(ids(carol.members)).toEqual(['alice', 'bob', 'carol']);
    const carolRemoved = record(carol, 'pusher:member_removed');
    await waitFor(() => added.includes('carol'), 5000, 'member_added for carol on node a');
    bobAgain.pusher.disconnect();
    await waitFor(() => removed.includes('bob') && carolRemoved.includes('bob'), 5000, 'member_removed on both nodes');
    expect(ids(alice.members)).toEqual(['alice', 'carol']);
    expect(ids(carol.members)).toEqual(['alice', 'carol']);
    await barrier(a, alice);
    await barrier(b, carol);
    expect(added).toEqual(['bob', 'carol']);
    expect(removed).toEqual(['bob']);
    expect(carolRemoved).toEqual(['bob']);
    expect(bobRemoved).toEqual([]);
    // Member events reach pusher-js as Pusher's internal events only, and stay off the channel's messages.
    expect(events.filter((e) => !e.startsWith('probe-')).sort()).toEqual([
      'pusher:member_added',
      'pusher:member_added',
      'pusher:member_removed',
    ]);
    const stored = await fetch(`${a.url}/messages?channel=pusher.app-1.presence-room`, {
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    const types = ((await stored.json()) as { messages: { type: string }[] }).messages.map((m) => m.type);
    expect(types.every((t) => t.startsWith('probe-'))).toBe(true);
    carol.pusher.disconnect();
    alice.pusher.disconnect();
  }, 30_000);

  test('the HTTP API counts every node and occupancy webhooks fire once per cluster', async () => {
    const [a, b] = cluster.nodes;
    const onA = await join(a, 'presence-lobby', 'dora');
    const onB = await join(b, 'presence-lobby', 'erin');
    const erinOnA = await join(a, 'presence-lobby', 'erin');
    const publicA = await subscribed(connect(a), 'news');
    const publicB = await subscribed(connect(b), 'news');
    // A subscription is answered once the shared presence counts it: every node counts it then.
    const newsCount = async (node: Node) =>
      (await get<{ subscription_count?: number }>(node, '/channels/news', { info: 'subscription_count' }))
        .subscription_count;
    expect([await newsCount(a), await newsCount(b)]).toEqual([2, 2]);

    for (const node of [a, b]) {
      const one = await get<Record<string, unknown>>(node, '/channels/presence-lobby', {
        info: 'user_count,subscription_count',
      });
      expect(one).toEqual({ occupied: true, user_count: 2, subscription_count: 3 });
      const users = await get<{ users: { id: string }[] }>(node, '/channels/presence-lobby/users');
      expect(users.users.map((u) => u.id).sort()).toEqual(['dora', 'erin']);
      const listed = await get<{ channels: Record<string, unknown> }>(node, '/channels', {
        filter_by_prefix: 'presence-lobby',
        info: 'user_count',
      });
      expect(listed.channels).toEqual({ 'presence-lobby': { user_count: 2 } });
      const news = await get<Record<string, unknown>>(node, '/channels/news', { info: 'subscription_count' });
      expect(news).toEqual({ occupied: true, subscription_count: 2 });
    }

    for (const channel of [onA, onB, erinOnA, publicA, publicB]) channel.pusher.disconnect();
    const lobby = () => webhooks(a).filter((e) => e.channel === 'presence-lobby' || e.channel === 'news');
    await waitFor(
      () => lobby().filter((e) => e.name === 'channel_vacated').length >= 2,
      15_000,
      'presence-lobby and news vacated',
    );
    // Batches of both nodes have arrived by now; give a straggler a moment to show up.
    await Bun.sleep(500);
    const summary = lobby()
      .map((e) => `${e.name} ${e.channel}${e.user_id ? ` ${e.user_id}` : ''}`)
      .sort();
    expect(summary).toEqual([
      'channel_occupied news',
      'channel_occupied presence-lobby',
      'channel_vacated news',
      'channel_vacated presence-lobby',
      'member_added presence-lobby dora',
      'member_added presence-lobby erin',
      'member_removed presence-lobby dora',
      'member_removed presence-lobby erin',
    ]);
    const after = await get<Record<string, unknown>>(b, '/channels/presence-lobby', {
      info: 'user_count,subscription_count',
    });
    expect(after).toEqual({ occupied: false, user_count: 0, subscription_count: 0 });
  }, 30_000);

  test('the members of a SIGKILLed node leave the other node’s member lists within seconds', async () => {
    const [a, b] = cluster.nodes;
    const alice = await join(a, 'presence-doomed', 'alice');
    const removed = record(alice, 'pusher:member_removed');
    const added = record(alice, 'pusher:member_added');
    await join(b, 'presence-doomed', 'frank');
    await waitFor(() => added.includes('frank'), 5000, 'frank added on node a');

    const killedAt = Date.now();
    await b.kill('SIGKILL');
    // The node ttl (6 s) and a member check (every 2 s): about 8 s at most.
    await waitFor(() => removed.includes('frank'), 12_000, "the killed node's member removed on node a");
    const took = Date.now() - killedAt;
    expect(took).toBeLessThan(12_000);
    expect(ids(alice.members)).toEqual(['alice']);
    const users = await get<{ users: { id: string }[] }>(a, '/channels/presence-doomed/users');
    expect(users.users.map((u) => u.id)).toEqual(['alice']);
    const count = await get<Record<string, unknown>>(a, '/channels/presence-doomed', {
      info: 'user_count,subscription_count',
    });
    expect(count).toEqual({ occupied: true, user_count: 1, subscription_count: 1 });
    // The surviving node's sweep deletes the killed node's entries and announces the member gone, once.
    const frankGone = () =>
      webhooks(a).filter(
        (e) => e.name === 'member_removed' && e.channel === 'presence-doomed' && e.user_id === 'frank',
      );
    await waitFor(() => frankGone().length > 0, 10_000, 'the member_removed webhook for frank');
    await Bun.sleep(500);
    expect(frankGone()).toHaveLength(1);
    console.log(`[pusher cluster] a killed node's member was removed on the other node after ${took} ms`);
  }, 30_000);
});
