import { afterAll, expect, test } from 'bun:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { launchChromium } from '../helpers/chromium.ts';
import { Command, readmeCommands } from './helpers.ts';

const dir = mkdtempSync(join(tmpdir(), 'relaykit-browser-'));
let hub: Command | null = null;
let browser: Browser | null = null;
afterAll(async () => {
  await browser?.close();
  await hub?.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('in headless Chromium the page shows every message over WebSocket and SSE, once each, across a hub restart', async () => {
  const [startHub] = readmeCommands('examples/browser/README.md', 'run');
  expect(startHub).toBe('bun run start --config examples/browser/relaykit.config.yaml');
  const env = { RELAYKIT_HOST: '127.0.0.1', RELAYKIT_PORT: '0', RELAYKIT_STORAGE_URL: `sqlite:${dir}/hub.db` };
  hub = new Command(startHub, { env });
  const url = await hub.readyUrl();

  browser = await launchChromium();
  const page = await browser.newPage({ viewport: { width: 1200, height: 640 } });
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`));
  page.on('console', (message) => {
    // While the hub restarts, the browser logs the refused reconnect attempts.
    if (message.type() === 'error' && !message.text().includes('net::ERR_CONNECTION_REFUSED')) {
      problems.push(`console: ${message.text()}`);
    }
  });
  await page.goto(`${url}/demo/`);
  await page.waitForSelector('#ws-status[data-state="open"]');
  await page.waitForSelector('#sse-status[data-state="open"]');

  const post = async (text: string) => {
    const res = await fetch(`${url}/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ channel: 'demo', type: 'chat.message', payload: { text } }),
    });
    expect(res.status).toBe(201);
    return ((await res.json()) as { id: number }).id;
  };
  const shown = (list: string) =>
    page.$$eval(`#${list} li[data-id]`, (items) =>
      items.map((li) => `${li.getAttribute('data-id')} ${li.querySelector('.data')?.textContent}`).reverse(),
    );

  const first = await post('hello from curl');
  await page.fill('#text', 'hi from the page');
  await page.press('#text', 'Enter');
  await page.waitForSelector(`#ws-events li[data-id="${first + 1}"]`);
  await page.waitForSelector(`#sse-events li[data-id="${first + 1}"]`);

  // Restart the hub under the open page; post as soon as it is back.
  expect(await hub.stop('SIGTERM')).toBe(0);
  await page.waitForSelector('#ws-status:not([data-state="open"])');
  // On the port the first start got, where the page reconnects (another process could
  // take it while the hub is down: rare, accepted).
  hub = new Command(startHub, { env: { ...env, RELAYKIT_PORT: new URL(url).port } });
  expect(await hub.readyUrl()).toBe(url);
  const third = await post('after the restart');
  await page.waitForSelector('#ws-status[data-state="open"]', { timeout: 15_000 });
  await page.waitForSelector(`#ws-events li[data-id="${third}"]`, { timeout: 15_000 });
  await page.waitForSelector(`#sse-events li[data-id="${third}"]`, { timeout: 15_000 });
  expect(await page.textContent('#ws-status')).toContain('resumed');

  const expected = [`${first} hello from curl`, `${first + 1} hi from the page`, `${third} after the restart`];
  expect(await shown('ws-events')).toEqual(expected);
  expect(await shown('sse-events')).toEqual(expected);
  expect(problems).toEqual([]);
  if (process.env.RELAYKIT_SCREENSHOT) await page.screenshot({ path: process.env.RELAYKIT_SCREENSHOT });
}, 60_000);
