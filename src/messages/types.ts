/** A message as the API returns it and as it travels on the bus. */
export interface Message {
  /** Monotonic per hub; the resume cursor of every realtime transport. */
  id: number;
  from: string | null;
  to: string | null;
  channel: string | null;
  type: string;
  payload: unknown;
  /** ISO 8601. */
  createdAt: string;
  expiresAt: string | null;
  deliveredAt: string | null;
}

/** What a client sends to `POST /messages`, after validation. */
export interface MessageInput {
  from?: string;
  to?: string;
  channel?: string;
  type: string;
  payload: unknown;
  /** Seconds until the message expires. */
  ttl?: number;
}

/** A message on its way to the database: hooks may change `expiresAt`. */
export interface MessageDraft {
  readonly input: MessageInput;
  /** Milliseconds since the epoch. */
  readonly createdAt: number;
  /** Milliseconds since the epoch, or null for never. */
  expiresAt: number | null;
}
