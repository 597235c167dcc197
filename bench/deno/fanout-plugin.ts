/**
 * The WebSocket fan-out the benchmark measures, as a third-party plugin: every client
 * of `/bench/fanout` joins one topic, and every committed message is published to it
 * with `ctx.server.publish` (Bun's native pub/sub; the Deno adapter's topic map).
 */
import { definePlugin, Type, type WebSocketEndpoint } from 'relaykit';

const TOPIC = 'bench:fanout';

export default definePlugin({
  name: 'benchfanout',
  description: 'Publishes every committed message to every /bench/fanout WebSocket (benchmark)',
  options: Type.Object({}, { default: {} }),
  consumes: ['message.sent'],
  setup(ctx) {
    const endpoint: WebSocketEndpoint<null> = {
      path: '/bench/fanout',
      upgrade: () => null,
      handlers: {
        open: (ws) => ws.subscribe(TOPIC),
        message: () => {},
        close: () => {},
      },
    };
    return {
      start() {
        ctx.bus.on('message.sent', (message) => {
          ctx.server.publish(TOPIC, JSON.stringify(message));
        });
      },
      websockets: () => [endpoint as WebSocketEndpoint],
    };
  },
});
