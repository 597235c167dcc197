import { describe, expect, test } from 'bun:test';
import { createServer, Socket as NetSocket, type Socket } from 'node:net';
import { RedisBroker } from '../../src/cluster/broker-redis.ts';
import { createTestRedis } from '../helpers/redis.ts';
import { brokerContract } from './broker.contract.ts';

const redis = await createTestRedis(import.meta.path);

if (redis) {
  brokerContract('Redis pub/sub (RedisBroker)', async ({ onError }) => {
    const options = { url: redis.url, prefix: `${redis.prefix}${crypto.randomUUID()}:`, onError };
    return [new RedisBroker(options), new RedisBroker(options)];
  });

  describe('RedisBroker shutdown', () => {
    test('a broker cut off from Redis still closes: a stopping node does not wait for Redis to come back', async () => {
      // A TCP proxy in front of Redis that the test cuts.
      const sockets = new Set<Socket>();
      const target = new URL(redis.url);
      const proxy = createServer((client) => {
        const upstream = new NetSocket();
        upstream.connect(Number(target.port || 6379), target.hostname);
        client.pipe(upstream).pipe(client);
        for (const s of [client, upstream]) {
          sockets.add(s);
          s.on('error', () => {});
          s.on('close', () => sockets.delete(s));
        }
      });
      await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
      const port = (proxy.address() as { port: number }).port;
      const broker = new RedisBroker({
        url: `redis://127.0.0.1:${port}`,
        prefix: `${redis.prefix}${crypto.randomUUID()}:`,
        onError: () => {},
      });
      await broker.ready();
      await broker.ping();
      // The path to Redis goes away: no new connections, the open ones cut.
      const stopped = new Promise<void>((resolve) => proxy.close(() => resolve()));
      for (const s of sockets) s.destroy();
      await stopped;
      // ioredis notices and starts reconnecting (commands would now wait in its offline queue).
      while (broker.subscriber.status === 'ready') await new Promise((r) => broker.subscriber.once('close', r));
      const outcome = await Promise.race([
        broker.close().then(() => 'closed'),
        new Promise((resolve) => setTimeout(() => resolve('still waiting after 5 s'), 5000)),
      ]);
      expect(outcome).toBe('closed');
    });
  });
} else {
  describe('Broker contract: Redis pub/sub (RedisBroker)', () => test.skip('Redis is not answering', () => {}));
}
