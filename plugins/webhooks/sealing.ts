import { Buffer } from 'node:buffer';
import { nodeCrypto } from '../../src/kernel/node-crypto.ts';

/**
 * Endpoint secrets and custom headers (receivers' API keys) encrypted at rest with
 * AES-256-GCM under `security.encryptionKey`. A sealed value names the key that
 * sealed it (`enc:v1:<key id>:<base64 of iv, ciphertext and tag>`), so rows sealed
 * under a key listed in `security.previousEncryptionKeys` still open after a
 * rotation and are sealed again under the new key when the plugin starts; rows
 * written before a key was configured (plaintext) are sealed then too.
 *
 * Synchronous (node:crypto, on Bun and Deno alike) on purpose: endpoints are written
 * inside database transactions, which must not await anything but their queries.
 */

const PREFIX = 'enc:v1:';
/** The key under which a headers object is stored sealed: no header can have this name. */
const SEALED_HEADERS = '$sealed';
const IV_BYTES = 12;
const TAG_BYTES = 16;

interface Key {
  id: string;
  bytes: Buffer;
}

/** Why `value` cannot be an encryption key (32 bytes as base64), or null. */
export function encryptionKeyProblem(value: string): string | null {
  const bytes = Buffer.from(value, 'base64');
  if (bytes.length !== 32 || bytes.toString('base64') !== value.trim()) {
    return 'an encryption key is 32 random bytes in base64 (openssl rand -base64 32)';
  }
  return null;
}

function keyOf(value: string, field: string): Key {
  const problem = encryptionKeyProblem(value);
  if (problem) throw new Error(`webhooks ${field}: ${problem}`);
  const bytes = Buffer.from(value, 'base64');
  return { id: nodeCrypto().createHash('sha256').update(bytes).digest('hex').slice(0, 8), bytes };
}

export class Sealer {
  private readonly current: Key | null;
  private readonly keys = new Map<string, Key>();

  /** `current` seals (empty: values are stored as given); `previous` only open. */
  constructor(current: string, previous: readonly string[] = []) {
    this.current = current ? keyOf(current, 'security.encryptionKey') : null;
    for (const [i, value] of previous.entries()) {
      const key = keyOf(value, `security.previousEncryptionKeys[${i}]`);
      this.keys.set(key.id, key);
    }
    if (this.current) this.keys.set(this.current.id, this.current);
  }

  /** Whether values are sealed at all. */
  get enabled(): boolean {
    return this.current !== null;
  }

  seal(plaintext: string): string {
    if (!this.current) return plaintext;
    const iv = nodeCrypto().randomBytes(IV_BYTES);
    const cipher = nodeCrypto().createCipheriv('aes-256-gcm', this.current.bytes, iv);
    const body = Buffer.concat([iv, cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()]);
    return `${PREFIX}${this.current.id}:${body.toString('base64')}`;
  }

  /** The plaintext of a stored value (plaintext rows pass through). Throws naming the key id it lacks. */
  open(stored: string): string {
    if (!stored.startsWith(PREFIX)) return stored;
    const [id, encoded] = stored.slice(PREFIX.length).split(':');
    const key = this.keys.get(id);
    if (!key) {
      throw new Error(
        `a webhook endpoint was encrypted with key ${id}, which is neither security.encryptionKey nor one of security.previousEncryptionKeys`,
      );
    }
    const body = Buffer.from(encoded, 'base64');
    const decipher = nodeCrypto().createDecipheriv('aes-256-gcm', key.bytes, body.subarray(0, IV_BYTES));
    decipher.setAuthTag(body.subarray(body.length - TAG_BYTES));
    return Buffer.concat([
      decipher.update(body.subarray(IV_BYTES, body.length - TAG_BYTES)),
      decipher.final(),
    ]).toString('utf8');
  }

  sealHeaders(headers: Record<string, string>): Record<string, string> {
    if (!this.current || Object.keys(headers).length === 0) return headers;
    return { [SEALED_HEADERS]: this.seal(JSON.stringify(headers)) };
  }

  openHeaders(stored: Record<string, string>): Record<string, string> {
    const sealed = stored[SEALED_HEADERS];
    return sealed === undefined ? stored : (JSON.parse(this.open(sealed)) as Record<string, string>);
  }

  /** Whether a stored value should be sealed again: plaintext while a key is set, or sealed under an older key. */
  stale(stored: string | null): boolean {
    if (!this.current || stored === null) return false;
    return !stored.startsWith(`${PREFIX}${this.current.id}:`);
  }

  staleHeaders(stored: Record<string, string>): boolean {
    if (!this.current || Object.keys(stored).length === 0) return false;
    const sealed = stored[SEALED_HEADERS];
    return sealed === undefined || this.stale(sealed);
  }
}
