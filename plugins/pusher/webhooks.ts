import type { EventBus } from '../../src/kernel/bus.ts';
import type { Clock } from '../../src/kernel/clock.ts';
import type { AppState } from './apps.ts';
import { dataOf } from './protocol.ts';
import type { Session } from './session.ts';
import { sign } from './signing.ts';

declare module '../../src/kernel/events.ts' {
  interface RelaykitEvents {
    /**
     * One batch of an app's Pusher webhook events, ready to send: `body` is Pusher's
     * `{"time_ms","events"}` JSON and `headers` its X-Pusher-Key / X-Pusher-Signature.
     * The webhooks plugin delivers it to endpoints of format `raw`; `channel` is
     * `pusher.{appId}`, so an endpoint's `channels` filter picks apps.
     */
    'pusher.webhook': { appId: string; channel: string; body: string; headers: Record<string, string>; at: string };
  }
}

/** Pusher's webhook event names. */
export type PusherWebhookName =
  | 'channel_occupied'
  | 'channel_vacated'
  | 'member_added'
  | 'member_removed'
  | 'client_event';

type WebhookEvent = { name: PusherWebhookName; channel: string } & Record<string, string>;

/**
 * Gathers each app's Pusher webhook events for `batchMs`, then publishes them as one
 * signed batch on the bus, as Pusher batches them. Apps that asked for no events cost
 * nothing. Signing happens here, with the app's secret at the time of the batch.
 */
export class PusherWebhooks {
  private readonly pending = new Map<AppState, WebhookEvent[]>();
  private readonly timers = new Map<AppState, () => void>();

  constructor(
    private readonly bus: EventBus,
    private readonly clock: Clock,
    private readonly batchMs: number,
  ) {}

  channelEvent(app: AppState, name: 'channel_occupied' | 'channel_vacated', channel: string): void {
    this.add(app, { name, channel });
  }

  memberEvent(app: AppState, name: 'member_added' | 'member_removed', channel: string, userId: string): void {
    this.add(app, { name, channel, user_id: userId });
  }

  clientEvent(app: AppState, channel: string, event: string, data: unknown, sender: Session): void {
    const userId = sender.channels.get(channel);
    this.add(app, {
      name: 'client_event',
      channel,
      event,
      data: dataOf(data),
      socket_id: sender.socketId,
      ...(userId ? { user_id: userId } : {}),
    });
  }

  /** Publishes every pending batch now (on stop: nothing gathered is dropped). */
  flushAll(): void {
    for (const app of [...this.pending.keys()]) this.flush(app);
  }

  private add(app: AppState, event: WebhookEvent): void {
    if (!app.config.webhookEvents.includes(event.name)) return;
    const batch = this.pending.get(app);
    if (batch) {
      batch.push(event);
      return;
    }
    this.pending.set(app, [event]);
    this.timers.set(
      app,
      this.clock.setTimeout(() => this.flush(app), this.batchMs),
    );
  }

  private flush(app: AppState): void {
    const events = this.pending.get(app);
    this.timers.get(app)?.();
    this.pending.delete(app);
    this.timers.delete(app);
    if (!events?.length) return;
    const now = this.clock.now();
    const body = JSON.stringify({ time_ms: now, events });
    this.bus.publish('pusher.webhook', {
      appId: app.id,
      channel: `pusher.${app.id}`,
      body,
      headers: { 'X-Pusher-Key': app.key, 'X-Pusher-Signature': sign(app.secret, body) },
      at: new Date(now).toISOString(),
    });
  }
}
