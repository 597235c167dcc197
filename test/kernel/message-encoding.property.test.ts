/**
 * The GET path writes a stored message's JSON by hand (src/messages/encode.ts): its
 * timestamps without a `Date`, its strings quoted without `JSON.stringify` when nothing
 * needs escaping. Both are held here to what `JSON.stringify` of the message gives.
 */
import { expect, test } from 'bun:test';
import fc from 'fast-check';
import { encodeStored, isoTime, type StoredValues } from '../../src/messages/encode.ts';

const YEAR_10000 = 253_402_300_800_000;

test('isoTime is toISOString for every whole ms from 1970 to 9999, and falls back outside', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: YEAR_10000 - 1 }), (ms) => {
      expect(isoTime(ms)).toBe(new Date(ms).toISOString());
    }),
    { numRuns: 20_000 },
  );
  for (const ms of [0, 951_782_400_000, 4_107_542_400_000, YEAR_10000 - 1, Date.UTC(2024, 1, 29, 23, 59, 59, 999)]) {
    expect(isoTime(ms)).toBe(new Date(ms).toISOString());
  }
  for (const ms of [-1, -62_198_755_200_000, YEAR_10000, 1.5]) expect(isoTime(ms)).toBe(new Date(ms).toISOString());
});

test('a stored row encodes to the bytes of JSON.stringify of the message, whatever its strings hold', () => {
  const text = fc.oneof(
    fc.string(),
    fc.string({ unit: 'binary' }),
    fc.constantFrom('room', 'a"b', 'back\\slash', 'tab\there', '\u2028', '😀', '\ud800', 'x\udfff', '\u007f'),
  );
  const time = fc.integer({ min: 0, max: YEAR_10000 - 1 });
  fc.assert(
    fc.property(
      fc.record({
        id: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
        from: fc.option(text),
        to: fc.option(text),
        channel: fc.option(text),
        type: text,
        payload: fc.jsonValue(),
        createdAt: time,
        expiresAt: fc.option(time),
        deliveredAt: fc.option(time),
      }),
      (m) => {
        const row: StoredValues = [
          m.id,
          m.from,
          m.to,
          m.channel,
          m.type,
          JSON.stringify(m.payload),
          m.createdAt,
          m.expiresAt,
          m.deliveredAt,
          null,
        ];
        const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
        const message = {
          id: m.id,
          from: m.from,
          to: m.to,
          channel: m.channel,
          type: m.type,
          payload: JSON.parse(JSON.stringify(m.payload)),
          createdAt: iso(m.createdAt),
          expiresAt: iso(m.expiresAt),
          deliveredAt: iso(m.deliveredAt),
        };
        expect(encodeStored(row)).toBe(JSON.stringify(message));
      },
    ),
    { numRuns: 5000 },
  );
});
