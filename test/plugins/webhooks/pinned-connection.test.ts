import { afterEach, describe, expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Server } from 'bun';
import { bunRuntime } from '../../../src/runtime/bun.ts';

const fixture = (name: string) => readFileSync(join(import.meta.dir, 'fixtures', name), 'utf8');
const hooksCert = fixture('hooks.test.crt');
const otherCert = fixture('other.test.crt');

let server: Server<undefined> | undefined;
afterEach(() => {
  server?.stop(true);
  server = undefined;
});

/**
 * RuntimeAdapter.fetchPinned: the webhooks SSRF guard connects to the address it
 * checked, while the request still names the URL's host (Host header, TLS SNI and
 * certificate check), and never follows a redirect.
 */
describe('pinned connections', () => {
  test('an http request goes to the given address and carries the URL host in Host, without resolving it', async () => {
    const hosts: string[] = [];
    server = Bun.serve({
      hostname: '127.0.0.1',
      port: 0,
      fetch(request) {
        hosts.push(request.headers.get('host') ?? '');
        return new Response('ok');
      },
    });
    // `.invalid` never resolves: the request can only have gone to the pinned address.
    const res = await bunRuntime.fetchPinned(`http://hooks.invalid:${server.port}/in`, '127.0.0.1', {
      method: 'POST',
      body: 'x',
    });
    expect(await res.text()).toBe('ok');
    expect(hosts).toEqual([`hooks.invalid:${server.port}`]);
  });

  test('https sends the URL host as SNI and checks the certificate against it, not against the address', async () => {
    // The server's default certificate is for other.test; it serves hooks.test's only when asked for it by SNI.
    server = Bun.serve({
      hostname: '127.0.0.1',
      port: 0,
      tls: [
        { cert: otherCert, key: fixture('other.test.key') },
        { cert: hooksCert, key: fixture('hooks.test.key'), serverName: 'hooks.test' },
      ],
      fetch: (request) => new Response(request.headers.get('host')),
    });
    const init = { method: 'POST', body: '{}', tls: { ca: [hooksCert, otherCert] } } as RequestInit;
    const res = await bunRuntime.fetchPinned(`https://hooks.test:${server.port}/`, '127.0.0.1', init);
    expect(await res.text()).toBe(`hooks.test:${server.port}`);

    const other = await bunRuntime.fetchPinned(`https://other.test:${server.port}/`, '127.0.0.1', init);
    expect(await other.text()).toBe(`other.test:${server.port}`);

    // A name the server has no certificate for fails verification.
    await expect(bunRuntime.fetchPinned(`https://third.test:${server.port}/`, '127.0.0.1', init)).rejects.toThrow();
  });

  test('a redirect is returned as is, never followed', async () => {
    let hits = 0;
    server = Bun.serve({
      hostname: '127.0.0.1',
      port: 0,
      fetch(request) {
        hits++;
        return new URL(request.url).pathname === '/start'
          ? Response.redirect(`http://127.0.0.1:${server?.port}/elsewhere`, 302)
          : new Response('followed');
      },
    });
    const res = await bunRuntime.fetchPinned(`http://127.0.0.1:${server.port}/start`, '127.0.0.1', {
      method: 'POST',
      redirect: 'follow',
    });
    expect(res.status).toBe(302);
    expect(hits).toBe(1);
  });
});
