/**
 * Three `relaykit start` nodes on one PostgreSQL database with `cluster.broker.url`:
 * the live feed rides Redis pub/sub (one publish per commit batch, after the commit).
 * The nodes' Redis connections are killed mid-load (publishes meanwhile are lost)
 * and a node is SIGKILLed (its last publishes may never leave); every subscriber on
 * every node still gets every message once, in order.
 */
import { expect, test } from 'bun:test';
import { Redis } from 'ioredis';
import { createTestDatabase } from '../helpers/postgres.ts';
import { createTestRedis } from '../helpers/redis.ts';
import { runClusterScenario } from './scenario.ts';

const db = await createTestDatabase(import.meta.path, '', 'rk_cluster_');
const redis = await createTestRedis(import.meta.path);

test.skipIf(!db || !redis)(
  'nodes on PostgreSQL with a Redis broker act as one hub: dense ids, nothing acknowledged lost, every subscriber complete and in order across lost publishes and a node kill',
  async () => {
    if (!db || !redis) return;
    await runClusterScenario({
      storageUrl: db.url(),
      clusterYaml: `  broker:\n    url: ${redis.url}\n    prefix: "${redis.prefix}"`,
      dropPublishes: async () => {
        // Only this test's nodes: their connections are named relaykit-<node id>, node ids are unique to the file.
        const admin = new Redis(redis.url);
        try {
          const list = (await admin.client('LIST')) as string;
          const ids = list
            .split('\n')
            .filter(
              (line) =>
                new RegExp(` name=relaykit-node-\\d-\\w+-${process.pid} `).test(line) && line.includes(' sub=1 '),
            )
            .map((line) => /(?:^|\s)id=(\d+)/.exec(line)?.[1])
            .filter((id): id is string => Boolean(id));
          expect(ids.length).toBeGreaterThan(0);
          for (const id of ids) await admin.client('KILL', 'ID', id);
        } finally {
          admin.disconnect();
        }
      },
    });
  },
  120_000,
);
