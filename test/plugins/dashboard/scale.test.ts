/**
 * The dashboard and the APIs it reads stay responsive on a busy hub: 10,000 WebSocket
 * channels with subscribers and 100,000 webhook deliveries. Every list the views use
 * is paged with a bounded size (a larger page is refused), each page answers quickly,
 * and the views render their first page in headless Chromium and page on.
 * The deliveries are written straight into the hub's SQLite file (sending 100,000
 * messages through HTTP would take minutes here); the channels are real subscriptions.
 */

import { Database } from 'bun:sqlite';
import { afterAll, beforeAll, expect, test } from 'bun:test';
import type { Browser } from 'playwright-core';
import { launchChromium } from '../../helpers/chromium.ts';
import { startTestHub, type TestHub, waitFor } from '../../helpers/hub.ts';

const ADMIN = 'scale-admin-token';
const CHANNELS = 10_000;
const DELIVERIES = 100_000;
/** Generous bounds: the machine running the suite is shared and slow; an unpaged list of 100k rows misses them by far. */
const PAGE_MS = 1500;
const VIEW_MS = 8000;

let hub: TestHub;
let socket: WebSocket;
let browser: Browser | null = null;
const endpointIds: string[] = [];

/** One timed request: its status, body size and duration. */
async function timed(path: string) {
  const started = performance.now();
  const res = await hub.request(path, { token: ADMIN });
  const text = await res.text();
  return { status: res.status, bytes: text.length, ms: performance.now() - started, body: JSON.parse(text) };
}

beforeAll(async () => {
  hub = await startTestHub({
    overrides: {
      auth: { adminToken: ADMIN },
      plugins: {
        'ws-channels': { maxSubscriptions: CHANNELS },
        // Nothing is sent: the deliveries stay as written.
        webhooks: { worker: { enabled: false }, security: { allowNetworks: ['127.0.0.0/8'] } },
      },
    },
  });
  socket = new WebSocket(`${hub.url.replace('http', 'ws')}/ws?client_id=busy-client`);
  await new Promise((resolve) => socket.addEventListener('open', resolve));
  const names = Array.from({ length: CHANNELS }, (_, i) => `load.${String(i).padStart(5, '0')}`);
  for (let i = 0; i < CHANNELS; i += 1000) {
    socket.send(JSON.stringify({ type: 'subscribe', channels: names.slice(i, i + 1000), id: i }));
  }
  await waitFor(async () => (await timed('/ws/status')).body.channels === CHANNELS, 30_000, '10k channels');

  for (const n of [1, 2]) {
    const res = await hub.request('/webhooks/endpoints', {
      method: 'POST',
      token: ADMIN,
      json: { url: `http://127.0.0.1:9/receiver-${n}`, events: ['message.sent'] },
    });
    expect(res.status).toBe(201);
    endpointIds.push(((await res.json()) as { id: string }).id);
  }
  const db = new Database(hub.dbPath);
  db.exec('PRAGMA busy_timeout = 10000');
  const now = Date.now();
  const event = db.prepare('INSERT INTO webhook_events (id, type, body, created_at) VALUES (?, ?, ?, ?)');
  const delivery = db.prepare(
    'INSERT INTO webhook_deliveries (event_id, endpoint_id, status, attempts, next_attempt_at, last_status, created_at, finished_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
  );
  db.transaction(() => {
    for (let i = 0; i < DELIVERIES; i++) {
      const id = `msg_scale${i}`;
      const body = JSON.stringify({ id, type: 'message.sent', timestamp: new Date(now).toISOString(), data: { i } });
      event.run(id, 'message.sent', body, now);
      const failed = i % 10 === 0;
      delivery.run(id, endpointIds[i % 2], failed ? 'failed' : 'delivered', 1, now, failed ? 500 : 200, now, now);
    }
  })();
  db.close();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  socket?.close();
  await hub?.stop();
});

