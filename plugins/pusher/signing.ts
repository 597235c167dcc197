import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Pusher's signatures, all HMAC-SHA256 in lowercase hex with the app's secret:
 * - channel auth: `key:hmac(socket_id:channel)`, presence `key:hmac(socket_id:channel:channel_data)`;
 * - user sign-in: `key:hmac(socket_id::user::user_data)`;
 * - HTTP API: `hmac("METHOD\nPATH\nsorted query")`, the query's keys sorted, `key=value`
 *   joined with `&`, without `auth_signature`, values as sent (not URL-encoded);
 * - webhooks: `X-Pusher-Signature: hmac(body)`.
 */
export function sign(secret: string, text: string): string {
  return createHmac('sha256', secret).update(text, 'utf8').digest('hex');
}

export function md5(text: string): string {
  return createHash('md5').update(text, 'utf8').digest('hex');
}

/** Compares two strings in constant time (for equal lengths). */
export function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Whether `auth` (`key:signature`) signs `text` for the app. */
export function validAuth(auth: unknown, key: string, secret: string, text: string): boolean {
  if (typeof auth !== 'string') return false;
  const colon = auth.indexOf(':');
  if (colon < 0 || auth.slice(0, colon) !== key) return false;
  return sameText(auth.slice(colon + 1), sign(secret, text));
}

/** Why an HTTP API request is refused (Pusher's wording), or null when it is signed right. */
export function checkApiSignature(
  request: { method: string; path: string; query: URLSearchParams; body: string },
  app: { key: string; secret: string },
  nowSeconds: number,
  maxSkewSeconds = 600,
): string | null {
  const q = request.query;
  const key = q.get('auth_key');
  if (key === null || q.get('auth_signature') === null || q.get('auth_timestamp') === null) {
    return 'Missing authentication parameters: auth_key, auth_timestamp and auth_signature are required';
  }
  if (key !== app.key) return `Unknown auth_key "${key}"`;
  if (q.get('auth_version') !== null && q.get('auth_version') !== '1.0') return 'Unsupported auth_version';
  const timestamp = Number(q.get('auth_timestamp'));
  if (!Number.isFinite(timestamp) || Math.abs(nowSeconds - timestamp) > maxSkewSeconds) {
    return `Timestamp expired: Given timestamp (${q.get('auth_timestamp')}) not within ${maxSkewSeconds}s of server time (${nowSeconds})`;
  }
  if (request.body.length > 0) {
    const given = q.get('body_md5');
    if (given === null || given !== md5(request.body)) return 'The body_md5 parameter does not match the body';
  }
  const params = [...q.entries()]
    .filter(([k]) => k !== 'auth_signature')
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
  const toSign = `${request.method.toUpperCase()}\n${request.path}\n${params}`;
  if (!sameText(q.get('auth_signature') as string, sign(app.secret, toSign))) {
    return `Invalid signature: you should have sent HmacSHA256Hex(${JSON.stringify(toSign)}, your_secret_key), but you sent "${q.get('auth_signature')}"`;
  }
  return null;
}
