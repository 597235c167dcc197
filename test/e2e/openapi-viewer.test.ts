/**
 * The API reference at /openapi renders from the viewer bundled with the hub: in
 * headless Chromium whose network reaches only the hub, on every runtime.
 */
import { afterAll, expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import type { Browser } from 'playwright-core';
import { GENERATED, renderViewer } from '../../scripts/embed-viewer.ts';
import { launchChromium } from '../helpers/chromium.ts';
import { forEachRuntime, startHub } from './harness.ts';

let browser: Browser | null = null;
afterAll(async () => {
  await browser?.close();
});

async function launch(): Promise<Browser> {
  browser ??= await launchChromium();
  return browser;
}

test('the embedded viewer is exactly the pinned swagger-ui-dist (else: bun run viewer:embed)', () => {
  expect(readFileSync(GENERATED, 'utf8') === renderViewer()).toBe(true);
});

forEachRuntime('API reference page', (runtime) => {
  test('renders every operation offline, asking nothing of any other host', async () => {
    const hub = await startHub(runtime);
    const context = await (await launch()).newContext({ viewport: { width: 1200, height: 800 } });
    try {
      const origin = new URL(hub.url).origin;
      const elsewhere: string[] = [];
      // The network reaches only the hub: anything else is recorded and refused.
      await context.route('**/*', (route) => {
        const url = route.request().url();
        if (new URL(url).origin === origin) return route.continue();
        elsewhere.push(url);
        return route.abort('blockedbyclient');
      });
      const page = await context.newPage();
      const problems: string[] = [];
      page.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`));
      page.on('console', (message) => {
        if (message.type() === 'error') problems.push(`console: ${message.text()}`);
      });
      const res = await page.goto(`${hub.url}/openapi`);
      expect(res?.status()).toBe(200);
      await page.waitForSelector('.opblock-summary-path', { timeout: 20_000 });
      expect(await page.textContent('.info .title')).toContain('Relaykit');
      const paths = await page.$$eval('.opblock-summary-path', (els) => els.map((e) => e.textContent?.trim()));
      expect(paths).toEqual(
        expect.arrayContaining(['/messages', '/messages/{id}', '/admin/plugins', '/stream/events']),
      );
      const doc = (await (await hub.request('/openapi/json')).json()) as {
        paths: Record<string, object>;
        webhooks: Record<string, object>;
      };
      // Every operation and every outgoing webhook is rendered.
      const count = (items: Record<string, object>) =>
        Object.values(items).reduce((n, item) => n + Object.keys(item).length, 0);
      expect(Object.keys(doc.webhooks)).toContain('message.sent');
      expect(paths.length).toBe(count(doc.paths) + count(doc.webhooks));
      expect(elsewhere).toEqual([]);
      expect(problems).toEqual([]);
    } finally {
      await context.close();
      await hub.dispose();
    }
  }, 60_000);

  test('assets come gzipped when asked, plain otherwise; the page forbids other origins', async () => {
    const hub = await startHub(runtime);
    try {
      const page = await hub.request('/openapi');
      expect(page.headers.get('content-security-policy')).toContain("default-src 'none'");
      expect(page.headers.get('content-security-policy')).toContain("connect-src 'self'");
      expect(await page.text()).not.toMatch(/https?:\/\//);
      const plain = await fetch(`${hub.url}/openapi/assets/swagger-ui.css`, {
        headers: { 'accept-encoding': 'identity' },
      });
      expect(plain.status).toBe(200);
      expect(plain.headers.get('content-type')).toStartWith('text/css');
      expect(await plain.text()).toContain('.swagger-ui');
      expect((await hub.request('/openapi/assets/nope.js')).status).toBe(404);
    } finally {
      await hub.dispose();
    }
  });
});
