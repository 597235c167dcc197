/**
 * The hub's log lines are pino's, byte for byte: log shippers parse them. The hub
 * writes them itself (src/kernel/log-line.ts, without pino's transport machinery on
 * the way to a cold start's first request); these tests log the same calls through
 * pino 10 with the hub's former options and through the hub's logger, and compare.
 */
import { describe, expect, test } from 'bun:test';
import pino from 'pino';
import { jsonLogger, type Logger } from '../../src/kernel/logger.ts';

/** pino configured as the hub configured it before it wrote its own lines. */
function pinoLines(level: string): { log: Logger; lines: string[] } {
  const lines: string[] = [];
  const log = pino(
    {
      level,
      base: { service: 'relaykit' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label: string) => ({ level: label }) },
    },
    { write: (line: string) => void lines.push(line) },
  ) as unknown as Logger;
  return { log, lines };
}

function hubLines(level: string): { log: Logger; lines: string[] } {
  const lines: string[] = [];
  return { log: jsonLogger(level, (line) => void lines.push(line)), lines };
}

const ISO_TIME = /"time":"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z"/;

/** The lines with their (equally formatted) time taken out: the two loggers read the clock at different instants. */
function untimed(lines: string[]): string[] {
  return lines.map((line) => {
    expect(line).toMatch(ISO_TIME);
    return line.replace(ISO_TIME, '"time":"T"');
  });
}

/** Runs `calls` on both loggers and expects the same lines. */
function same(level: string, calls: (log: Logger) => void): string[] {
  const theirs = pinoLines(level);
  const ours = hubLines(level);
  calls(theirs.log);
  calls(ours.log);
  expect(untimed(ours.lines)).toEqual(untimed(theirs.lines));
  return ours.lines;
}

class CodedError extends Error {
  code = 'E_CODED';
  status = 502;
}

describe("the hub's log lines are pino's", () => {
  test('a message, an object with a message, and every level at and above the threshold', () => {
    const lines = same('debug', (log) => {
      log.info('relaykit stopped');
      log.info({ url: 'http://127.0.0.1:3000', plugins: ['sse', 'ttl'], n: 3, ok: true }, 'relaykit ready');
      log.trace('not written');
      log.debug({ attempts: 1 }, 'webhook retention pruned');
      log.warn({ host: '0.0.0.0' }, 'listening on every interface');
      log.error({ event: 'message.sent' }, 'event subscriber failed');
      log.fatal('the end');
    });
    expect(lines).toHaveLength(6);
    expect(lines[0]).toEndWith('"service":"relaykit","msg":"relaykit stopped"}\n');
  });

  test('child bindings, nested children, and fields that override nothing', () => {
    same('info', (log) => {
      const child = log.child({ plugin: 'webhooks' });
      child.info({ change: 'enabled' }, 'plugin enabled');
      child.child({ endpoint: 7, tags: ['a'] }).warn({ plugin: 'again' }, 'twice named');
      log.child({ skipped: undefined, level: 'not a binding', fn: () => 1 }).info('bindings pino leaves out');
    });
  });

  test('errors: under err, as the object itself, with causes, own fields and aggregates', () => {
    // Made once: their stacks name the line that made them.
    const cause = new TypeError('socket closed');
    const err = new CodedError('delivery failed', { cause });
    const many = new AggregateError([new Error('one'), new RangeError('two')], 'many');
    same('info', (log) => {
      log.error({ err, endpoint: 3 }, 'webhook delivery failed');
      log.error({ err });
      log.error(err);
      log.error(err, 'with its own message');
      log.error({ err: many }, 'many failed');
      log.warn({ err: 'not an error' }, 'a string err');
      log.warn({ err: { message: 'error-like' } });
    });
  });

  test('values: strings that need escaping, long strings, numbers JSON has no word for, nesting, undefined and functions', () => {
    same('info', (log) => {
      log.info(
        { quote: 'say "hi"\\now', control: 'tab\there', unicode: 'héllo ✓ \u2028', long: 'x"'.repeat(80) },
        'esc "msg"',
      );
      log.info({ inf: Number.POSITIVE_INFINITY, nan: Number.NaN, neg: -0, big: 2n ** 70n }, 'numbers');
      log.info({ nested: { a: [1, { b: null }], d: new Date(0) }, gone: undefined, fn: () => 1 }, 'shapes');
      log.info({ msg: 'from the object' });
      log.info({ msg: 'from the object' }, 'and the argument');
      log.info({}, 'control \u0001 in the message');
    });
  });

  test('a cycle falls back to the cycle-safe stringify', () => {
    same('info', (log) => {
      const loop: Record<string, unknown> = { name: 'loop', b: 1, a: 2 };
      loop.self = loop;
      log.info({ loop }, 'cyclic');
    });
  });

  test('silent writes nothing, and a threshold drops the levels below it', () => {
    expect(same('silent', (log) => log.fatal('nothing'))).toEqual([]);
    expect(same('warn', (log) => [log.info('dropped'), log.warn('kept')])).toHaveLength(1);
  });
});
