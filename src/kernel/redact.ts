import type { TSchema } from '@sinclair/typebox';

const SECRET = 'x-relaykit-secret';
export const REDACTED = '[redacted]';

/** A copy of `value` with every field its schema marks secret replaced by `[redacted]`. */
export function redact(schema: TSchema, value: unknown): unknown {
  const s = schema as Record<string, unknown>;
  if (value === undefined || value === null) return value;
  if (s[SECRET]) return REDACTED;
  if (s.type === 'object' && typeof value === 'object' && !Array.isArray(value)) {
    const props = (s.properties ?? {}) as Record<string, TSchema>;
    const out: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
      out[key] = props[key] ? redact(props[key], v) : v;
    }
    return out;
  }
  if (s.type === 'array' && Array.isArray(value) && s.items) {
    return value.map((v) => redact(s.items as TSchema, v));
  }
  return value;
}
