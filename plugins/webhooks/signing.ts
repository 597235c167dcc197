import { Buffer } from 'node:buffer';
import type { KeyObject } from 'node:crypto';
import { nodeCrypto } from '../../src/kernel/node-crypto.ts';

/**
 * Standard Webhooks signing (https://www.standardwebhooks.com): every attempt carries
 * `webhook-id` (stable across retries), `webhook-timestamp` (unix seconds) and
 * `webhook-signature`, a space-separated list of `v1,<base64 HMAC-SHA256 of
 * "id.timestamp.body">`, one per secret in use (two during a rotation's grace period).
 */

export const SECRET_PREFIX = 'whsec_';
const MIN_KEY_BYTES = 24;
const MAX_KEY_BYTES = 64;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** A new secret: `whsec_` and the base64 of `bytes` random bytes. */
export function generateSecret(bytes: number): string {
  return SECRET_PREFIX + nodeCrypto().randomBytes(bytes).toString('base64');
}

/** Why `secret` is not a usable Standard Webhooks secret, or null when it is. */
export function secretProblem(secret: string): string | null {
  if (!secret.startsWith(SECRET_PREFIX)) return `a secret starts with "${SECRET_PREFIX}"`;
  const encoded = secret.slice(SECRET_PREFIX.length);
  if (!BASE64.test(encoded) || encoded.length % 4 !== 0) return `after "${SECRET_PREFIX}", a secret is base64`;
  const length = Buffer.from(encoded, 'base64').length;
  if (length < MIN_KEY_BYTES || length > MAX_KEY_BYTES) {
    return `a secret holds ${MIN_KEY_BYTES} to ${MAX_KEY_BYTES} bytes (this one has ${length})`;
  }
  return null;
}

/** The HMAC key inside a `whsec_` secret. */
export function secretKey(secret: string): Buffer {
  return Buffer.from(secret.slice(SECRET_PREFIX.length), 'base64');
}

/**
 * The key of a `whsec_` secret, imported once for signing: an HMAC under a KeyObject
 * skips importing the raw key at every attempt (about half the cost of a signature).
 */
export function signingKey(secret: string): KeyObject {
  return nodeCrypto().createSecretKey(secretKey(secret));
}

/** One `v1,<signature>` for `id.timestamp.body` under `key`. */
export function sign(key: Buffer | KeyObject, id: string, timestamp: number, body: string): string {
  return `v1,${nodeCrypto().createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64')}`;
}

/** The `webhook-signature` value for one attempt: `v1,<signature>` under every key given, space-separated. */
export function signature(keys: readonly KeyObject[], id: string, timestamp: number, body: string): string {
  return keys.length === 1
    ? sign(keys[0], id, timestamp, body)
    : keys.map((key) => sign(key, id, timestamp, body)).join(' ');
}
