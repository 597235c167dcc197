import { setImmediate } from 'node:timers';
import type { BusEvent } from '../../src/kernel/events.ts';
import type { Logger } from '../../src/kernel/logger.ts';
import type { PluginStorage } from '../../src/kernel/plugin.ts';
import type { EndpointStore } from './endpoints.ts';
import type { Outbox } from './outbox.ts';

/**
 * Captures bus events that are not messages (client.*, plugin.*, error.occurred,
 * webhook.* ...) into the outbox. They exist only in memory, so there is no
 * transaction to join: they are buffered and written together once per tick.
 * `message.sent` is not taken here: the message hook writes its deliveries in the
 * message's own transaction.
 */
export class EventCapture {
  private buffer: Array<{ name: string; payload: unknown }> = [];
  private queued = false;
  /** The write in progress: writes run one after the other, in capture order. */
  private writing: Promise<void> = Promise.resolve();

  constructor(
    private readonly storage: PluginStorage,
    private readonly endpoints: EndpointStore,
    private readonly outbox: Outbox,
    private readonly log: Logger,
    private readonly written: (deliveries: number) => void,
  ) {}

  readonly handle = (event: BusEvent): void => {
    if (event.name === 'message.sent' || !this.endpoints.anyWants(event.name)) return;
    this.buffer.push({ name: event.name, payload: event.payload });
    if (this.queued) return;
    this.queued = true;
    setImmediate(() => void this.flush());
  };

  /** Writes what is buffered (also called on stop, so nothing captured is dropped); resolves once written. */
  flush(): Promise<void> {
    this.queued = false;
    const batch = this.buffer;
    if (batch.length) {
      this.buffer = [];
      this.writing = this.writing.then(() => this.write(batch));
    }
    return this.writing;
  }

  private async write(batch: Array<{ name: string; payload: unknown }>): Promise<void> {
    try {
      this.written(await this.storage.transaction((tx) => this.outbox.captureEvents(tx, batch)));
    } catch (err) {
      this.log.error({ err, events: batch.length }, 'webhook events could not be written to the outbox');
    }
  }
}
