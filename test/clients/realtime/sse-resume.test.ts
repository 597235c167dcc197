import { afterEach, describe, expect, test } from 'bun:test';
import { EventSource } from 'eventsource';
import { SignJWT } from 'jose';
import { type RealtimeEvent, RealtimeStream, type SseGapData } from '../../../clients/realtime/src/index.ts';
import { HeldTimers, HubUnderTest, ids, waitFor } from './helpers.ts';

let hub: HubUnderTest | null = null;
let stream: RealtimeStream | null = null;
afterEach(async () => {
  stream?.close();
  await hub?.dispose();
  hub = stream = null;
});

/** The fetch transport (Bun, Node), and EventSource as browsers and Deno have it (here the `eventsource` package). */
const TRANSPORTS = [
  { name: 'fetch', options: { transport: 'fetch' as const } },
  { name: 'EventSource', options: { transport: 'eventsource' as const, EventSource } },
];

describe.each(TRANSPORTS)('SSE helper over $name', ({ options }) => {
  test('resumes across a hub crash and restart with every message once, in order', async () => {
    hub = await HubUnderTest.start();
    const timers = new HeldTimers();
    stream = new RealtimeStream({
      url: hub.url,
      clientId: 'dashboard',
      channels: ['news'],
      types: ['story', 'note'],
      timers,
      reconnect: { initialDelayMs: 20, maxDelayMs: 200 },
      ...options,
    });
    const events: RealtimeEvent[] = [];
    const notes: RealtimeEvent[] = [];
    stream.on('event', (e) => events.push(e));
    stream.onDirect((e) => notes.push(e));
    expect(await stream.connect()).toMatchObject({ clientId: 'dashboard', reconnected: false, lastEventId: null });
    const before = [
      await hub.send({ channel: 'news', type: 'story', payload: { n: 1 } }),
      await hub.send({ to: 'dashboard', type: 'note', payload: { n: 2 } }),
    ];
    await waitFor(() => events.length === 2, 5000, 'the live events');

    timers.hold();
    await hub.kill('SIGKILL');
    await hub.restart();
    const missed = [
      await hub.send({ channel: 'news', type: 'story', payload: { n: 3 } }),
      await hub.send({ channel: 'sports', type: 'story', payload: { n: 0 } }),
      await hub.send({ to: 'dashboard', type: 'note', payload: { n: 4 } }),
    ].filter((_, i) => i !== 1);
    timers.release();
    await waitFor(() => stream?.state === 'open' && events.length === 4, 10_000, 'the resume');
    const live = await hub.send({ channel: 'news', type: 'story', payload: { n: 5 } });
    await waitFor(() => events.length === 5);

    expect(ids(events)).toEqual([...before, ...missed, live]);
    expect(events.map((e) => (e.data as { n: number }).n)).toEqual([1, 2, 3, 4, 5]);
    expect(events[0]).toMatchObject({ channel: 'news', event: 'story', from: null, to: null });
    expect(ids(notes)).toEqual([before[1], missed[1]]);
    expect(stream.lastEventId).toBe(live);
  });

  test('a resume point the hub cannot honour arrives as the gap event', async () => {
    hub = await HubUnderTest.start();
    await hub.send({ channel: 'news', type: 'story', payload: 1 });
    stream = new RealtimeStream({ url: hub.url, channels: ['news'], types: ['story'], lastEventId: 5000, ...options });
    const gaps: SseGapData[] = [];
    stream.on('gap', (g) => gaps.push(g));
    await stream.connect();
    await waitFor(() => gaps.length === 1);
    expect(gaps[0]).toEqual({ last_event_id: 5000, horizon: 1, reason: 'unknown' });
  });

  test('a token that expires is replaced through the provider and the stream resumes', async () => {
    const secret = 'sdk-sse-secret-of-32-characters!';
    // A short retry hint: EventSource's own reconnect (which gets the 401) comes sooner.
    hub = await HubUnderTest.start(
      `watch: false\nauth:\n  jwt:\n    secret: ${secret}\n    required: true\nplugins:\n  sse:\n    retryMs: 100\n`,
    );
    const calls: boolean[] = [];
    const sign = (seconds: number) =>
      new SignJWT({ channels: ['news'] })
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject('reader')
        // Whole seconds from the next second on: \`floor(now) + 1\` could expire a few ms after
        // signing, before the stream even opened (then nothing expires during the test).
        .setExpirationTime(Math.ceil(Date.now() / 1000) + seconds)
        .sign(new TextEncoder().encode(secret));
    let first: Promise<string> | null = null;
    stream = new RealtimeStream({
      url: hub.url,
      channels: ['news'],
      types: ['story'],
      reconnect: { initialDelayMs: 20 },
      token: ({ refresh }) => {
        calls.push(refresh);
        first ??= sign(1);
        return refresh ? sign(3600) : first;
      },
      ...options,
    });
    const events: RealtimeEvent[] = [];
    stream.on('event', (e) => events.push(e));
    // Counted as they happen: the stream may be open again before a poll of its state sees it closed.
    let drops = 0;
    stream.on('disconnected', () => {
      drops++;
    });
    expect(await stream.connect()).toMatchObject({ clientId: 'reader' });
    // The newsroom publishes with its own token (auth.jwt.required holds for REST too).
    const newsroom = {
      authorization: `Bearer ${await new SignJWT({ publish: ['news'] })
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject('newsroom')
        .setExpirationTime('1h')
        .sign(new TextEncoder().encode(secret))}`,
    };
    const a = await hub.send({ channel: 'news', type: 'story', payload: 1 }, newsroom);
    await waitFor(() => drops > 0, 5000, 'the token to expire');
    const b = await hub.send({ channel: 'news', type: 'story', payload: 2 }, newsroom);
    await waitFor(() => events.length === 2, 10_000, 'the resume with a new token');
    expect(ids(events)).toEqual([a, b]);
    expect(calls.at(-1)).toBe(true);
    // It waits for a real token to expire (up to 2 s): more than the default 5 s under load.
  }, 15_000);
});
