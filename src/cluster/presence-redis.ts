import { Redis, type RedisOptions } from 'ioredis';
import { PresenceBase, type PresenceEntry, type PresenceOptions } from './presence.ts';

export interface RedisPresenceOptions extends PresenceOptions {
  /** `redis://...` (`cluster.broker.url`). */
  url: string;
  /** Prepended to every key. Default `relaykit:`. */
  prefix?: string;
  redis?: RedisOptions;
}

/**
 * Presence in Redis (7.0 has no per-field expiry, so node liveness is kept apart):
 * - `<prefix>presence:nodes`: ZSET node id -> heartbeat expiry (epoch ms);
 * - `<prefix>presence:ch:<channel>`: HASH `[nodeId, clientId]` -> `{ data, joinedAt }`;
 * - `<prefix>presence:node:<nodeId>`: SET of `[channel, clientId]`, so a dead
 *   node's entries can be found and swept.
 * Readers filter entries by the live nodes of the ZSET, so a dead node stops
 * counting when its expiry passes, swept or not.
 */
export class RedisPresence extends PresenceBase {
  private readonly redis: Redis;
  private readonly prefix: string;

  constructor(options: RedisPresenceOptions) {
    super(options);
    this.prefix = `${options.prefix ?? 'relaykit:'}presence:`;
    this.redis = new Redis(options.url, options.redis ?? {});
    this.redis.on('error', () => {
      // Commands fail and are reported by their callers; ioredis reconnects by itself.
    });
  }

  protected async put(channel: string, entry: PresenceEntry): Promise<void> {
    await this.redis
      .multi()
      .hset(this.channelKey(channel), JSON.stringify([this.nodeId, entry.clientId]), JSON.stringify(entry))
      .sadd(this.nodeKey(this.nodeId), JSON.stringify([channel, entry.clientId]))
      .exec();
  }

  protected async remove(channel: string, clientId: string): Promise<void> {
    await this.redis
      .multi()
      .hdel(this.channelKey(channel), JSON.stringify([this.nodeId, clientId]))
      .srem(this.nodeKey(this.nodeId), JSON.stringify([channel, clientId]))
      .exec();
  }

  protected async read(channel: string, now: number): Promise<PresenceEntry[]> {
    const [entries, live] = await Promise.all([
      this.redis.hgetall(this.channelKey(channel)),
      this.redis.zrangebyscore(`${this.prefix}nodes`, `(${now}`, '+inf'),
    ]);
    const alive = new Set(live);
    return Object.values(entries)
      .map((text) => JSON.parse(text) as PresenceEntry)
      .filter((entry) => alive.has(entry.nodeId));
  }

  protected async beat(expiresAt: number): Promise<boolean> {
    const added = await this.redis.zadd(`${this.prefix}nodes`, expiresAt, this.nodeId);
    return added === 0;
  }

  protected async purge(now: number): Promise<number> {
    const dead = await this.redis.zrangebyscore(`${this.prefix}nodes`, '-inf', now);
    let deleted = 0;
    for (const node of dead) deleted += await this.deleteNode(node);
    return deleted;
  }

  protected async drop(): Promise<void> {
    try {
      await this.deleteNode(this.nodeId);
    } finally {
      await this.redis.quit().catch(() => {});
    }
  }

  private async deleteNode(node: string): Promise<number> {
    const members = await this.redis.smembers(this.nodeKey(node));
    const tx = this.redis.multi();
    for (const member of members) {
      const [channel, clientId] = JSON.parse(member) as [string, string];
      tx.hdel(this.channelKey(channel), JSON.stringify([node, clientId]));
    }
    tx.del(this.nodeKey(node)).zrem(`${this.prefix}nodes`, node);
    const results = (await tx.exec()) ?? [];
    return results.slice(0, members.length).reduce((sum, [, n]) => sum + Number(n ?? 0), 0);
  }

  private channelKey(channel: string): string {
    return `${this.prefix}ch:${channel}`;
  }

  private nodeKey(node: string): string {
    return `${this.prefix}node:${node}`;
  }
}
