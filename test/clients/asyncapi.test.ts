import { afterAll, beforeAll, expect, test } from 'bun:test';
import { Parser } from '@asyncapi/parser';
import { spawn } from 'bun';
import { ClientFrameTypes, CloseCodes, ServerFrameTypes, SseControlEvents } from '../../clients/realtime/src/wire.ts';
import { startTestHub, type TestHub } from '../helpers/hub.ts';
import { CLI } from '../helpers/process.ts';

const ADMIN = 'asyncapi-admin-token-of-32-characters';
let t: TestHub;
beforeAll(async () => {
  t = await startTestHub({ overrides: { auth: { adminToken: ADMIN } } });
});
afterAll(() => t.stop());

interface Doc {
  asyncapi: string;
  servers: Record<string, { host: string; protocol: string }>;
  channels: Record<string, { address: string; messages: Record<string, unknown>; 'x-close-codes'?: unknown }>;
  operations: Record<string, { action: string; messages: unknown[] }>;
  components: { messages: Record<string, { name: string }> };
}

async function served(): Promise<Doc> {
  const res = await t.request('/asyncapi.json');
  expect(res.status).toBe(200);
  return (await res.json()) as Doc;
}

/** Errors and warnings of @asyncapi/parser (infos and hints, such as "3.1.0 exists", are not failures). */
async function problems(document: unknown): Promise<string[]> {
  const { diagnostics } = await new Parser().parse(JSON.stringify(document));
  return diagnostics.filter((d) => d.severity <= 1).map((d) => `${d.code}: ${d.message} at ${d.path.join('.')}`);
}

test('/asyncapi.json is a valid AsyncAPI 3 document with every /ws frame, the SSE events, close codes and auth', async () => {
  const doc = await served();
  expect(await problems(doc)).toEqual([]);
  expect(doc.asyncapi).toBe('3.0.0');
  expect(doc.servers.websocket).toMatchObject({ protocol: 'ws', host: new URL(t.url).host });
  expect(doc.channels.ws?.address).toBe('/ws');
  expect(doc.channels.ws?.['x-close-codes']).toEqual(CloseCodes);
  const names = Object.values(doc.components.messages).map((m) => m.name);
  for (const type of [...ClientFrameTypes, ...ServerFrameTypes]) expect(names).toContain(type);
  expect(doc.operations.sendWsFrame?.messages).toHaveLength(ClientFrameTypes.length);
  expect(doc.operations.receiveWsFrame?.messages).toHaveLength(ServerFrameTypes.length);
  expect(doc.channels.stream?.address).toBe('/stream/events');
  expect(names).toEqual(expect.arrayContaining([SseControlEvents.connected, SseControlEvents.gap]));
});

test('the document follows plugin swaps: a disabled plugin takes its channels with it', async () => {
  const patch = (enabled: boolean) =>
    t.request('/admin/plugins/sse', { method: 'PATCH', json: { enabled }, token: ADMIN });
  expect((await patch(false)).status).toBe(200);
  const without = await served();
  expect(Object.keys(without.channels)).toEqual(['ws']);
  expect(without.servers.http).toBeUndefined();
  expect(await problems(without)).toEqual([]);
  expect((await patch(true)).status).toBe(200);
  expect(Object.keys((await served()).channels).sort()).toEqual(['stream', 'ws']);
});

test('`relaykit asyncapi` prints the same document, for localhost:3000', async () => {
  const proc = spawn(['bun', CLI, 'asyncapi'], {
    stdout: 'pipe',
    stderr: 'pipe',
    env: { ...process.env, NO_COLOR: '1' },
  });
  const [stdout, code] = await Promise.all([new Response(proc.stdout).text(), proc.exited]);
  expect(code).toBe(0);
  const printed = JSON.parse(stdout) as Doc;
  expect(printed.servers.websocket?.host).toBe('localhost:3000');
  const doc = await served();
  for (const server of Object.values(doc.servers)) server.host = 'localhost:3000';
  expect(printed).toEqual(doc);
}, 30_000);
