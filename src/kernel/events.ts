import type { Message } from '../messages/types.ts';

/**
 * The event catalogue: every event name on the hub's bus mapped to its payload.
 * Plugins add theirs by augmenting this interface:
 *
 * ```ts
 * declare module 'relaykit' {
 *   interface RelaykitEvents { 'audit.recorded': { id: number } }
 * }
 * ```
 */
export interface RelaykitEvents {
  /** A message was committed to the database (published after the commit). */
  'message.sent': Message;
  /** A message was acknowledged by a recipient (`POST /messages/{id}/ack`). */
  'message.delivered': { id: number; by: string | null; at: string; message: Message };
  /** Messages expired and were removed by retention (batched). */
  'message.expired': { ids: number[]; types: string[]; archived: boolean; at: string };
  'client.connected': { clientId: string; transport: string; at: string };
  'client.disconnected': { clientId: string; transport: string; at: string; reason?: string };
  'channel.occupied': { channel: string; transport: string; at: string };
  'channel.vacated': { channel: string; transport: string; at: string };
  'plugin.enabled': { name: string; at: string };
  'plugin.disabled': { name: string; at: string };
  'plugin.reconfigured': { name: string; at: string };
  /** Something went wrong that an operator should see. */
  'error.occurred': { source: string; code: string; message: string; at: string };
}

export type EventName = keyof RelaykitEvents & string;
export type EventPayload<K extends EventName> = RelaykitEvents[K];

/** One event as it travels on the bus. */
export interface BusEvent<K extends EventName = EventName> {
  name: K;
  payload: RelaykitEvents[K];
}

/** The event names the kernel itself emits, as constants. */
export const CoreEvents = {
  messageSent: 'message.sent',
  messageDelivered: 'message.delivered',
  messageExpired: 'message.expired',
  clientConnected: 'client.connected',
  clientDisconnected: 'client.disconnected',
  channelOccupied: 'channel.occupied',
  channelVacated: 'channel.vacated',
  pluginEnabled: 'plugin.enabled',
  pluginDisabled: 'plugin.disabled',
  pluginReconfigured: 'plugin.reconfigured',
  errorOccurred: 'error.occurred',
} as const satisfies Record<string, EventName>;
