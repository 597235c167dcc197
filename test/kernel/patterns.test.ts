import { expect, test } from 'bun:test';
import { compilePatterns, matchesPattern } from '../../src/kernel/bus.ts';

test('compiled patterns match exactly what matchesPattern matches', () => {
  const names = ['message.sent', 'message.delivered', 'client.connected', 'webhook.endpoint.disabled', 'a.b', 'axb'];
  for (const patterns of [['*'], ['message.*'], ['message.sent', 'client.*'], ['a.b'], ['*.disabled', 'x*y'], []]) {
    const compiled = compilePatterns(patterns);
    for (const name of names) {
      expect([patterns, name, compiled(name)]).toEqual([patterns, name, patterns.some((p) => matchesPattern(p, name))]);
    }
  }
});

test('ReDoS: a pattern of many stars against a long name is answered at once (the audit finding 4)', () => {
  const bomb = `${'*'.repeat(40)}Z`;
  const name = 'relaykit_http_request_duration_seconds_bucket_'.repeat(20);
  const start = performance.now();
  expect(matchesPattern(bomb, name)).toBe(false);
  expect(compilePatterns([bomb, `a${'*a'.repeat(30)}*b`])(name)).toBe(false);
  expect(performance.now() - start).toBeLessThan(50);
  // Still right on the cases that need every piece in order.
  expect(matchesPattern('a*b*c', 'axxbyyc')).toBe(true);
  expect(matchesPattern('a*b*c', 'axxcyyb')).toBe(false);
  expect(matchesPattern('ab*ba', 'aba')).toBe(false);
  expect(matchesPattern('*.*', 'a.b')).toBe(true);
});
