/**
 * An existing Elysia app (a small shop API) with Relaykit inside it: the app keeps its
 * own routes and state, and gets Relaykit's message store, WebSocket channels (`/ws`)
 * and SSE (`/stream/events`) on the same port.
 *
 * The one change to the app: instead of `app.listen(3000)`, the hub serves it
 * (`routes: () => shop`). The hub owns the server so it can swap plugins live and
 * accept native WebSockets; your routes are served next to the plugins' and survive
 * every swap.
 *
 *   bun examples/embed/app.ts
 */
import { fileURLToPath } from 'node:url';
import { Elysia, t } from 'elysia';
import { detectRuntime, Hub } from 'relaykit';
import { builtinPlugins } from 'relaykit/plugins';

interface Order {
  id: number;
  sku: string;
  qty: number;
  status: 'placed' | 'cancelled';
}

const orders = new Map<number, Order>();
let nextOrder = 1;
/** Set once the hub runs; the routes only use it while serving requests. */
let hub: Hub;

const OrderSchema = t.Object({
  id: t.Integer(),
  sku: t.String(),
  qty: t.Integer(),
  status: t.Union([t.Literal('placed'), t.Literal('cancelled')]),
});

/** The app as it was: its own routes, validation and OpenAPI details. */
export const shop = new Elysia({ name: 'shop', detail: { tags: ['shop'] } })
  .get('/', () => ({ app: 'shop', orders: '/shop/orders', websocket: '/ws', sse: '/stream/events' }), {
    detail: { summary: 'What this server offers' },
  })
  .get('/shop/orders', () => [...orders.values()], {
    response: t.Array(OrderSchema),
    detail: { summary: 'List orders' },
  })
  .post(
    '/shop/orders',
    async function placeOrder({ body, set }) {
      const order: Order = { id: nextOrder++, sku: body.sku, qty: body.qty, status: 'placed' };
      orders.set(order.id, order);
      // Stored in the hub's event log, then pushed to every /ws and /stream/events subscriber of `orders`.
      await hub.messages.send({ from: 'shop', channel: 'orders', type: 'order.placed', payload: order });
      set.status = 201;
      return order;
    },
    {
      parse: 'json',
      body: t.Object({ sku: t.String({ minLength: 1 }), qty: t.Integer({ minimum: 1 }) }),
      response: { 201: OrderSchema },
      detail: { summary: 'Place an order (announced on the `orders` channel)' },
    },
  );

hub = await Hub.start({
  plugins: builtinPlugins,
  runtime: await detectRuntime(),
  configPath: fileURLToPath(new URL('./relaykit.config.yaml', import.meta.url)),
  routes: () => shop,
});

// The app also listens: a client may ask to cancel over WebSocket or HTTP
// (`order.cancel` on `orders`); the shop answers on the same channel.
hub.bus.on('message.sent', async (message) => {
  if (message.channel !== 'orders' || message.type !== 'order.cancel') return;
  const order = orders.get(Number((message.payload as { id?: unknown })?.id));
  if (!order || order.status === 'cancelled') return;
  order.status = 'cancelled';
  await hub.messages.send({ from: 'shop', channel: 'orders', type: 'order.cancelled', payload: order });
});

console.log(`shop and relaykit listening on ${hub.url}`);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => hub.stop().then(() => process.exit(0)));
}
