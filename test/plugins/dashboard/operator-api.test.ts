/**
 * The admin routes behind the dashboard's overview and realtime views: the hub's
 * status with the outcome of each config reload, and disconnecting a client over
 * WebSocket or SSE (admin token only, and logged with who asked).
 */
import { afterAll, beforeAll, expect, test } from 'bun:test';
import { writeFileSync } from 'node:fs';
import pino from 'pino';
import type { Logger } from '../../../src/kernel/logger.ts';
import { VERSION } from '../../../src/version.ts';
import { startTestHub, type TestHub, waitFor } from '../../helpers/hub.ts';

const ADMIN = 'operator-admin-token';
const logs: Array<Record<string, unknown>> = [];
const logger = pino({ level: 'info' }, { write: (line: string) => void logs.push(JSON.parse(line)) });
let hub: TestHub;
beforeAll(async () => {
  hub = await startTestHub({
    configYaml: `auth:\n  adminToken: ${ADMIN}\nlog:\n  level: info\n`,
    logger: logger as unknown as Logger,
  });
});
afterAll(() => hub.stop());

interface Status {
  version: string;
  node: string;
  uptimeSeconds: number;
  configFile: string | null;
  auth: string;
  storage: { dialect: string };
  lastReload: { origin: string; outcome: string; changes: number; error?: string } | null;
}
const status = async () => (await (await hub.request('/admin/status', { token: ADMIN })).json()) as Status;

test('/admin/status says what runs, from which config file, and how each reload went', async () => {
  expect((await hub.request('/admin/status')).status).toBe(401);
  const first = await status();
  expect(first).toMatchObject({
    version: VERSION,
    configFile: hub.configPath,
    auth: 'realtime open, admin token',
    storage: { dialect: 'sqlite' },
    lastReload: null,
  });
  expect(first.node).toMatch(/^[A-Za-z0-9][A-Za-z0-9_.:-]*$/);
  expect(first.uptimeSeconds).toBeGreaterThanOrEqual(0);

  writeFileSync(
    hub.configPath,
    `auth:\n  adminToken: ${ADMIN}\nlog:\n  level: info\nplugins:\n  ttl:\n    enabled: false\n`,
  );
  expect((await hub.request('/admin/reload', { method: 'POST', token: ADMIN })).status).toBe(200);
  expect((await status()).lastReload).toMatchObject({ origin: 'api', outcome: 'applied', changes: 1 });

  writeFileSync(hub.configPath, `auth:\n  adminToken: ${ADMIN}\nlog:\n  level: loudest\n`);
  expect((await hub.request('/admin/reload', { method: 'POST', token: ADMIN })).status).toBe(422);
  const refused = (await status()).lastReload;
  expect(refused).toMatchObject({ origin: 'api', outcome: 'rejected', changes: 0 });
  expect(refused?.error).toContain('log.level');
});

test('an operator disconnects a WebSocket client: admin token only, code 1000, logged', async () => {
  const socket = new WebSocket(`${hub.url.replace('http', 'ws')}/ws?client_id=kicked-ws`);
  const closed = new Promise<CloseEvent>((resolve) => socket.addEventListener('close', resolve));
  await new Promise((resolve) => socket.addEventListener('open', resolve));

  expect((await hub.request('/ws/clients/kicked-ws', { method: 'DELETE' })).status).toBe(401);
  expect((await hub.request('/ws/clients/kicked-ws', { method: 'DELETE', token: 'wrong' })).status).toBe(401);
  expect(socket.readyState).toBe(WebSocket.OPEN);

  const res = await hub.request('/ws/clients/kicked-ws', { method: 'DELETE', token: ADMIN });
  expect(await res.json()).toEqual({ clientId: 'kicked-ws', closed: 1 });
  const event = await closed;
  expect(event.code).toBe(1000);
  expect(event.reason).toBe('disconnected by an operator');
  expect(logs.find((l) => l.audit === 'client.disconnect' && l.clientId === 'kicked-ws')).toMatchObject({
    closed: 1,
    by: '127.0.0.1',
    level: 40,
  });
  // Nothing left to close: 0, not an error.
  const again = await hub.request('/ws/clients/kicked-ws', { method: 'DELETE', token: ADMIN });
  expect(await again.json()).toEqual({ clientId: 'kicked-ws', closed: 0 });
});

test('an operator disconnects an SSE client: its stream ends, logged', async () => {
  const stream = await fetch(`${hub.url}/stream/events?client_id=kicked-sse&channels=news`);
  expect(stream.status).toBe(200);
  const reader = (stream.body as ReadableStream<Uint8Array>).getReader();
  await reader.read(); // the stream is open: its first bytes arrived
  expect((await hub.request('/stream/clients/kicked-sse', { method: 'DELETE' })).status).toBe(401);

  const res = await hub.request('/stream/clients/kicked-sse', { method: 'DELETE', token: ADMIN });
  expect(await res.json()).toEqual({ clientId: 'kicked-sse', closed: 1 });
  for (;;) if ((await reader.read()).done) break;
  await waitFor(() => logs.some((l) => l.audit === 'client.disconnect' && l.clientId === 'kicked-sse'), 2000, 'log');
});
