/**
 * The SDK token tests' hub and tokens: a hub that requires a JWT, and HS256 tokens
 * for the `orders` channel that expire after a number of seconds.
 */
import { SignJWT } from 'jose';

export const TOKEN_SECRET = 'sdk-test-secret-of-32-characters';
/** A hub that requires a JWT on every door, signed with TOKEN_SECRET. */
export const TOKEN_HUB_CONFIG = `watch: false\nauth:\n  jwt:\n    secret: ${TOKEN_SECRET}\n    required: true\n`;

/** A token of `sub` that may read and publish on `orders`, expiring `expiresInSeconds` after the next whole second. */
export function ordersToken(sub: string, expiresInSeconds: number, secret = TOKEN_SECRET): Promise<string> {
  return (
    new SignJWT({ channels: ['orders'], publish: ['orders'] })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(sub)
      // From the next whole second on: `floor(now) + 1` could expire a few ms after signing.
      .setExpirationTime(Math.ceil(Date.now() / 1000) + expiresInSeconds)
      .sign(new TextEncoder().encode(secret))
  );
}
