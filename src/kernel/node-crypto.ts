/**
 * `node:crypto`, loaded at its first use rather than when a module that may need it is
 * loaded: on Bun it brings Node's stream classes with it (about 4% of the binary's cold
 * start), and nothing on the way to a start's first request needs it. Hashing API keys
 * and tokens, idempotency keys, sealing and signing webhooks all happen later (or at
 * start only when configured: a webhook encryption key, static API keys).
 */
import type * as NodeCrypto from 'node:crypto';

let loaded: typeof NodeCrypto | null = null;

export function nodeCrypto(): typeof NodeCrypto {
  loaded ??= process.getBuiltinModule('node:crypto');
  return loaded;
}
