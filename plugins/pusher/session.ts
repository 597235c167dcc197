import type { WebSocketConnection } from '../../src/runtime/types.ts';
import type { AppState } from './apps.ts';

/** What the upgrade request decided, before the socket opens (browsers cannot read HTTP errors). */
export type Admission = { kind: 'ok'; app: AppState } | { kind: 'refused'; code: number; reason: string };

/** One pusher-protocol connection. */
export class Session {
  ws: WebSocketConnection<Session> | null = null;
  state: 'connecting' | 'open' | 'closed' = 'connecting';
  /** Clock time of the last frame received. */
  lastSeen = 0;
  /** When the server pinged a silent connection (null: no ping outstanding). */
  pingSentAt: number | null = null;
  /** Channel name -> the presence user id it joined as (null for other channels). */
  readonly channels = new Map<string, string | null>();
  /** The user id after a successful `pusher:signin`. */
  userId: string | null = null;
  /** Client events sent in the current one-second window. */
  clientEvents = 0;
  clientEventsWindow = 0;
  /** Where the socket comes from (the per-IP connection cap). */
  remoteAddress = '';
  /** Frees the socket's slot under the per-IP connection cap (null until admitted). */
  releaseSlot: (() => void) | null = null;
  /** Frames run one after the other: a client event awaits its commit. */
  queue: Promise<void> = Promise.resolve();

  constructor(
    readonly socketId: string,
    readonly admission: Admission,
  ) {}

  get app(): AppState | null {
    return this.admission.kind === 'ok' ? this.admission.app : null;
  }

  send(text: string): boolean {
    if (!this.ws || this.state === 'closed') return false;
    return this.ws.send(text) !== 0;
  }
}

/** A socket id as Pusher formats them: two decimal numbers joined by a dot. */
export function newSocketId(): string {
  const [a, b] = crypto.getRandomValues(new Uint32Array(2));
  return `${a}.${b}`;
}

export const SOCKET_ID = /^\d{1,20}\.\d{1,20}$/;
