import { afterEach, describe, expect, test } from 'bun:test';
import { createServer, type Server, type Socket } from 'node:net';
import { ManualClock } from '../../../src/kernel/clock.ts';
import { startTestHub, type TestHub, waitFor } from '../../helpers/hub.ts';
import { checkControl, nextRun, probePlugin, withPlugins } from './fixtures.ts';

let t: TestHub | undefined;
let server: Server | undefined;
let open: Socket[] = [];
afterEach(async () => {
  await t?.stop();
  t = undefined;
  for (const socket of open) socket.destroy();
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  server = undefined;
  open = [];
});

/** A TCP server on 127.0.0.1 that accepts connections and never answers. */
async function silentServer(): Promise<{ port: number; sockets: Socket[] }> {
  const sockets: Socket[] = [];
  open = sockets;
  server = createServer((socket) => {
    sockets.push(socket);
    socket.resume(); // read (and drop) the request, so the client closing the connection is seen
  });
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('no port');
  return { port: address.port, sockets };
}

async function readiness(hub: TestHub) {
  const res = await hub.request('/health/ready');
  return { code: res.status, body: await res.json() };
}

describe('a hanging check', () => {
  test('an HTTP dependency that never answers fails at its timeout and its request is aborted', async () => {
    const { port, sockets } = await silentServer();
    const clock = new ManualClock();
    t = await startTestHub({
      clock,
      overrides: {
        plugins: {
          health: { external: [{ name: 'billing', http: `http://127.0.0.1:${port}/health`, timeoutMs: 750 }] },
        },
      },
    });
    await waitFor(() => sockets.length === 1, 2000, 'the check to connect');
    // The first run is still waiting on the silent server: nothing is cached yet.
    expect(await readiness(t)).toMatchObject({ code: 503, body: { output: 'the health checks have not run yet' } });

    await clock.tick(749);
    expect((await readiness(t)).code).toBe(503);
    await clock.tick(1);
    const hub = t;
    await waitFor(async () => (await readiness(hub)).body.checks?.['billing:responseTime'] !== undefined);
    const { code, body } = await readiness(t);
    expect(code).toBe(503);
    expect(body.output).toBe('billing:responseTime: timed out after 750 ms');
    expect(body.checks['billing:responseTime'][0]).toMatchObject({ status: 'fail', componentType: 'component' });
    // The abandoned request does not leak a connection.
    await waitFor(() => sockets[0].destroyed || sockets[0].readableEnded, 2000, 'the request to be aborted');
  });

  test("a plugin's check that never resolves fails at the timeout without blocking later runs", async () => {
    const clock = new ManualClock();
    const control = checkControl();
    t = await startTestHub({ plugins: withPlugins(probePlugin(control)), clock });
    await nextRun(t, clock);
    expect((await readiness(t)).code).toBe(200);

    control.hang = true;
    await clock.tick(5000); // a run starts and waits on probe:backlog
    expect((await readiness(t)).code).toBe(200); // the last complete run still answers
    await nextRun(t, clock, 2000); // the default timeoutMs
    const { code, body } = await readiness(t);
    expect(code).toBe(503);
    expect(body.output).toBe('probe:backlog: timed out after 2000 ms');

    control.hang = false;
    await nextRun(t, clock, 3000); // the next interval
    expect((await readiness(t)).code).toBe(200);
  });
});
