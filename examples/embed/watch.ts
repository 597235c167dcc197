/**
 * Watches the shop's `orders` channel over WebSocket with @relaykit/realtime and
 * prints every event; `--cancel` also asks the shop to cancel each order it sees placed.
 *
 *   bun examples/embed/watch.ts [--cancel]
 */
import { RealtimeClient } from '@relaykit/realtime';

interface OrderEvents {
  'order.placed': { id: number; sku: string; qty: number; status: string };
  'order.cancel': { id: number };
  'order.cancelled': { id: number; sku: string; qty: number; status: string };
}

const client = new RealtimeClient<OrderEvents>({ url: process.env.RELAYKIT_URL ?? 'http://localhost:3000' });
const orders = client.channel('orders');
orders.on('*', (e) => console.log(`${e.event} #${e.id} ${JSON.stringify(e.data)}`));
if (process.argv.includes('--cancel')) {
  orders.on('order.placed', (e) => {
    client.publish('orders', 'order.cancel', { id: e.data.id }).catch((error) => console.error(String(error)));
  });
}
client.on('connected', ({ reconnected }) => console.log(reconnected ? 'reconnected' : 'watching orders'));
await client.connect();
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    client.close();
    process.exit(0);
  });
}
