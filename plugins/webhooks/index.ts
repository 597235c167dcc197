/**
 * The webhooks plugin: delivers hub events to HTTP endpoints, signed with Standard
 * Webhooks, from a transactional outbox (a message's deliveries commit with the
 * message), by a worker that leases, retries with backoff, dead-letters, disables
 * failing endpoints and refuses internal addresses (SSRF guard).
 *
 * ```yaml
 * plugins:
 *   webhooks:
 *     security:
 *       httpsOnly: true
 * ```
 */

import type { Leadership } from '../../src/cluster/leadership.ts';
import { CoreEvents } from '../../src/kernel/events.ts';
import { definePlugin } from '../../src/kernel/plugin.ts';
import { EventCapture } from './capture.ts';
import { EndpointStore } from './endpoints.ts';
import { EventCache } from './event-cache.ts';
import { WebhookEvents } from './events.ts';
import { AddressGuard } from './guard.ts';
import { WebhookMetrics } from './metrics.ts';
import { webhookDocs } from './openapi.ts';
import { WebhooksOptions } from './options.ts';
import { Outbox } from './outbox.ts';
import { DeliveryQueries } from './queries.ts';
import { DeliveryQueue } from './queue.ts';
import { Pruner } from './retention.ts';
import { webhookRoutes } from './routes.ts';
import { Sealer } from './sealing.ts';
import { Sender } from './sender.ts';
import { WebhooksService } from './service.ts';
import { Settler } from './settle.ts';
import { webhookTables } from './tables.ts';
import { Worker } from './worker.ts';

export type { Endpoint } from './endpoints.ts';
export { WebhookErrors } from './errors.ts';
export { TEST_EVENT_TYPE, WebhookEvents } from './events.ts';
export type { Envelope } from './formats.ts';
export { DEFAULT_RETRY_SCHEDULE, WebhooksOptions } from './options.ts';
export type { Attempt, Delivery } from './queries.ts';
export type { EndpointInput, EndpointPatch } from './service.ts';

/** The singleton webhook retention runs as. */
const RETENTION_LEADERSHIP = 'webhooks-retention';

/** Bodies of recently written events kept for the worker (it reads the database on a miss). */
const EVENT_CACHE_BYTES = 16 * 1024 * 1024;

export default definePlugin({
  name: 'webhooks',
  description: 'Delivers hub events to HTTP endpoints: Standard Webhooks signatures, outbox, retries, SSRF guard',
  options: WebhooksOptions,
  emits: [WebhookEvents.endpointDisabled, WebhookEvents.deliveryExhausted],
  consumes: Object.values(CoreEvents),
  async setup(ctx) {
    const { options } = ctx;
    const guard = new AddressGuard({
      httpsOnly: options.security.httpsOnly,
      allowNetworks: options.security.allowNetworks,
      optionPath: `plugins.${ctx.name}.security.allowNetworks`,
    });
    const { storage } = ctx;
    const tables = await storage.tables(webhookTables);
    const endpoints = new EndpointStore(
      storage,
      tables,
      ctx.clock,
      new Sealer(options.security.encryptionKey, options.security.previousEncryptionKeys),
    );
    const events = new EventCache(EVENT_CACHE_BYTES);
    const outbox = new Outbox(storage, tables, ctx.clock, endpoints, events);
    let leader: Leadership | null = null;
    const pruner = new Pruner(
      storage.db,
      tables,
      ctx.clock,
      ctx.log,
      endpoints,
      options.retention,
      () => leader?.isLeader() ?? false,
    );
    let worker: Worker | null = null;
    const wake = () => worker?.wake();
    const service = new WebhooksService(
      storage,
      tables,
      ctx.clock,
      ctx.bus,
      options,
      endpoints,
      outbox,
      new DeliveryQueries(storage.db, tables),
      guard,
      wake,
    );
    const metrics = new WebhookMetrics(ctx.metrics, outbox, endpoints, ctx.clock, () => worker?.inFlightCount ?? 0);
    if (options.worker.enabled) {
      const sender = new Sender(ctx.runtime, guard, ctx.clock, options.delivery.userAgent);
      const queue = new DeliveryQueue(storage, tables, ctx.clock, events);
      const settler = new Settler(ctx.clock, ctx.bus, queue, service, options.autoDisable, metrics);
      worker = new Worker(
        options.worker,
        ctx.clock,
        ctx.log,
        service,
        queue,
        sender,
        settler,
        () => pruner.touch(),
        storage.dialect === 'sqlite' ? null : options.worker.pollIntervalMs,
      );
    }
    const written = (n: number) => {
      metrics.enqueued(n);
      if (n) wake();
    };
    const capture = new EventCapture(storage, endpoints, outbox, ctx.log, written);
    /** Deliveries written by a message batch whose transaction has not committed yet. */
    const uncommitted = new WeakMap<readonly unknown[], number>();

    return {
      async start() {
        // The endpoint cache is per process: loaded here, kept current by this process's writes.
        await endpoints.reload();
        ctx.bus.onAny(capture.handle);
        worker?.start();
        // Retention is a cluster singleton: one node prunes the shared tables at a time.
        leader = await ctx.leadership(RETENTION_LEADERSHIP);
        leader.onChange((leads) => {
          if (leads) pruner.lead();
        });
        pruner.start();
      },
      async stop() {
        await pruner.stop();
        await leader?.close();
        await worker?.stop();
        await capture.flush();
      },
      routes: () => webhookRoutes(service, ctx.auth, ctx.clock),
      openapiWebhooks: () =>
        webhookDocs(
          ctx.hub
            .plugins()
            .filter((p) => p.state === 'running')
            .flatMap((p) => p.emits.map((event) => ({ event, plugin: p.name }))),
          ctx.hub.eventSchemas(),
        ),
      health: () => [metrics.healthCheck(options.health.oldestPendingWarnSeconds)],
      messageHooks: {
        // Inside the message's own transaction: its deliveries commit (or roll back) with it.
        async afterInsert(tx, messages) {
          const n = await outbox.captureMessages(tx, messages);
          if (n) uncommitted.set(messages, n);
        },
        // The worker is woken only now: woken inside the transaction, its claim (on another
        // connection) could run before the commit, find nothing, and sleep until the next poll.
        afterCommit(messages) {
          const n = uncommitted.get(messages);
          if (n) written(n);
        },
        // No endpoint wants these messages: they commit without a transaction held open for the outbox.
        // On a shared database the cache is first checked against the endpoints version (one
        // primary-key read), so an endpoint another node just created is not missed.
        async writesAfterInsert(drafts) {
          await endpoints.sync();
          return drafts.some((d) => endpoints.matching('message.sent', d.input.channel ?? null).length > 0);
        },
      },
    };
  },
});
