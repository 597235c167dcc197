import { afterAll, expect, test } from 'bun:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command, readmeCommands } from './helpers.ts';

const README = 'examples/embed/README.md';
const ADMIN = 'embed-example-admin-token';
const dir = mkdtempSync(join(tmpdir(), 'relaykit-embed-'));
const running: Command[] = [];
afterAll(async () => {
  for (const command of running.reverse()) await command.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('an existing Elysia app serves its routes next to Relaykit: its orders reach SSE and WebSocket, clients talk back', async () => {
  const [startApp] = readmeCommands(README, 'run');
  expect(startApp).toBe('bun examples/embed/app.ts');
  const app = new Command(startApp, {
    env: {
      RELAYKIT_HOST: '127.0.0.1',
      RELAYKIT_PORT: '0',
      RELAYKIT_STORAGE_URL: `sqlite:${dir}/embed.db`,
      RELAYKIT_ADMIN_TOKEN: ADMIN,
    },
  });
  running.push(app);
  // Port 0: the app says which port it got; its hub's ready line names the same one.
  const listening = await app.waitForLine(/^shop and relaykit listening on /);
  expect(listening).toMatch(/^shop and relaykit listening on http:\/\/127\.0\.0\.1:\d+$/);
  const url = listening.slice('shop and relaykit listening on '.length);
  expect(await app.readyUrl()).toBe(url);
  // The README's commands, on this test's port.
  const onPort = (line: string) => line.replaceAll('localhost:3000', new URL(url).host);

  const [sseLine, watchLine] = readmeCommands(README, 'watch');
  expect(watchLine).toBe('bun examples/embed/watch.ts --cancel');
  const sse = new Command(onPort(sseLine));
  const watcher = new Command(watchLine, { env: { RELAYKIT_URL: url } });
  running.push(sse, watcher);
  await sse.waitForLine(/^event: relaykit.connected/);
  await watcher.waitForLine(/^watching orders$/);

  const outputs: string[] = [];
  for (const line of readmeCommands(README, 'try')) {
    const command = new Command(onPort(line));
    expect(await command.finished()).toBe(0);
    outputs.push(command.output);
  }
  expect(JSON.parse(outputs[0])).toEqual({
    app: 'shop',
    orders: '/shop/orders',
    websocket: '/ws',
    sse: '/stream/events',
  });
  expect(JSON.parse(outputs[1])).toEqual({ id: 1, sku: 'A-1', qty: 2, status: 'placed' });

  // The shop's message reached both transports; the watcher's cancel (WebSocket publish) reached the shop.
  await watcher.waitForLine(/^order\.cancelled #\d+ \{"id":1,"sku":"A-1","qty":2,"status":"cancelled"\}$/);
  expect(watcher.lines.filter((l) => /^order\.(placed|cancel|cancelled) /.test(l)).map((l) => l.split(' ')[0])).toEqual(
    ['order.placed', 'order.cancel', 'order.cancelled'],
  );
  await sse.waitForLine(/^event: order\.cancelled$/);
  expect(sse.lines.filter((l) => l.startsWith('event: order.'))).toEqual([
    'event: order.placed',
    'event: order.cancel',
    'event: order.cancelled',
  ]);
  expect(await (await fetch(`${url}/shop/orders`)).json()).toEqual([
    { id: 1, sku: 'A-1', qty: 2, status: 'cancelled' },
  ]);

  // A plugin swap rebuilds the app: the shop's routes stay, and so does the watcher's connection.
  const patch = await fetch(`${url}/admin/plugins/metrics`, {
    method: 'PATCH',
    headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ enabled: false }),
  });
  expect(patch.status).toBe(200);
  expect((await fetch(`${url}/metrics`)).status).toBe(404);
  const second = await fetch(`${url}/shop/orders`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ sku: 'B-2', qty: 1 }),
  });
  expect(second.status).toBe(201);
  await watcher.waitForLine(/^order\.placed #\d+ \{"id":2,/);
  expect(watcher.lines).not.toContain('reconnected');
  const paths = Object.keys(((await (await fetch(`${url}/openapi/json`)).json()) as { paths: object }).paths);
  expect(paths).toContain('/shop/orders');

  expect(await app.stop('SIGTERM')).toBe(0);
}, 30_000);
