/**
 * The dashboard in headless Chromium against a real hub: sign in, every view with
 * live data, a plugin toggled off and on (its view says it is off), a published
 * message in the live tail, a failed webhook delivery retried against a loopback
 * receiver, a narrow window; no console error and no request to any other host.
 * Screenshots of each view go to docs/plugins/dashboard/.
 */
import { afterAll, expect, test } from 'bun:test';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { Browser, Page } from 'playwright-core';
import { DASHBOARD_ASSETS } from '../../../plugins/dashboard/assets.generated.ts';
import { GENERATED, renderDashboard } from '../../../scripts/embed-dashboard.ts';
import { launchChromium } from '../../helpers/chromium.ts';
import { startTestHub, type TestHub, waitFor } from '../../helpers/hub.ts';
import { LOOPBACK, startReceiver } from '../webhooks/helpers.ts';

const ROOT = resolve(import.meta.dir, '../../..');
// The docs' screenshots are refreshed on request (RELAYKIT_UPDATE_SCREENSHOTS=1); a plain run
// writes them to a temporary folder so the suite never edits the checkout.
const SHOTS = process.env.RELAYKIT_UPDATE_SCREENSHOTS
  ? join(ROOT, 'docs/plugins/dashboard')
  : mkdtempSync(join(tmpdir(), 'relaykit-dashboard-shots-'));
const ADMIN = 'dashboard-admin-token';
let browser: Browser | null = null;
let hub: TestHub | null = null;
const receiver = startReceiver((_req, index) => new Response(null, { status: index === 0 ? 500 : 204 }));
afterAll(async () => {
  await browser?.close();
  await hub?.stop();
  await receiver.stop();
});

test('the embedded assets are exactly plugins/dashboard/ui (else: bun run dashboard:embed) and stay small', () => {
  expect(readFileSync(GENERATED, 'utf8') === renderDashboard()).toBe(true);
  const gzipped = Object.values(DASHBOARD_ASSETS).reduce((n, a) => n + Buffer.from(a.gzip, 'base64').length, 0);
  expect(gzipped).toBeLessThan(20_000);
  const js = gunzipSync(Buffer.from(DASHBOARD_ASSETS['app.js'].gzip, 'base64')).toString();
  expect(js).not.toMatch(/https?:\/\/(?!www\.w3\.org\/2000\/svg)/);
});

async function view(page: Page, name: string): Promise<void> {
  await page.click(`nav a[data-view="${name}"]`);
  await page.waitForSelector(`#main[data-view="${name}"][data-ready="true"]`);
}

