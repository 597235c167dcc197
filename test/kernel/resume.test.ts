import { describe, expect, test } from 'bun:test';
import { setImmediate } from 'node:timers';
import { Resume, type ResumeSink } from '../../src/messages/resume.ts';
import type { Message } from '../../src/messages/types.ts';

function message(id: number): Message {
  return {
    id,
    channel: 'c',
    to: null,
    from: null,
    type: 't',
    payload: id,
    createdAt: new Date(0).toISOString(),
    expiresAt: null,
    deliveredAt: null,
  };
}

/** A log of `count` messages read from a store that answers at once, like SQLite. */
function instantSource(count: number, pageSize: number) {
  return {
    read: async (cursor: number) => {
      const messages = Array.from({ length: Math.max(0, Math.min(pageSize, count - cursor)) }, (_, i) =>
        message(cursor + i + 1),
      );
      return { messages, complete: messages.length < pageSize };
    },
    published: () => count,
  };
}

/** A subscriber that records the ids it is sent, from the backlog and the hold buffer alike. */
function recorder(sent: number[]): ResumeSink {
  return {
    open: true,
    replay: (m) => {
      sent.push(m.id);
    },
    deliverHeld: (m) => {
      sent.push(m.id);
    },
    goLive: () => {},
  };
}

describe('the shared resume engine', () => {
  test('a long backlog from a store that answers at once leaves the event loop free between pages', async () => {
    const sent: number[] = [];
    let turns = 0;
    let running = true;
    const other = () => {
      turns++;
      if (running) setImmediate(other);
    };
    setImmediate(other);
    const result = await new Resume(0, () => true).run(instantSource(1_000, 10), recorder(sent));
    running = false;
    expect(result).toEqual({ replayed: 1_000, cursor: 1_000 });
    expect(sent).toEqual(Array.from({ length: 1_000 }, (_, i) => i + 1));
    // 100 pages: other work got a turn between (nearly) every two of them.
    expect(turns).toBeGreaterThanOrEqual(90);
  });

  test('messages offered while the backlog is read are sent once, in order, when it goes live', async () => {
    const sent: number[] = [];
    const resume = new Resume(0, (m) => m.channel === 'c');
    let count = 30;
    const source = {
      read: async (cursor: number) => {
        // Two messages commit (and reach the live path) during each read.
        for (let i = 0; i < 2 && count < 40; i++) resume.offer(message(++count));
        return instantSource(count, 10).read(cursor);
      },
      published: () => count,
    };
    const result = await resume.run(source, recorder(sent));
    // Some commits landed during the reads, and each id went out exactly once.
    expect(count).toBeGreaterThan(30);
    expect(sent).toEqual(Array.from({ length: count }, (_, i) => i + 1));
    expect(result.cursor).toBe(count);
  });
});
