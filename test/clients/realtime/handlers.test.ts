import { afterEach, expect, test } from 'bun:test';
import { RealtimeClient, type RealtimeError } from '../../../clients/realtime/src/index.ts';
import type { MessageInput } from '../../../src/messages/types.ts';
import { startTestHub, type TestHub, waitFor } from '../../helpers/hub.ts';

let t: TestHub | null = null;
let client: RealtimeClient<ShopEvents> | null = null;
afterEach(async () => {
  client?.close();
  await t?.stop();
  t = client = null;
});

interface ShopEvents {
  'order.created': { sku: string };
  'order.paid': { sku: string; amount: number };
  'note.left': { text: string };
}

test('handlers by type, by channel and for direct messages each get their events; one that throws is reported', async () => {
  t = await startTestHub();
  client = new RealtimeClient<ShopEvents>({ url: t.url, clientId: 'clerk' });
  const seen: string[] = [];
  const errors: RealtimeError[] = [];
  client.on('error', (e) => errors.push(e));
  client.onEvent('order.created', (e) => seen.push(`type:${e.data.sku}`));
  client.onEvent('*', (e) => seen.push(`any:${e.event}`));
  client.onDirect((e) => seen.push(`direct:${e.event}`));
  const orders = client.channel('orders');
  orders.on('order.paid', (e) => seen.push(`orders.paid:${e.data.amount}`));
  orders.on('*', () => {
    throw new Error('a broken handler');
  });
  const other = client.channel('other');
  const stopOther = other.on('*', (e) => seen.push(`other:${e.event}`));
  await client.connect();

  const send = (m: MessageInput) => t?.hub.messages.send(m);
  await send({ channel: 'orders', type: 'order.created', payload: { sku: 'A-1' } });
  await send({ channel: 'orders', type: 'order.paid', payload: { sku: 'A-1', amount: 5 } });
  await send({ to: 'clerk', type: 'note.left', payload: { text: 'hi' } });
  stopOther();
  await send({ channel: 'other', type: 'note.left', payload: { text: 'unheard' } });
  await waitFor(() => seen.filter((s) => s.startsWith('any:')).length === 4);

  expect(seen).toEqual([
    'type:A-1',
    'any:order.created',
    'any:order.paid',
    'orders.paid:5',
    'any:note.left',
    'direct:note.left',
    'any:note.left',
  ]);
  expect(errors.map((e) => [e.code, e.message])).toEqual([
    ['RELAYKIT_CLIENT_HANDLER_FAILED', 'a broken handler'],
    ['RELAYKIT_CLIENT_HANDLER_FAILED', 'a broken handler'],
  ]);
  expect(client.state).toBe('open');
});
