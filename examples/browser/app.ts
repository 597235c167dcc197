/**
 * The demo page's script: one channel over WebSocket (RealtimeClient) and over SSE
 * (RealtimeStream on the browser's EventSource), each list showing what arrived.
 * Both resume without loss when the hub restarts.
 */
import { RealtimeClient, type RealtimeEvent, RealtimeStream } from '@relaykit/realtime';

interface DemoEvents {
  'chat.message': { text: string };
  note: unknown;
}

const channel = document.body.dataset.channel ?? 'demo';
const url = location.origin;

function element<T extends HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (!found) throw new Error(`#${id} is missing`);
  return found as T;
}

function setStatus(id: string, state: 'connecting' | 'open' | 'waiting' | 'closed', text: string): void {
  const badge = element(id);
  badge.dataset.state = state;
  badge.textContent = text;
}

function cell(className: string, text: string): HTMLSpanElement {
  const span = document.createElement('span');
  span.className = className;
  span.textContent = text;
  return span;
}

/** Prepends one event to a list (newest first). */
function show(listId: string, event: RealtimeEvent): void {
  const item = document.createElement('li');
  item.className = 'fresh';
  item.dataset.id = String(event.id);
  const data = event.event === 'chat.message' ? (event.data as { text: string }).text : JSON.stringify(event.data);
  const time = event.timestamp ? new Date(event.timestamp).toLocaleTimeString() : '';
  item.append(cell('id', `#${event.id}`), cell('event', event.event), cell('data', data), cell('time', time));
  if (event.from) item.title = `from ${event.from}`;
  element(listId).prepend(item);
}

function notice(listId: string, text: string): void {
  const item = document.createElement('li');
  item.className = 'notice';
  item.textContent = text;
  element(listId).prepend(item);
}

const ws = new RealtimeClient<DemoEvents>({ url, channels: [channel] });
ws.on('connected', ({ clientId, reconnected, replayed }) =>
  setStatus('ws-status', 'open', `open as ${clientId}${reconnected ? `, resumed ${replayed}` : ''}`),
);
ws.on('disconnected', ({ code, willReconnect }) =>
  setStatus('ws-status', willReconnect ? 'waiting' : 'closed', `disconnected (${code})`),
);
ws.on('reconnecting', ({ attempt, delayMs }) =>
  setStatus('ws-status', 'waiting', `reconnecting, attempt ${attempt} in ${delayMs} ms`),
);
ws.on('gap', () => notice('ws-events', 'Some events could not be replayed (retention)'));
ws.on('error', (error) => console.warn('websocket:', error.code, error.message));
ws.on('event', (event) => show('ws-events', event));
ws.connect().catch((error) => console.warn('websocket stopped:', error.message));

const sse = new RealtimeStream<DemoEvents>({ url, channels: [channel], types: ['chat.message', 'note'] });
sse.on('connected', ({ streamId, reconnected }) =>
  setStatus('sse-status', 'open', `open, stream ${streamId}${reconnected ? ' (resumed)' : ''}`),
);
sse.on('disconnected', ({ willReconnect }) =>
  setStatus('sse-status', willReconnect ? 'waiting' : 'closed', 'disconnected'),
);
sse.on('reconnecting', ({ attempt }) => setStatus('sse-status', 'waiting', `reopening, attempt ${attempt}`));
sse.on('gap', (gap) => notice('sse-events', `Gap after #${gap.last_event_id} (${gap.reason})`));
sse.on('error', (error) => console.warn('sse:', error.code, error.message));
sse.on('event', (event) => show('sse-events', event));
sse.connect().catch((error) => console.warn('sse stopped:', error.message));

element<HTMLFormElement>('send').addEventListener('submit', (submit) => {
  submit.preventDefault();
  const input = element<HTMLInputElement>('text');
  const text = input.value.trim();
  if (!text) return;
  input.value = '';
  ws.publish(channel, 'chat.message', { text }).catch((error) =>
    notice('ws-events', `Not published: ${error.message}`),
  );
});