test('every list the dashboard reads is paged, bounded and quick at 10k channels and 100k deliveries', async () => {
  // Channels: 10 pages of 1,000, in name order, each quick; more than 10,000 at once is refused.
  let after: string | null = null;
  const seen: string[] = [];
  do {
    const page = await timed(`/ws/channels?limit=1000${after ? `&after=${after}` : ''}`);
    expect(page.status).toBe(200);
    expect(page.ms).toBeLessThan(PAGE_MS);
    expect(page.body.channels.length).toBeLessThanOrEqual(1000);
    seen.push(...page.body.channels.map((c: { name: string }) => c.name));
    after = page.body.nextCursor;
  } while (after);
  expect(seen).toHaveLength(CHANNELS);
  expect(new Set(seen).size).toBe(CHANNELS);
  expect((await timed('/ws/channels?limit=10001')).status).toBeGreaterThanOrEqual(400);

  // Deliveries: the first page, a page deep in the table, by endpoint and status; never more than 1,000.
  const first = await timed('/webhooks/deliveries?limit=50');
  expect(first.body.deliveries).toHaveLength(50);
  expect(first.ms).toBeLessThan(PAGE_MS);
  const deep = await timed(`/webhooks/deliveries?limit=50&after=${DELIVERIES - 100}`);
  expect(deep.body.deliveries).toHaveLength(50);
  expect(deep.ms).toBeLessThan(PAGE_MS);
  const filtered = await timed(`/webhooks/deliveries?limit=50&status=failed&endpoint=${endpointIds[0]}`);
  expect(filtered.body.deliveries).toHaveLength(50);
  expect(filtered.body.deliveries.every((d: { status: string }) => d.status === 'failed')).toBe(true);
  expect(filtered.ms).toBeLessThan(PAGE_MS);
  expect((await timed('/webhooks/deliveries?limit=1001')).status).toBeGreaterThanOrEqual(400);
  const biggest = await timed('/webhooks/deliveries?limit=1000');
  expect(biggest.body.deliveries).toHaveLength(1000);
  expect(biggest.bytes).toBeLessThan(1_000_000);

  // The overview's counts come from counters, not lists.
  const status = await timed('/ws/status');
  expect(status.body.subscriptions).toBe(CHANNELS);
  expect(status.ms).toBeLessThan(PAGE_MS);
}, 120_000);

test('the realtime and webhooks views render their first page and page on in headless Chromium', async () => {
  browser = await launchChromium();
  const page = await browser.newPage();
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(error.message));
  await page.goto(`${hub.url}/dashboard`);
  await page.fill('#token', ADMIN);
  await page.click('#login button');
  await page.waitForSelector('#main[data-view="overview"][data-ready="true"]', { timeout: VIEW_MS });

  let started = performance.now();
  await page.click('nav a[data-view="realtime"]');
  await page.waitForSelector('#main[data-view="realtime"][data-ready="true"]', { timeout: VIEW_MS });
  expect(performance.now() - started).toBeLessThan(VIEW_MS);
  expect(await page.textContent('[data-count="ws-channels"]')).toBe(String(CHANNELS));
  expect(await page.$$('button[data-channel]')).toHaveLength(50);
  expect(await page.getAttribute('button[data-channel] >> nth=0', 'data-channel')).toBe('load.00000');
  await page.click('section:has(h2:has-text("WebSocket")) button[data-next]');
  await page.waitForSelector('button[data-channel="load.00050"]', { timeout: VIEW_MS });
  expect(await page.$$('button[data-channel]')).toHaveLength(50);

  started = performance.now();
  await page.click('nav a[data-view="webhooks"]');
  await page.waitForSelector('#main[data-view="webhooks"][data-ready="true"]', { timeout: VIEW_MS });
  expect(performance.now() - started).toBeLessThan(VIEW_MS);
  expect(await page.$$('[data-delivery-status]')).toHaveLength(50);
  await page.selectOption('#delivery-endpoint', endpointIds[1]);
  await page.waitForFunction(() => document.querySelectorAll('[data-delivery-status]').length === 50, undefined, {
    timeout: VIEW_MS,
  });
  expect(problems).toEqual([]);
}, 120_000);
