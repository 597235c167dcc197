import { Redis, type RedisOptions } from 'ioredis';
import {
  type Broker,
  type BrokerBatch,
  BrokerClosedError,
  type BrokerErrorHandler,
  type BrokerHandler,
  BrokerHandlers,
  logBrokerError,
} from './broker.ts';
import { endConnection } from './redis-connection.ts';

export interface RedisBrokerOptions {
  /** `redis://[user:pass@]host:port[/db]` (`cluster.broker.url`). */
  url: string;
  /** Prepended to the pub/sub channel, so several hubs can share one Redis. Default `relaykit:`. */
  prefix?: string;
  /** Where handler failures and connection errors go. Default: console.error. */
  onError?: BrokerErrorHandler;
  /** Extra ioredis options (timeouts, TLS). */
  redis?: RedisOptions;
}

/**
 * The broker over Redis pub/sub: one PUBLISH of the whole batch (JSON) per
 * commit, on `<prefix>feed`. Two connections: one publishes, one subscribes
 * (a subscribed Redis connection cannot publish). ioredis reconnects and
 * resubscribes by itself; what was published meanwhile is lost, as the Broker
 * contract allows.
 */
export class RedisBroker implements Broker {
  readonly kind = 'redis';
  readonly channel: string;
  private readonly pub: Redis;
  private readonly sub: Redis;
  private readonly handlers: BrokerHandlers;
  private readonly subscribed: Promise<void>;
  private closed = false;

  constructor(options: RedisBrokerOptions) {
    const onError = options.onError ?? logBrokerError;
    this.handlers = new BrokerHandlers(onError);
    this.channel = `${options.prefix ?? 'relaykit:'}feed`;
    this.pub = new Redis(options.url, { ...options.redis, lazyConnect: false });
    this.sub = new Redis(options.url, { ...options.redis, lazyConnect: false });
    for (const connection of [this.pub, this.sub]) {
      connection.on('error', (err) => {
        if (!this.closed) onError(err);
      });
    }
    this.sub.on('message', (channel: string, text: string) => {
      if (channel !== this.channel || this.closed) return;
      let batch: BrokerBatch;
      try {
        batch = JSON.parse(text) as BrokerBatch;
      } catch (err) {
        onError(new Error(`Unreadable batch on ${channel}`, { cause: err }));
        return;
      }
      this.handlers.emit(batch);
    });
    this.subscribed = this.sub.subscribe(this.channel).then(() => undefined);
    // Reported through ready(); do not leave it unhandled meanwhile.
    this.subscribed.catch(() => {});
  }

  async publish(batch: BrokerBatch): Promise<void> {
    if (this.closed) throw new BrokerClosedError(this.kind);
    await this.pub.publish(this.channel, JSON.stringify(batch));
  }

  subscribe(handler: BrokerHandler): () => void {
    return this.handlers.add(handler);
  }

  ready(): Promise<void> {
    return this.subscribed;
  }

  /** One round trip to Redis on the publishing connection (health checks). */
  async ping(): Promise<void> {
    await this.pub.ping();
  }

  /** The subscribing connection, for fault-injection tests (kill it to lose publishes). */
  get subscriber(): Redis {
    return this.sub;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.handlers.clear();
    await Promise.allSettled([endConnection(this.pub), endConnection(this.sub)]);
  }
}
