import { describe, test } from 'bun:test';
import { RedisBroker } from '../../src/cluster/broker-redis.ts';
import { createTestRedis } from '../helpers/redis.ts';
import { brokerContract } from './broker.contract.ts';

const redis = await createTestRedis(import.meta.path);

if (redis) {
  brokerContract('Redis pub/sub (RedisBroker)', async ({ onError }) => {
    const options = { url: redis.url, prefix: `${redis.prefix}${crypto.randomUUID()}:`, onError };
    return [new RedisBroker(options), new RedisBroker(options)];
  });
} else {
  describe('Broker contract: Redis pub/sub (RedisBroker)', () => test.skip('Redis is not answering', () => {}));
}
