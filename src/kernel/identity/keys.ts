import type { ApiKeyConfig } from '../../config/schema.ts';
import { type ClientAccess, keyAccess } from '../access.ts';
import { nodeCrypto } from '../node-crypto.ts';

/** One usable API key: its name, the sha256 of its plaintext and the access it grants. */
interface KeyRecord {
  readonly name: string;
  readonly digest: Buffer;
  readonly access: ClientAccess;
}

/** `sha256:<hex>` of a key's plaintext: what the config file holds instead of the key. */
export function hashKey(plaintext: string): string {
  return `sha256:${nodeCrypto().createHash('sha256').update(plaintext).digest('hex')}`;
}

/**
 * The API keys declared in `auth.apiKeys`. A key is given as the hash of its plaintext
 * or as the name of an environment variable holding the plaintext (the plaintext never
 * sits in the file). Lookup hashes the presented token once and compares it with every
 * key in constant time.
 */
export class ApiKeys {
  private readonly records: KeyRecord[];
  /** When each key was last presented (ms), for `GET /admin`. */
  readonly lastUsed = new Map<string, number>();

  constructor(entries: readonly ApiKeyConfig[], env: Record<string, string | undefined>) {
    this.records = entries.flatMap((entry) => {
      const digest = entry.hash
        ? Buffer.from(entry.hash.slice('sha256:'.length), 'hex')
        : entry.env && env[entry.env]
          ? nodeCrypto()
              .createHash('sha256')
              .update(env[entry.env] as string)
              .digest()
          : null;
      return digest ? [{ name: entry.name, digest, access: keyAccess(entry.name, entry.scopes) }] : [];
    });
  }

  get size(): number {
    return this.records.length;
  }

  /** The access of the key `token` is, or null. */
  find(token: string, now: number): ClientAccess | null {
    const crypto = nodeCrypto();
    const digest = crypto.createHash('sha256').update(token).digest();
    let found: KeyRecord | null = null;
    for (const record of this.records) if (crypto.timingSafeEqual(digest, record.digest)) found ??= record;
    if (!found) return null;
    this.lastUsed.set(found.name, now);
    return found.access;
  }
}

/** The names of keys whose `env` variable is missing or empty (a start-up warning). */
export function missingKeyEnv(entries: readonly ApiKeyConfig[], env: Record<string, string | undefined>): string[] {
  return entries.filter((e) => !e.hash && !(e.env && env[e.env])).map((e) => e.name);
}