test('an operator signs in and works every view in headless Chromium', async () => {
  const live = await startTestHub({
    overrides: {
      auth: { adminToken: ADMIN },
      plugins: {
        webhooks: { security: { allowNetworks: LOOPBACK }, delivery: { retrySchedule: [] } },
        metrics: { snapshots: { intervalMs: 100 } },
      },
    },
  });
  hub = live;
  const origin = new URL(live.url).origin;
  browser = await launchChromium();
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
  const elsewhere: string[] = [];
  await context.route('**/*', (route) => {
    const url = route.request().url();
    if (new URL(url).origin === origin) return route.continue();
    elsewhere.push(url);
    return route.abort('blockedbyclient');
  });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`));
  page.on('console', (m) => {
    // The wrong-token attempt below is answered 401 on purpose; Chromium logs that.
    if (m.type() === 'error' && !m.text().includes('401')) problems.push(`console: ${m.text()}`);
  });

  // Sign in: a wrong token is refused; the right one is kept in sessionStorage only.
  await page.goto(`${live.url}/dashboard`);
  await page.fill('#token', 'not-the-token');
  await page.click('#login button');
  await page.waitForSelector('#login-error:has-text("refused")');
  await page.fill('#token', ADMIN);
  await page.click('#login button');
  await page.waitForSelector('#main[data-view="overview"][data-ready="true"]');
  expect(await page.isVisible('#login')).toBe(false);
  expect(await page.evaluate(() => sessionStorage.getItem('relaykit.adminToken'))).toBe(ADMIN);
  expect(await page.evaluate(() => localStorage.length)).toBe(0);
  expect(await context.cookies()).toEqual([]);
  expect(page.url()).not.toContain(ADMIN);
  expect(await page.textContent('#main')).toMatch(/database:responseTime/);
  // The overview says what runs where: version, node, uptime, config, the last reload, the auth mode.
  const status = (await (await live.request('/admin/status', { token: ADMIN })).json()) as Record<string, unknown>;
  expect(await page.textContent('[data-fact="version"]')).toBe(String(status.version));
  expect(await page.textContent('[data-fact="node"]')).toBe(String(status.node));
  expect(await page.textContent('[data-fact="auth"]')).toBe('realtime open, admin token');
  expect(await page.textContent('[data-fact="config"]')).toBe('none, defaults');
  expect(await page.textContent('[data-fact="reload"]')).toBe('none since start');
  expect(await page.textContent('[data-fact="uptime"]')).toMatch(/^\d+[smhd]/);
  await page.screenshot({ path: join(SHOTS, 'overview.png'), fullPage: true });

  // Plugins: ttl off, its view says so; on again.
  await view(page, 'plugins');
  await page.click('button[data-toggle="ttl"]');
  await page.waitForSelector('#main[data-ready="true"] [data-state="stopped"]');
  await view(page, 'retention');
  await page.waitForSelector('[data-off="ttl"]');
  await view(page, 'plugins');
  await page.screenshot({ path: join(SHOTS, 'plugins.png'), fullPage: true });
  await page.click('button[data-toggle="ttl"]');
  await waitFor(async () => (await live.request('/ttl/stats', { token: ADMIN })).status === 200, 5000, 'ttl back');
  await view(page, 'retention');
  await page.waitForSelector('[data-stat="lagSeconds"]');
  await page.screenshot({ path: join(SHOTS, 'retention.png'), fullPage: true });

  // Traffic, from the metrics plugin's history.
  await live.request('/messages', { method: 'POST', json: { channel: 'warmup', type: 'note', payload: 1 } });
  await waitFor(
    async () => {
      const res = await live.request('/metrics/json/history?limit=5');
      return ((await res.json()) as { snapshots: unknown[] }).snapshots.length >= 3;
    },
    10_000,
    'metric snapshots',
  );
  await view(page, 'traffic');
  await page.waitForSelector('[data-chart="Requests/s"] polyline');
  expect(await page.$$('[data-chart]')).toHaveLength(4);
  await page.screenshot({ path: join(SHOTS, 'traffic.png'), fullPage: true });

  // Messages: publish from the form; it shows up in the live tail.
  await view(page, 'messages');
  await page.fill('#pub-channel', 'dashboard.test');
  await page.fill('#pub-payload', '{"text":"from the dashboard"}');
  await page.click('form button.primary');
  const stored = (await page.waitForSelector('[role="status"]:has-text("stored as")')).textContent();
  const id = Number((await stored)?.replace(/\D+/g, ''));
  expect(id).toBeGreaterThan(0);
  await page.waitForSelector(`#tail li[data-id="${id}"]`);
  expect(await page.textContent(`#tail li[data-id="${id}"]`)).toContain('from the dashboard');
  await page.screenshot({ path: join(SHOTS, 'messages.png'), fullPage: true });

  // Realtime: a WebSocket client's presence in its channel; the operator disconnects it.
  const wsUrl = `${live.url.replace('http', 'ws')}/ws?client_id=watched-client`;
  const socket = new WebSocket(wsUrl);
  const closed = new Promise<number>((resolve) => socket.addEventListener('close', (e) => resolve(e.code)));
  await new Promise((resolve) => socket.addEventListener('open', resolve));
  socket.send(JSON.stringify({ type: 'subscribe', channels: ['room.watched'], id: 1 }));
  await waitFor(
    async () => (await (await live.request('/ws/channels/room.watched', { token: ADMIN })).json()).subscribers === 1,
    5000,
    'the subscription',
  );
  await view(page, 'realtime');
  await page.waitForSelector('#main h2:has-text("Server-Sent Events")');
  expect(await page.textContent('[data-count="ws-slow"]')).toBe('0');
  await page.click('button[data-channel="room.watched"]');
  await page.waitForSelector('button[data-disconnect-ws="watched-client"]');
  await page.screenshot({ path: join(SHOTS, 'realtime.png'), fullPage: true });
  await page.click('button[data-disconnect-ws="watched-client"]');
  await page.waitForSelector('#realtime-status:has-text("watched-client: 1 connection closed")');
  expect(await closed).toBe(1000);

  // Webhooks: a delivery fails against the loopback receiver (500, no retries left); retry it from the view.
  const created = await live.request('/webhooks/endpoints', {
    method: 'POST',
    token: ADMIN,
    json: { url: receiver.url, events: ['message.sent'], channels: ['hooks'] },
  });
  expect(created.status).toBe(201);
  await live.request('/messages', {
    method: 'POST',
    json: { channel: 'hooks', type: 'hook.fired', payload: { n: 1 } },
  });
  const deliveries = async () =>
    (
      (await (await live.request('/webhooks/deliveries', { token: ADMIN })).json()) as {
        deliveries: Array<{ id: number; status: string }>;
      }
    ).deliveries;
  await waitFor(async () => (await deliveries())[0]?.status === 'failed', 10_000, 'a failed delivery');
  const failed = (await deliveries())[0];
  await view(page, 'webhooks');
  // Its attempts: the receiver's 500 with its latency.
  await page.click(`button[data-attempts="${failed.id}"]`);
  await page.waitForSelector('#attempts [data-attempt-status="500"]');
  expect(await page.textContent(`button[data-retry="${failed.id}"]`)).toBe('Replay');
  await page.click(`button[data-retry="${failed.id}"]`);
  await page.waitForSelector('#webhook-status:has-text("done")');
  // The retry clears the attempts shown (they are stale); the row's attempts show them again.
  expect(await page.$$('#attempts [data-attempt-status]')).toHaveLength(0);
  await waitFor(async () => (await deliveries())[0]?.status === 'delivered', 10_000, 'the retried delivery');
  expect(receiver.requests).toHaveLength(2);
  await view(page, 'webhooks');
  await page.waitForSelector(`[data-delivery-status="delivered"]`);
  await page.click(`button[data-attempts="${failed.id}"]`);
  await page.waitForSelector('#attempts [data-attempt-status="204"]');
  expect(await page.textContent('#attempts')).not.toContain('null');
  await page.screenshot({ path: join(SHOTS, 'webhooks.png'), fullPage: true });

  // A narrow window: the page does not scroll sideways.
  await page.setViewportSize({ width: 380, height: 800 });
  await view(page, 'messages');
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(380);
  await page.screenshot({ path: join(SHOTS, 'narrow.png'), fullPage: true });

  // Signing out forgets the token.
  await page.click('#logout');
  expect(await page.isVisible('#login')).toBe(true);
  expect(await page.evaluate(() => sessionStorage.getItem('relaykit.adminToken'))).toBeNull();

  expect(problems).toEqual([]);
  expect(elsewhere).toEqual([]);
  await context.close();
}, 120_000);
