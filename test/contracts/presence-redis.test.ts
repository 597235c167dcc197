import { describe, test } from 'bun:test';
import { RedisPresence } from '../../src/cluster/presence-redis.ts';
import { createTestRedis } from '../helpers/redis.ts';
import { presenceContract } from './presence.contract.ts';

const redis = await createTestRedis(import.meta.path);

if (redis) {
  presenceContract('Redis HASH + ZSET (RedisPresence)', async () => {
    const prefix = `${redis.prefix}${crypto.randomUUID()}:`;
    return (options) => new RedisPresence({ ...options, url: redis.url, prefix });
  });
} else {
  describe('Presence contract: Redis', () => test.skip('Redis is not answering', () => {}));
}
