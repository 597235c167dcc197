import { afterEach, describe, expect, test } from 'bun:test';
import { createServer, type Server } from 'node:net';
import { ManualClock } from '../../../src/kernel/clock.ts';
import { startTestHub, type TestHub } from '../../helpers/hub.ts';
import { ADMIN_TOKEN, nextRun } from './fixtures.ts';

let t: TestHub | undefined;
const closers: Array<() => void> = [];
afterEach(async () => {
  await t?.stop();
  t = undefined;
  for (const close of closers.splice(0)) close();
});

/** An HTTP server on 127.0.0.1 answering `status`. */
function httpServer(status: () => number): string {
  const server = Bun.serve({ hostname: '127.0.0.1', port: 0, fetch: () => new Response('ok', { status: status() }) });
  closers.push(() => server.stop(true));
  return `http://127.0.0.1:${server.port}/health`;
}

/** A TCP port on 127.0.0.1 that accepts connections. */
async function tcpServer(): Promise<number> {
  const server: Server = createServer((socket) => socket.end());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(() => server.close());
  return (server.address() as { port: number }).port;
}

/** A TCP port on 127.0.0.1 where nothing listens. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('external checks', () => {
  test('HTTP must answer 2xx and TCP must accept; reported-only failures warn without touching readiness', async () => {
    let apiStatus = 200;
    const api = httpServer(() => apiStatus);
    const redis = await tcpServer();
    const queue = await closedPort();
    const clock = new ManualClock();
    t = await startTestHub({
      clock,
      overrides: {
        plugins: {
          health: {
            external: [
              { name: 'payments', http: api },
              { name: 'redis', tcp: `127.0.0.1:${redis}`, componentType: 'datastore' },
              { name: 'queue', tcp: `127.0.0.1:${queue}`, affectsReadiness: false },
            ],
          },
        },
      },
    });
    await nextRun(t, clock);
    let doc = await (await t.request('/health/status')).json();
    expect(doc.status).toBe('warn');
    expect(doc.checks['payments:responseTime'][0]).toMatchObject({ status: 'pass', observedUnit: 'ms' });
    expect(doc.checks['redis:responseTime'][0]).toMatchObject({ status: 'pass', componentType: 'datastore' });
    expect(doc.checks['queue:responseTime'][0]).toMatchObject({ status: 'fail', affectsReadiness: false });
    expect(doc.checks['queue:responseTime'][0].output).toContain('ECONNREFUSED');
    expect((await t.request('/health/ready')).status).toBe(200);

    apiStatus = 500;
    await nextRun(t, clock);
    const ready = await t.request('/health/ready');
    expect(ready.status).toBe(503);
    doc = await ready.json();
    expect(doc.output).toBe('payments:responseTime: answered HTTP 500');
  });

  test('bad external entries and unknown required plugins are refused, naming the field', async () => {
    t = await startTestHub({ overrides: { auth: { adminToken: ADMIN_TOKEN } } });
    for (const [entry, message] of [
      [{ name: 'x' }, 'plugins.health.external[0]: set exactly one of http or tcp'],
      [{ name: 'x', http: 'http://127.0.0.1:1/', tcp: '127.0.0.1:1' }, 'plugins.health.external[0]: set exactly one'],
      [{ name: 'x', tcp: 'redis' }, 'plugins.health.external[0].tcp: expected host:port'],
      [{ name: 'x', http: 'ftp://127.0.0.1/' }, 'plugins.health.external[0].http: use http or https'],
    ] as const) {
      const res = await t.request('/admin/plugins/health', {
        method: 'PATCH',
        token: ADMIN_TOKEN,
        json: { options: { external: [entry] } },
      });
      expect(res.status).toBe(422);
      expect((await res.json()).error.message).toContain(message);
    }
    const res = await t.request('/admin/plugins/health', {
      method: 'PATCH',
      token: ADMIN_TOKEN,
      json: { options: { requiredPlugins: ['webhookz'] } },
    });
    expect(res.status).toBe(422);
    expect((await res.json()).error.message).toContain(
      'plugins.health.requiredPlugins[0]: no plugin is named "webhookz"',
    );
    expect((await t.request('/health/live')).status).toBe(200); // the previous instance keeps serving
  });
});
