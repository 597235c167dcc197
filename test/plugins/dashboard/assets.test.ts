/**
 * The dashboard's page and assets are embedded gzipped: a client that accepts gzip gets
 * them as stored, one that refuses it gets them decoded on the hub (which loads
 * `node:zlib` only then, never at start).
 */
import { afterAll, beforeAll, expect, test } from 'bun:test';
import { startTestHub, type TestHub } from '../../helpers/hub.ts';

let hub: TestHub;
beforeAll(async () => {
  hub = await startTestHub();
});
afterAll(() => hub.stop());

test('the page comes gzipped to a client that accepts gzip', async () => {
  const page = await fetch(`${hub.url}/dashboard`, { headers: { 'accept-encoding': 'gzip' }, decompress: false });
  expect(page.status).toBe(200);
  expect(page.headers.get('content-encoding')).toBe('gzip');
  expect(page.headers.get('vary')).toBe('accept-encoding');
  expect(new TextDecoder().decode(Bun.gunzipSync(new Uint8Array(await page.arrayBuffer())))).toContain('<html');
});

test('the page comes decoded to a client that refuses gzip', async () => {
  const page = await fetch(`${hub.url}/dashboard`, { headers: { 'accept-encoding': 'identity' } });
  expect(page.status).toBe(200);
  expect(page.headers.get('content-encoding')).toBeNull();
  expect(page.headers.get('content-type')).toStartWith('text/html');
  expect(await page.text()).toContain('<html');
  expect((await fetch(`${hub.url}/dashboard/assets/nope.js`)).status).toBe(404);
});
