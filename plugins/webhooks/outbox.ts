import { and, count, eq, gte, lte, min, type SQL, sql } from 'drizzle-orm';
import type { Clock } from '../../src/kernel/clock.ts';
import { nodeCrypto } from '../../src/kernel/node-crypto.ts';
import type { PluginStorage } from '../../src/kernel/plugin.ts';
import type { Message } from '../../src/messages/types.ts';
import type { Database, Tx } from '../../src/storage/storage.ts';
import type { CachedEndpoint, EndpointStore } from './endpoints.ts';
import type { EventCache } from './event-cache.ts';
import { envelopeBody } from './formats.ts';
import { type FailureReason, isPending } from './schema.ts';
import type { WebhookTables } from './tables.ts';

/** One event ready to be written with its deliveries. */
interface Capture {
  type: string;
  timestamp: string;
  data: unknown;
  messageId: number | null;
  endpoints: readonly CachedEndpoint[];
  /** Set for cluster-scoped events: every node capturing the same event computes the same key. */
  dedupeKey?: string;
}

/**
 * Events about the cluster as a whole, which several nodes may see and capture: they
 * are written once per cluster, deduplicated by a key derived from the event's name
 * and payload (the unique `webhook_events.dedupe_key`). Contract for whoever publishes
 * them on several nodes: the payload is the same on each (the same `at`).
 */
export const CLUSTER_SCOPED_EVENTS: ReadonlySet<string> = new Set(['channel.occupied', 'channel.vacated']);

/** The key that tells one cluster-scoped event from another, identical on every node. */
export function dedupeKeyOf(name: string, payload: unknown): string {
  return `${name}:${nodeCrypto()
    .createHash('sha256')
    .update(JSON.stringify(payload ?? null))
    .digest('base64url')}`;
}

/** Rows per INSERT, well under SQLite's bound-parameter limit. */
const INSERT_CHUNK = 500;

/**
 * The transactional outbox: events and their deliveries, written in the transaction
 * of whatever produced them (the worker claims them through DeliveryQueue), and the
 * admin operations on them.
 */
export class Outbox {
  constructor(
    private readonly storage: PluginStorage,
    private readonly t: WebhookTables,
    private readonly clock: Clock,
    private readonly endpoints: EndpointStore,
    private readonly cache: EventCache,
  ) {}

  /** Writes deliveries for committed-in-this-transaction messages (the message hook). */
  async captureMessages(tx: Tx, messages: readonly Message[]): Promise<number> {
    // Another node may have changed endpoints: this commit uses them as of its own transaction.
    await this.endpoints.sync(tx);
    const captures: Capture[] = [];
    for (const message of messages) {
      const endpoints = this.endpoints.matching('message.sent', message.channel);
      if (endpoints.length)
        captures.push({
          type: 'message.sent',
          timestamp: message.createdAt,
          data: message,
          messageId: message.id,
          endpoints,
        });
    }
    return this.write(tx, captures);
  }

  /** Writes one bus event for every enabled endpoint that wants it; returns how many deliveries. */
  async captureEvents(tx: Tx, events: ReadonlyArray<{ name: string; payload: unknown }>): Promise<number> {
    await this.endpoints.sync(tx);
    const captures: Capture[] = [];
    for (const { name, payload } of events) {
      const data = (payload ?? {}) as Record<string, unknown>;
      // An endpoint never receives events about itself (a failing endpoint would feed its own failures).
      const endpoints = this.endpoints
        .matching(name, channelOf(data))
        .filter((e) => !name.startsWith('webhook.') || data.endpointId !== e.id);
      if (!endpoints.length) continue;
      const timestamp = typeof data.at === 'string' ? data.at : new Date(this.clock.now()).toISOString();
      captures.push({
        type: name,
        timestamp,
        data: payload ?? null,
        messageId: null,
        endpoints,
        ...(CLUSTER_SCOPED_EVENTS.has(name) ? { dedupeKey: dedupeKeyOf(name, payload) } : {}),
      });
    }
    return this.write(tx, captures);
  }

