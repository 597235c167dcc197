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
