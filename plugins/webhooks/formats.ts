import type { EndpointFormat } from './schema.ts';

/**
 * What an endpoint receives. `standard` gets the stored envelope byte for byte;
 * `slack` and `discord` get a one-line summary of the event for chat alerting; `raw`
 * gets the body a producing plugin prepared (see `RawEventData`).
 */

/**
 * The extension point for foreign webhook formats: an event whose `data` has this shape
 * is delivered to `raw` endpoints as `body`, byte for byte, with the `x-` headers of
 * `headers` added (a producer signs with its own scheme, e.g. Pusher's X-Pusher-Signature).
 * The outbox's durability, retries and SSRF guard apply as to any other format.
 */
export interface RawEventData {
  body: string;
  headers: Record<string, string>;
}

/** The Standard Webhooks envelope, stored once per event. */
export interface Envelope {
  id: string;
  type: string;
  /** ISO 8601, when the event happened. */
  timestamp: string;
  data: unknown;
}

export function envelopeBody(envelope: Envelope): string {
  return JSON.stringify(envelope);
}

const DISCORD_MAX = 2000;
const SLACK_MAX = 3000;

/** The request body for `format`, from the stored envelope body. */
export function formatBody(format: EndpointFormat, body: string): string {
  if (format === 'standard') return body;
  const envelope = JSON.parse(body) as Envelope;
  if (format === 'raw') return rawData(envelope)?.body ?? body;
  const line = summarize(envelope.type, (envelope.data ?? {}) as Record<string, unknown>);
  if (format === 'slack') return JSON.stringify({ text: truncate(escapeSlack(line), SLACK_MAX) });
  // No @everyone or role pings from event text.
  return JSON.stringify({ content: truncate(line, DISCORD_MAX), allowed_mentions: { parse: [] } });
}

/** Extra headers of a `raw` delivery: only `x-` names, so none of the hub's own headers is overridden. */
export function formatHeaders(format: EndpointFormat, body: string): Record<string, string> {
  if (format !== 'raw') return {};
  const raw = rawData(JSON.parse(body) as Envelope);
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(raw?.headers ?? {})) {
    if (/^x-[a-z0-9-]+$/i.test(name) && typeof value === 'string') out[name.toLowerCase()] = value;
  }
  return out;
}

function rawData(envelope: Envelope): RawEventData | null {
  const data = envelope.data as Partial<RawEventData> | null;
  if (!data || typeof data.body !== 'string') return null;
  return { body: data.body, headers: data.headers && typeof data.headers === 'object' ? data.headers : {} };
}

type Data = Record<string, unknown>;

const SUMMARIES: Record<string, (d: Data) => string> = {
  'message.sent': (d) =>
    `message ${str(d.type)} #${str(d.id)}${d.channel ? ` on ${str(d.channel)}` : ''}${d.from ? ` from ${str(d.from)}` : ''}${d.to ? ` to ${str(d.to)}` : ''}: ${compact(d.payload)}`,
  'message.delivered': (d) => `message #${str(d.id)} delivered${d.by ? ` to ${str(d.by)}` : ''}`,
  'message.expired': (d) =>
    `${Array.isArray(d.ids) ? d.ids.length : 0} message(s) expired${d.archived ? ' (archived)' : ''}`,
  'client.connected': (d) => `client ${str(d.clientId)} connected over ${str(d.transport)}`,
  'client.disconnected': (d) =>
    `client ${str(d.clientId)} disconnected from ${str(d.transport)}${d.reason ? ` (${str(d.reason)})` : ''}`,
  'channel.occupied': (d) => `channel ${str(d.channel)} has subscribers (${str(d.transport)})`,
  'channel.vacated': (d) => `channel ${str(d.channel)} has no subscribers left (${str(d.transport)})`,
  'plugin.enabled': (d) => `plugin ${str(d.name)} enabled`,
  'plugin.disabled': (d) => `plugin ${str(d.name)} disabled`,
  'plugin.reconfigured': (d) => `plugin ${str(d.name)} reconfigured`,
  'error.occurred': (d) => `error in ${str(d.source)}: ${str(d.code)}: ${str(d.message)}`,
  'webhook.endpoint.disabled': (d) =>
    `webhook endpoint ${str(d.endpointId)} (${str(d.url)}) disabled: ${str(d.reason)}`,
  'webhook.delivery.exhausted': (d) =>
    `webhook delivery ${str(d.deliveryId)} of ${str(d.eventType)} to endpoint ${str(d.endpointId)} failed after ${str(d.attempts)} attempts${d.lastError ? `: ${str(d.lastError)}` : ''}`,
  'webhook.test': () => 'test event: this endpoint receives Relaykit webhooks',
};

/** One readable line describing the event. */
export function summarize(type: string, data: Data): string {
  const describe = SUMMARIES[type];
  const text = describe ? describe(data) : `${type}: ${compact(data)}`;
  return `[relaykit] ${text}`.replace(/\s+/g, ' ');
}

function str(value: unknown): string {
  return typeof value === 'string' ? value : value === undefined || value === null ? '' : JSON.stringify(value);
}

function compact(value: unknown): string {
  return truncate(JSON.stringify(value) ?? 'null', 500);
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** Slack's control characters in message text (https://api.slack.com/reference/surfaces/formatting#escaping). */
function escapeSlack(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
