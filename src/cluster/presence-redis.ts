import { Redis, type RedisOptions } from 'ioredis';
import { PresenceBase, type PresenceEntry, type PresenceKey, type PresenceOptions } from './presence.ts';
import { endConnection } from './redis-connection.ts';

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
 * counting when its expiry passes, swept or not. Writes that add or delete
 * entries run as Lua scripts, so whether one occupied or vacated its channel
 * (the HASH's length went from or to 0) is decided atomically with it.
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

  protected async put(channel: string, entry: PresenceEntry): Promise<boolean> {
    const occupied = await this.redis.eval(
      PUT_SCRIPT,
      2,
      this.channelKey(channel),
      this.nodeKey(this.nodeId),
      JSON.stringify([this.nodeId, entry.clientId]),
      JSON.stringify(entry),
      JSON.stringify([channel, entry.clientId]),
    );
    return occupied === 1;
  }

  protected async remove(channel: string, clientId: string): Promise<boolean> {
    const vacated = await this.redis.eval(
      REMOVE_SCRIPT,
      2,
      this.channelKey(channel),
      this.nodeKey(this.nodeId),
      JSON.stringify([this.nodeId, clientId]),
      JSON.stringify([channel, clientId]),
    );
    return vacated === 1;
  }

  protected async read(channel: string, now: number): Promise<PresenceEntry[]> {
    const [entries, alive] = await Promise.all([this.redis.hgetall(this.channelKey(channel)), this.liveNodes(now)]);
    return Object.values(entries)
      .map((text) => JSON.parse(text) as PresenceEntry)
      .filter((entry) => alive.has(entry.nodeId));
  }

  protected async readPrefix(prefix: string, now: number): Promise<PresenceKey[]> {
    const alive = await this.liveNodes(now);
    const keyPrefix = this.channelKey('');
    const found: PresenceKey[] = [];
    let cursor = '0';
    do {
      const [next, keys] = await this.redis.scan(cursor, 'MATCH', `${globEscape(keyPrefix + prefix)}*`, 'COUNT', 500);
      cursor = next;
      for (const key of keys) {
        const channel = key.slice(keyPrefix.length);
        for (const field of await this.redis.hkeys(key)) {
          const [nodeId, clientId] = JSON.parse(field) as [string, string];
          if (alive.has(nodeId)) found.push({ channel, nodeId, clientId });
        }
      }
    } while (cursor !== '0');
    return found;
  }

  protected async beat(expiresAt: number): Promise<boolean> {
    const added = await this.redis.zadd(`${this.prefix}nodes`, expiresAt, this.nodeId);
    return added === 0;
  }

  protected async purge(now: number): Promise<{ deleted: number; vacated: string[] }> {
    const dead = await this.redis.zrangebyscore(`${this.prefix}nodes`, '-inf', now);
    let deleted = 0;
    const vacated: string[] = [];
    for (const node of dead) {
      const result = await this.deleteNode(node, now);
      deleted += result.deleted;
      vacated.push(...result.vacated);
    }
    return { deleted, vacated };
  }

  protected async drop(): Promise<string[]> {
    try {
      return (await this.deleteNode(this.nodeId, Number.MAX_SAFE_INTEGER)).vacated;
    } finally {
      await endConnection(this.redis);
    }
  }

  private async liveNodes(now: number): Promise<Set<string>> {
    return new Set(await this.redis.zrangebyscore(`${this.prefix}nodes`, `(${now}`, '+inf'));
  }

  /**
   * Deletes a node's entries in chunks (each chunk one script), then its heartbeat
   * when it still expires by `until` (a node that beat meanwhile keeps it). Two
   * sweepers deleting one node: each entry is deleted, and counted, by one of them.
   */
  private async deleteNode(node: string, until: number): Promise<{ deleted: number; vacated: string[] }> {
    const members = await this.redis.smembers(this.nodeKey(node));
    let deleted = 0;
    const vacated: string[] = [];
    for (let i = 0; i < members.length || i === 0; i += DELETE_CHUNK) {
      const chunk = members.slice(i, i + DELETE_CHUNK).map((m) => JSON.parse(m) as [string, string]);
      const last = i + DELETE_CHUNK >= members.length;
      const keys = [`${this.prefix}nodes`, this.nodeKey(node), ...chunk.map(([channel]) => this.channelKey(channel))];
      const args = [
        node,
        last ? String(until) : '',
        ...chunk.flatMap(([channel, clientId]) => [
          JSON.stringify([node, clientId]),
          JSON.stringify([channel, clientId]),
        ]),
      ];
      const [n, emptied] = (await this.redis.eval(DELETE_SCRIPT, keys.length, ...keys, ...args)) as [number, number[]];
      deleted += n;
      for (const index of emptied) vacated.push(chunk[index][0]);
    }
    return { deleted, vacated };
  }

  private channelKey(channel: string): string {
    return `${this.prefix}ch:${channel}`;
  }

  private nodeKey(node: string): string {
    return `${this.prefix}node:${node}`;
  }
}

const DELETE_CHUNK = 500;

/** KEYS: channel hash, node set. ARGV: field, entry, member. Returns 1 when the hash was empty before. */
const PUT_SCRIPT = `
local before = redis.call('HLEN', KEYS[1])
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('SADD', KEYS[2], ARGV[3])
if before == 0 then return 1 end
return 0`;

/** KEYS: channel hash, node set. ARGV: field, member. Returns 1 when it deleted the hash's last field. */
const REMOVE_SCRIPT = `
local removed = redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('SREM', KEYS[2], ARGV[2])
if removed == 1 and redis.call('HLEN', KEYS[1]) == 0 then return 1 end
return 0`;

/**
 * KEYS: nodes zset, node set, then one channel hash per entry. ARGV: node id, the
 * expiry bound below which its heartbeat is removed ('' to keep it), then field
 * and member per entry. Returns { entries deleted, 0-based indexes of the entries
 * whose deletion emptied their channel }.
 */
const DELETE_SCRIPT = `
local deleted = 0
local emptied = {}
for i = 3, #KEYS do
  local at = (i - 3) * 2 + 3
  local removed = redis.call('HDEL', KEYS[i], ARGV[at])
  redis.call('SREM', KEYS[2], ARGV[at + 1])
  if removed == 1 then
    deleted = deleted + 1
    if redis.call('HLEN', KEYS[i]) == 0 then table.insert(emptied, i - 3) end
  end
end
if ARGV[2] ~= '' then
  local score = redis.call('ZSCORE', KEYS[1], ARGV[1])
  if score and tonumber(score) <= tonumber(ARGV[2]) then redis.call('ZREM', KEYS[1], ARGV[1]) end
end
return { deleted, emptied }`;

/** Escapes the glob characters of a SCAN pattern. */
function globEscape(text: string): string {
  return text.replace(/[*?[\]\\]/g, '\\$&');
}
