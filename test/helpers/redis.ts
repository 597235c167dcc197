/**
 * Redis for tests: one key prefix per test file, its keys deleted when the file ends.
 *
 * The server is `RELAYKIT_TEST_REDIS_URL` (default redis://127.0.0.1:6379, as .ci/run
 * starts it). When it does not answer: under `CI=true` the file fails; otherwise its
 * Redis tests are skipped and a loud banner says which.
 */
import { afterAll } from 'bun:test';
import { basename } from 'node:path';
import { Redis } from 'ioredis';

export const REDIS_URL = process.env.RELAYKIT_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

export interface TestRedis {
  url: string;
  /** `rk_cluster_<file>_<pid>:`; every key and channel of the file starts with it. */
  prefix: string;
}

let answering: Promise<boolean> | undefined;

/** Whether the test server answers (asked once per process, 3 s at most). */
export function redisAvailable(): Promise<boolean> {
  answering ??= (async () => {
    const redis = new Redis(REDIS_URL, { lazyConnect: true, connectTimeout: 3000, maxRetriesPerRequest: 0 });
    redis.on('error', () => {});
    try {
      await redis.connect();
      return (await redis.ping()) === 'PONG';
    } catch {
      return false;
    } finally {
      redis.disconnect();
    }
  })();
  return answering;
}

/** A key prefix for the calling test file (`import.meta.path`), or null (skip) when Redis is not answering outside CI. */
export async function createTestRedis(file: string, prefix = 'rk_cluster_'): Promise<TestRedis | null> {
  if (!(await redisAvailable())) {
    if (process.env.CI === 'true')
      throw new Error(`Redis is not answering at ${REDIS_URL}, and CI must run ${basename(file)}`);
    const line = '!'.repeat(100);
    console.warn(
      `\n${line}\n!! SKIPPED: the Redis tests of ${basename(file)} did not run: nothing answers at ${REDIS_URL}.\n` +
        `!! Start Redis (bash .ci/run does) or set RELAYKIT_TEST_REDIS_URL. Under CI=true this fails.\n${line}\n`,
    );
    return null;
  }
  const slug = basename(file)
    .replace(/\.test\.ts$/, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_');
  const db: TestRedis = { url: REDIS_URL, prefix: `${prefix}${slug}_${process.pid}:` };
  afterAll(() => deleteKeys(db.prefix));
  return db;
}

async function deleteKeys(prefix: string): Promise<void> {
  const redis = new Redis(REDIS_URL);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
      if (keys.length) await redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}
