/**
 * The OpenAPI page and document are answered by a documentation app the serving app
 * builds on the first request for either path (src/kernel/docs.ts). For clients this
 * must look exactly like serving them directly: GET and HEAD agree, the document is
 * the same on every request, and the two documentation paths stay out of it.
 */
import { afterEach, expect, test } from 'bun:test';
import { startTestHub, type TestHub } from '../helpers/hub.ts';

let t: TestHub | undefined;
afterEach(async () => {
  await t?.stop();
  t = undefined;
});

test('GET and HEAD of /openapi and /openapi/json agree, and the document is the same every time', async () => {
  t = await startTestHub();
  for (const path of ['/openapi', '/openapi/json']) {
    const get = await t.request(path);
    expect(get.status).toBe(200);
    const body = new Uint8Array(await get.arrayBuffer());
    expect(body.length).toBeGreaterThan(1000);
    const head = await t.request(path, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-type')).toBe(get.headers.get('content-type'));
    expect(Number(head.headers.get('content-length'))).toBe(body.length);
    expect(await head.text()).toBe('');
  }
  const first = await (await t.request('/openapi/json')).text();
  const second = await (await t.request('/openapi/json')).text();
  expect(second).toBe(first);
  const document = JSON.parse(first) as { paths: Record<string, unknown> };
  expect(Object.keys(document.paths)).toContain('/messages/{id}');
  expect(Object.keys(document.paths).filter((path) => path.startsWith('/openapi'))).toEqual([]);
});
