/**
 * The audit's fuzzing, in CI: fast-check drives every operation of the live OpenAPI
 * document with bounded random input (path parameters, query strings, headers,
 * bodies: random JSON, deep nesting, huge numbers, bytes that are not JSON, wrong
 * content types) and random WebSocket frames. Whatever it sends: never a 5xx, every
 * 4xx is a JSON error with a code, a rejected request changes nothing, and the hub
 * still answers its liveness probe quickly. On Bun and Deno.
 */
import { afterAll, beforeAll, expect, test } from 'bun:test';
import fc from 'fast-check';
import { type E2EHub, forEachRuntime, startHub, waitFor } from './harness.ts';

const ADMIN = 'e2e-fuzz-admin-token-0123';
const KEY = 'e2e-fuzz-key-0123456789';
const CONFIG = `watch: false
auth:
  adminToken: ${ADMIN}
  apiKeys:
    - { name: fuzz, env: FUZZ_KEY, scopes: { publish: ["*"], read: ["*"], to: ["*"] } }
plugins:
  webhooks:
    security: { allowNetworks: ["127.0.0.0/8"] }
`;
const RUNS = Number(process.env.RELAYKIT_FUZZ_RUNS ?? 400);

interface Operation {
  method: string;
  path: string;
  query: string[];
}

/** Strings that have broken parsers before: coercion, encodings, huge and odd numbers. */
const nasty = fc.constantFrom(
  '0x10',
  '1e999',
  '-1',
  '9007199254740993',
  '%00',
  '..%2F..%2Fetc',
  '\u0000',
  '\ud800',
  '*'.repeat(40),
  'a'.repeat(5000),
  'null',
  '[]',
  '{}',
  'true',
);
const text = fc.oneof(fc.string({ maxLength: 40 }), nasty, fc.integer().map(String));

/** Deeply nested arrays and objects, the Bun event-loop killer of the audit. */
const deep = fc
  .integer({ min: 1, max: 3000 })
  .chain((depth) =>
    fc.constantFrom('['.repeat(depth) + ']'.repeat(depth), `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`),
  );

const body = fc.oneof(
  fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)),
  fc
    .record(
      {
        channel: text,
        to: text,
        from: text,
        type: text,
        payload: fc.oneof(fc.jsonValue({ maxDepth: 3 }), fc.constant('1e999')),
        ttl: fc.oneof(fc.integer(), fc.double()),
        url: fc.oneof(fc.webUrl(), text),
        events: fc.array(text, { maxLength: 3 }),
        name: text,
        enabled: fc.boolean(),
        options: fc.dictionary(fc.string({ maxLength: 10 }), fc.jsonValue({ maxDepth: 2 })),
      },
      { requiredKeys: [] },
    )
    .map((v) => JSON.stringify(v)),
  deep,
  fc.constantFrom('{"payload": 1e999, "type": "t", "channel": "c"}', '{"type":"t","channel":"c","payload":"\\ud800"}'),
  fc.string({ maxLength: 200 }),
  fc.constant(''),
);

const request = (operations: Operation[]) =>
  fc.record({
    operation: fc.constantFrom(...operations),
    params: fc.array(text, { minLength: 4, maxLength: 4 }),
    query: fc.array(fc.tuple(fc.oneof(fc.string({ maxLength: 12 }), fc.constant('')), text), { maxLength: 4 }),
    declared: fc.array(text, { minLength: 6, maxLength: 6 }),
    token: fc.constantFrom(undefined, ADMIN, KEY, 'not-a-token', 'eyJhbGciOiJub25lIn0.e30.'),
    contentType: fc.constantFrom(
      'application/json',
      undefined,
      'text/plain',
      'application/x-www-form-urlencoded',
      'application/json; charset=utf-16',
      'multipart/form-data; boundary=x',
    ),
    body,
    extraHeader: fc.option(fc.tuple(fc.constantFrom('x-request-id', 'last-event-id', 'origin', 'cookie'), text)),
  });

type Sample = fc.Arbitrary<ReturnType<typeof request> extends fc.Arbitrary<infer T> ? T : never>;

/** What a rejected request must leave as it was: messages, keys, endpoints, plugin states. */
async function fingerprint(hub: E2EHub): Promise<string> {
  const get = async (path: string) => (await hub.request(path, { token: ADMIN })).text();
  const messages = (await (await hub.request('/messages?limit=1000', { token: ADMIN })).json()) as {
    messages: unknown[];
  };
  const plugins = (await (await hub.request('/admin/plugins', { token: ADMIN })).json()) as Array<{
    name: string;
    state: string;
    options: unknown;
  }>;
  return JSON.stringify([
    messages.messages,
    await get('/admin/keys'),
    await get('/webhooks/endpoints'),
    plugins.map((p) => [p.name, p.state, p.options]),
  ]);
}

/** Percent-encodes anything, lone surrogates included (as the raw bytes a client could send). */
function encode(value: string): string {
  try {
    return encodeURIComponent(value);
  } catch {
    const wellFormed = value.replace(
      /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g,
      '\ufffd',
    );
    return encodeURIComponent(wellFormed).replaceAll('%EF%BF%BD', '%ED%A0%80');
  }
}

function urlOf(hub: E2EHub, sample: ReturnType<Sample['generate']>['value']): string {
  const { operation, params, query, declared } = sample;
  let i = 0;
  const path = operation.path.replace(/\{[^}]+\}/g, () => encode(params[i++ % params.length]));
  const pairs = operation.query.map((name, j) => [name, declared[j % declared.length]]);
  const qs = [...pairs, ...query].map(([name, value]) => `${encode(name)}=${encode(value)}`).join('&');
  return `${hub.url}${path}${qs ? `?${qs}` : ''}`;
}

