import { afterEach, describe, expect, test } from 'bun:test';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from '../../helpers/hub.ts';
import { type HubProcess, spawnHub } from '../../helpers/process.ts';
import { ADMIN, gate, query, type Receiver, startReceiver } from './helpers.ts';

let dir: string;
let receiver: Receiver | undefined;
let child: HubProcess | undefined;
afterEach(async () => {
  child?.proc.kill('SIGKILL');
  await child?.proc.exited;
  await receiver?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const CONFIG = `
plugins:
  webhooks:
    security:
      allowNetworks: ['127.0.0.0/8']
    delivery:
      timeoutMs: 1000
      retrySchedule: [1, 1, 1, 1, 1, 1, 1, 1]
      jitter: 0
    worker:
      leaseGraceMs: 500
      perEndpointConcurrency: 4
`;

describe('crash safety', () => {
  test('a hub killed with SIGKILL mid-delivery delivers every message after restart, none lost', async () => {
    dir = mkdtempSync(join(tmpdir(), 'relaykit-webhooks-crash-'));
    writeFileSync(join(dir, 'relaykit.config.yaml'), CONFIG);
    const env = { RELAYKIT_STORAGE_URL: `sqlite:${join(dir, 'hub.db')}`, RELAYKIT_ADMIN_TOKEN: ADMIN };

    // Before the crash the receiver holds every request; after it, it answers at once.
    const held = gate();
    let crashed = false;
    const delivered = new Set<number>();
    receiver = startReceiver(async (_req, _i, body) => {
      if (!crashed) await held.wait;
      delivered.add(JSON.parse(body).data.id);
      return new Response(null, { status: 204 });
    });

    child = await spawnHub({ cwd: dir, env });
    const res = await fetch(`${child.url}/webhooks/endpoints`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ url: receiver.url, events: ['message.sent'] }),
    });
    expect(res.status).toBe(201);

    // Messages keep arriving while the kill happens.
    const acknowledged: number[] = [];
    const url = child.url;
    const posting = Array.from({ length: 120 }, async (_, i) => {
      try {
        const r = await fetch(`${url}/messages`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ to: 'agent', type: 'job', payload: { i } }),
        });
        if (r.status === 201) acknowledged.push((await r.json()).id);
      } catch {
        // The hub died under this request: it was never acknowledged.
      }
    });
    await waitFor(() => receiver !== undefined && receiver.requests.length >= 4 && acknowledged.length >= 30, 10_000);
    child.proc.kill('SIGKILL');
    await child.proc.exited;
    await Promise.all(posting);
    crashed = true;
    held.release();
    expect(delivered.size).toBe(0);

    child = await spawnHub({ cwd: dir, env });
    const dbPath = join(dir, 'hub.db');
    const stored = query<{ id: number }>(dbPath, 'SELECT id FROM messages').map((m) => m.id);
    expect(stored.length).toBeGreaterThanOrEqual(acknowledged.length);
    await waitFor(() => stored.every((id) => delivered.has(id)), 15_000, 'every stored message delivered');
    expect(acknowledged.filter((id) => !delivered.has(id))).toEqual([]);
    // Every committed message has its webhook event: the outbox rows committed with it.
    expect(
      query(dbPath, 'SELECT m.id FROM messages m LEFT JOIN webhook_events e ON e.message_id = m.id WHERE e.id IS NULL'),
    ).toEqual([]);
  }, 40_000);
});
