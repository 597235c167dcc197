import { describe, expect, test } from 'bun:test';
import {
  dataOf,
  payloadOf,
  pusherChannel,
  relaykitChannel,
  validChannelName,
} from '../../../plugins/pusher/protocol.ts';
import { NAME_PATTERN } from '../../../src/messages/routes.ts';

describe('the Pusher ↔ Relaykit mapping', () => {
  test('channel names round-trip and land inside Relaykit’s channel name rule', () => {
    const rule = new RegExp(NAME_PATTERN);
    for (const name of ['chat', 'private-orders', 'presence-room.1', 'a=b,c;d@e', '#server-to-user-42', '_-x']) {
      const mapped = relaykitChannel('app-1', name);
      expect(mapped.startsWith('pusher.app-1.')).toBe(true);
      expect(rule.test(mapped)).toBe(true);
      expect(pusherChannel(mapped)).toEqual({ appId: 'app-1', channel: name });
    }
    expect(relaykitChannel('app-1', 'a=b')).toBe('pusher.app-1.a:3Db');
    expect(pusherChannel('orders.eu')).toBeNull();
    expect(pusherChannel('pusher.nodot')).toBeNull();
  });

  test('event data: JSON becomes the payload, other strings stay strings, and both come back as sent', () => {
    for (const [data, payload] of [
      ['{"a":1}', { a: 1 }],
      ['[1,2]', [1, 2]],
      ['42', 42],
      ['null', null],
      ['hello', 'hello'],
      ['"quoted"', '"quoted"'],
    ] as const) {
      expect(payloadOf(data)).toEqual(payload);
      expect(dataOf(payloadOf(data))).toBe(data);
    }
    expect(payloadOf({ typing: true })).toEqual({ typing: true });
  });

  test('channel names follow Pusher’s rule', () => {
    expect(validChannelName('private-A_b-c=d@e,f.g;h')).toBe(true);
    expect(validChannelName('x'.repeat(164))).toBe(true);
    expect(validChannelName('x'.repeat(165))).toBe(false);
    expect(validChannelName('')).toBe(false);
    expect(validChannelName('has space')).toBe(false);
    expect(validChannelName('émoji')).toBe(false);
  });
});