forEachRuntime(
  'fuzzing the HTTP API and WebSocket frames',
  (runtime) => {
    let hub: E2EHub;
    let operations: Operation[] = [];
    beforeAll(async () => {
      hub = await startHub(runtime, { config: CONFIG, env: { FUZZ_KEY: KEY } });
      const doc = (await (await hub.request('/openapi/json')).json()) as {
        paths: Record<string, Record<string, { parameters?: Array<{ in: string; name: string }> }>>;
      };
      for (const [path, methods] of Object.entries(doc.paths)) {
        for (const [method, op] of Object.entries(methods)) {
          if (!['get', 'post', 'put', 'patch', 'delete'].includes(method)) continue;
          const query = (op.parameters ?? []).filter((p) => p.in === 'query').map((p) => p.name);
          operations.push({ method: method.toUpperCase(), path, query });
        }
      }
      // Shutdown and reload are operations too, but the point here is input, not lifecycle.
      operations = operations.filter((o) => !['/admin/reload'].includes(o.path));
    });
    afterAll(() => hub.dispose());

    test('random requests on every operation: no 5xx, JSON 4xx errors, nothing changed on rejection', async () => {
      expect(operations.length).toBeGreaterThan(20);
      let before = await fingerprint(hub);
      const statuses = new Map<number, number>();
      await fc.assert(
        fc.asyncProperty(request(operations), async (sample) => {
          const headers = new Headers();
          if (sample.token) headers.set('authorization', `Bearer ${sample.token}`);
          if (sample.extraHeader) {
            try {
              headers.set(sample.extraHeader[0], sample.extraHeader[1]);
            } catch {
              // Not a legal header value: fetch would refuse to send it.
            }
          }
          const withBody = !['GET', 'DELETE'].includes(sample.operation.method);
          if (withBody && sample.contentType) headers.set('content-type', sample.contentType);
          const abort = new AbortController();
          const res = await fetch(urlOf(hub, sample), {
            method: sample.operation.method,
            headers,
            signal: abort.signal,
            ...(withBody ? { body: sample.body } : {}),
          });
          statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
          const type = res.headers.get('content-type') ?? '';
          if (type.startsWith('text/event-stream')) {
            abort.abort();
            return;
          }
          const raw = await res.text();
          expect(res.status, `${sample.operation.method} ${sample.operation.path}: ${raw.slice(0, 300)}`).toBeLessThan(
            500,
          );
          if (res.status >= 400) {
            expect(type).toContain('json');
            const error = (JSON.parse(raw) as { error?: { code?: string } }).error;
            expect(error?.code).toMatch(/^RELAYKIT_ERR_/);
            const after = await fingerprint(hub);
            expect(after, `${sample.operation.method} ${sample.operation.path} ${res.status} changed state`).toBe(
              before,
            );
          } else {
            before = await fingerprint(hub);
          }
        }),
        { numRuns: RUNS },
      );
      // Bad input was mostly refused, as it should be.
      const refused = [...statuses].filter(([s]) => s >= 400).reduce((n, [, c]) => n + c, 0);
      expect(refused).toBeGreaterThan(RUNS / 2);
      const started = performance.now();
      expect((await hub.request('/health/live')).status).toBe(200);
      expect(performance.now() - started).toBeLessThan(1000);
    }, 120_000);

    test('random WebSocket frames: errors or a Relaykit close code, never an internal error, and the hub answers', async () => {
      const frame = fc.oneof(
        fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)),
        fc
          .record(
            {
              type: fc.constantFrom('auth', 'subscribe', 'unsubscribe', 'ping', 'get_subscriptions', 'publish', 'x'),
              id: fc.oneof(text, fc.integer(), fc.double()),
              channels: fc.oneof(fc.array(text, { maxLength: 3 }), text),
              channel: text,
              since: fc.oneof(fc.integer(), text),
              token: text,
              payload: fc.jsonValue({ maxDepth: 3 }),
              to: text,
            },
            { requiredKeys: ['type'] },
          )
          .map((v) => JSON.stringify(v)),
        deep,
        fc.string({ maxLength: 100 }),
        fc.uint8Array({ maxLength: 64 }),
      );
      await fc.assert(
        fc.asyncProperty(fc.array(frame, { minLength: 1, maxLength: 6 }), async (frames) => {
          const ws = new WebSocket(`${hub.url.replace('http', 'ws')}/ws?token=${KEY}`);
          let closed: number | null = null;
          const replies: string[] = [];
          ws.onmessage = (e) => replies.push(String(e.data));
          ws.onclose = (e) => {
            closed = e.code;
          };
          await waitFor(() => ws.readyState === WebSocket.OPEN || closed !== null, 5000, 'the socket to open');
          for (const f of frames) if (ws.readyState === WebSocket.OPEN) ws.send(f);
          if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify({ type: 'ping', id: 'last' }));
          await waitFor(() => closed !== null || replies.some((r) => r.includes('"last"')), 5000, 'a pong or a close');
          expect(closed === null || closed === 1000 || closed === 1009 || (closed >= 4000 && closed < 5000)).toBe(true);
          for (const reply of replies) expect(reply).not.toContain('RELAYKIT_ERR_INTERNAL');
          ws.close();
        }),
        { numRuns: Math.ceil(RUNS / 3) },
      );
      expect((await hub.request('/health/live')).status).toBe(200);
    }, 120_000);
  },
  ['sqlite'],
);
