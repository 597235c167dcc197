import type { AuthConfig } from '../../config/schema.ts';

/** How a new auth section differs from the running one, by field name (never values). */
export interface AuthDiff {
  /** Changes that give anyone more rights than before: a file reload with any of them is refused. */
  weaker: string[];
  /** Every other change (rotated secrets, new keys, stricter rules): applied and logged. */
  changed: string[];
}

/**
 * Compares two auth sections. Reloads fail closed: a deleted, emptied or truncated
 * file loses its auth section, which shows up here as weaker, and the running config
 * keeps serving. Weakening auth on purpose takes a restart.
 */
export function diffAuth(before: AuthConfig, after: AuthConfig): AuthDiff {
  const weaker: string[] = [];
  const changed: string[] = [];
  const note = (field: string, isWeaker: boolean) => (isWeaker ? weaker : changed).push(field);

  if (before.adminToken !== after.adminToken) note('auth.adminToken', Boolean(before.adminToken && !after.adminToken));
  if (before.open !== after.open) note('auth.open', after.open);
  if (before.jwt.required !== after.jwt.required) note('auth.jwt.required', !after.jwt.required);
  if (before.jwt.requireExpiry !== after.jwt.requireExpiry) note('auth.jwt.requireExpiry', !after.jwt.requireExpiry);
  const verifier = (a: AuthConfig) => [a.jwt.secret, a.jwt.publicKey, a.jwt.jwksUrl, a.jwt.issuer, a.jwt.audience];
  const [b, a] = [verifier(before), verifier(after)];
  if (b.some((v, i) => v !== a[i])) {
    const hadVerifier = Boolean(b[0] || b[1] || b[2]);
    const hasVerifier = Boolean(a[0] || a[1] || a[2]);
    // Dropping issuer or audience checks accepts more tokens.
    const droppedClaim = (b[3] && !a[3]) || (b[4] && !a[4]);
    note('auth.jwt', (hadVerifier && !hasVerifier) || Boolean(droppedClaim));
  }
  const keys = new Map(before.apiKeys.map((k) => [k.name, JSON.stringify(k)]));
  for (const key of after.apiKeys) {
    const old = keys.get(key.name);
    if (old === undefined) changed.push(`auth.apiKeys.${key.name} (added)`);
    else if (old !== JSON.stringify(key)) {
      const prior = JSON.parse(old) as typeof key;
      note(`auth.apiKeys.${key.name}`, grew(prior.scopes, key.scopes));
    }
    keys.delete(key.name);
  }
  // A key that disappears takes away rights; it is weaker when it was the last credential.
  for (const name of keys.keys()) note(`auth.apiKeys.${name} (removed)`, after.apiKeys.length === 0);
  if (patternsGrew(before.anonymous.read, after.anonymous.read)) weaker.push('auth.anonymous.read');
  else if (String(before.anonymous.read) !== String(after.anonymous.read)) changed.push('auth.anonymous.read');
  if (patternsGrew(before.anonymous.publish, after.anonymous.publish)) weaker.push('auth.anonymous.publish');
  else if (String(before.anonymous.publish) !== String(after.anonymous.publish)) changed.push('auth.anonymous.publish');
  return { weaker, changed };
}

function grew(
  before: { publish: string[]; read: string[]; to: string[]; actAs: string[]; admin: boolean },
  after: typeof before,
): boolean {
  return (
    (after.admin && !before.admin) ||
    patternsGrew(before.publish, after.publish) ||
    patternsGrew(before.read, after.read) ||
    patternsGrew(before.to, after.to) ||
    patternsGrew(before.actAs, after.actAs)
  );
}

function patternsGrew(before: readonly string[], after: readonly string[]): boolean {
  return after.some((p) => !before.includes(p));
}
