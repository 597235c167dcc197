import { afterAll, beforeAll, expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { launchChromium } from '../../helpers/chromium.ts';
import { startTestHub, type TestHub } from '../../helpers/hub.ts';
import {
  consumerProject,
  INSTALL_TIMEOUT_MS,
  must,
  PACK_TIMEOUT_MS,
  packedTarballs,
  removeConsumers,
} from './packed.ts';

let t: TestHub;
let browser: Browser | null = null;
beforeAll(async () => {
  t = await startTestHub();
  await packedTarballs();
}, PACK_TIMEOUT_MS);
afterAll(async () => {
  await browser?.close();
  await t.stop();
  removeConsumers();
});

test(
  'a browser bundle of the installed packages runs in headless Chromium: REST, WebSocket and EventSource',
  async () => {
    const dir = await consumerProject('browser');
    await must(
      ['bun', 'build', 'browser.mjs', '--target', 'browser', '--format', 'esm', '--outfile', 'bundle.js'],
      dir,
    );
    const bundle = readFileSync(join(dir, 'bundle.js'), 'utf8');

    browser = await launchChromium([
      // The page is fulfilled by the test (page.route), which Chromium does not count as a loopback origin.
      '--disable-features=LocalNetworkAccessChecks',
    ]);
    const page = await browser.newPage();
    const problems: string[] = [];
    page.on('pageerror', (error) => problems.push(error.message));
    page.on('console', (message) => {
      // The scenario's getMessage of a missing id is answered 404 on purpose; the browser logs it.
      if (message.type() === 'error' && !message.text().includes('status of 404')) problems.push(message.text());
    });
    // The page is served from the hub's origin (the hub sends no CORS headers), its script is the bundle.
    await page.route(`${t.url}/consumer.html`, (route) =>
      route.fulfill({
        contentType: 'text/html',
        body: '<!doctype html><script type="module" src="/consumer.js"></script>',
      }),
    );
    await page.route(`${t.url}/consumer.js`, (route) =>
      route.fulfill({ contentType: 'text/javascript', body: bundle }),
    );
    await page.goto(`${t.url}/consumer.html`);
    await page.waitForFunction(() => (globalThis as { __result?: unknown }).__result !== undefined, null, {
      timeout: 20_000,
    });
    const result = (await page.evaluate(() => (globalThis as { __result?: unknown }).__result)) as Record<
      string,
      unknown
    >;

    expect(result.error).toBeUndefined();
    const event = {
      id: result.id,
      channel: 'pkg',
      event: 'packed',
      data: { runtime: 'browser' },
      from: 'browser',
      to: null,
    };
    expect(result.ws).toMatchObject(event);
    expect(result.sse).toMatchObject(event);
    expect(result.sseTransport).toBe('eventsource');
    expect(result.listed).toContain(result.id as number);
    expect(result.missingCode).toBe('RELAYKIT_ERR_MESSAGE_NOT_FOUND');
    expect(problems).toEqual([]);
  },
  INSTALL_TIMEOUT_MS,
);