  private async write(tx: Tx, captures: readonly Capture[]): Promise<number> {
    if (!captures.length) return 0;
    const now = this.clock.now();
    const events: (typeof this.t.events.$inferInsert)[] = [];
    const deliveries: (typeof this.t.deliveries.$inferInsert)[] = [];
    for (const c of captures) {
      const id = newEventId();
      const body = envelopeBody({ id, type: c.type, timestamp: c.timestamp, data: c.data });
      events.push({ id, type: c.type, body, messageId: c.messageId, createdAt: now, dedupeKey: c.dedupeKey ?? null });
      // Cached before the commit: an id whose transaction rolls back is never claimed, so never looked up.
      this.cache.set(id, body);
      for (const endpoint of c.endpoints) {
        deliveries.push({
          eventId: id,
          endpointId: endpoint.id,
          status: 'pending',
          nextAttemptAt: now,
          createdAt: now,
        });
      }
    }
    let kept = deliveries;
    if (captures.some((c) => c.dedupeKey)) {
      // Another node may have written the same cluster event: only events this insert wrote get deliveries.
      const written = new Set<string>();
      for (let i = 0; i < events.length; i += INSERT_CHUNK) {
        const rows = await tx
          .insert(this.t.events)
          .values(events.slice(i, i + INSERT_CHUNK))
          .onConflictDoNothing()
          .returning({ id: this.t.events.id });
        for (const row of rows) written.add(row.id);
      }
      kept = deliveries.filter((d) => written.has(d.eventId));
    } else {
      for (let i = 0; i < events.length; i += INSERT_CHUNK)
        await tx.insert(this.t.events).values(events.slice(i, i + INSERT_CHUNK));
    }
    for (let i = 0; i < kept.length; i += INSERT_CHUNK)
      await tx.insert(this.t.deliveries).values(kept.slice(i, i + INSERT_CHUNK));
    return kept.length;
  }

  /** Fails every pending delivery of an endpoint (it was disabled); returns how many. */
  async failPending(tx: Database, endpointId: string, reason: FailureReason): Promise<number> {
    const d = this.t.deliveries;
    const failed = await tx
      .update(d)
      .set({ status: 'failed', failureReason: reason, leaseUntil: null, finishedAt: this.clock.now() })
      .where(and(eq(d.endpointId, endpointId), eq(d.status, 'pending')))
      .returning({ id: d.id });
    return failed.length;
  }

  /** Drops the pending deliveries of a deleted endpoint (its history stays until retention). */
  async dropPending(tx: Tx, endpointId: string): Promise<void> {
    const d = this.t.deliveries;
    await tx.delete(d).where(and(eq(d.endpointId, endpointId), eq(d.status, 'pending')));
  }

  /** Puts deliveries back in the queue, due now, with a fresh retry schedule. */
  async requeue(where: SQL): Promise<number> {
    const requeued = await this.storage.db
      .update(this.t.deliveries)
      .set({
        status: 'pending',
        failureReason: null,
        failures: 0,
        nextAttemptAt: this.clock.now(),
        leaseUntil: null,
        finishedAt: null,
      })
      .where(where)
      .returning({ id: this.t.deliveries.id });
    return requeued.length;
  }

  /** Re-queues the failed deliveries of an endpoint created at or after `since`. */
  recover(endpointId: string, since: number, until: number | null): Promise<number> {
    const d = this.t.deliveries;
    const where: SQL[] = [eq(d.endpointId, endpointId), eq(d.status, 'failed'), gte(d.createdAt, since)];
    if (until !== null) where.push(lte(d.createdAt, until));
    return this.requeue(and(...where) as SQL);
  }

  /** Adds one delivery of a new event to one endpoint (test events). */
  enqueueOne(type: string, data: unknown, endpoint: CachedEndpoint): Promise<number> {
    return this.storage.transaction(async (tx) => {
      await this.write(tx, [
        { type, timestamp: new Date(this.clock.now()).toISOString(), data, messageId: null, endpoints: [endpoint] },
      ]);
      const [row] = await tx.select({ id: sql<number>`max(${this.t.deliveries.id})` }).from(this.t.deliveries);
      return Number(row?.id ?? 0);
    });
  }

  /** How many deliveries are pending and when the oldest of them was created. */
  async backlog(): Promise<{ depth: number; oldestCreatedAt: number | null }> {
    const d = this.t.deliveries;
    const [row] = await this.storage.db
      .select({ depth: count(), oldest: min(d.createdAt) })
      .from(d)
      .where(isPending(d.status));
    return { depth: Number(row?.depth ?? 0), oldestCreatedAt: row?.oldest == null ? null : Number(row.oldest) };
  }
}

/** The channel an event is about, for endpoint channel filters. */
function channelOf(data: Record<string, unknown>): string | null {
  if (typeof data.channel === 'string') return data.channel;
  const message = data.message as { channel?: unknown } | undefined;
  return typeof message?.channel === 'string' ? message.channel : null;
}

/** A Standard Webhooks message id: stable across every retry of every delivery of one event. */
export function newEventId(): string {
  return `msg_${nodeCrypto().randomBytes(18).toString('base64url')}`;
}
