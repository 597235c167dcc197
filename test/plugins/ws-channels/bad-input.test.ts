import { afterEach, describe, expect, test } from 'bun:test';
import { startTestHub, type TestHub } from '../../helpers/hub.ts';
import { TestClient } from './client.ts';

let t: TestHub;
afterEach(async () => {
  await t?.stop();
});

describe('ws-channels bad input', () => {
  test('malformed, unknown and invalid frames get an error frame and the connection stays open', async () => {
    t = await startTestHub();
    const c = await TestClient.ready(t.url);

    c.send('{not json');
    expect(await c.next('error')).toMatchObject({ code: 'RELAYKIT_ERR_WS_MALFORMED_FRAME' });
    c.send('[1,2]');
    expect(await c.next('error')).toMatchObject({ code: 'RELAYKIT_ERR_WS_MALFORMED_FRAME' });
    c.send({ type: 'dance', id: 'd1' });
    expect(await c.next('error')).toMatchObject({ code: 'RELAYKIT_ERR_WS_UNKNOWN_FRAME', id: 'd1' });
    c.send({ type: 'subscribe', id: 's1', channels: 'orders' });
    const invalid = await c.next('error');
    expect(invalid).toMatchObject({ code: 'RELAYKIT_ERR_WS_INVALID_FRAME', id: 's1' });
    expect(invalid.message).toContain('channels');
    c.send({ type: 'subscribe', id: 's2', channels: ['bad name!'] });
    expect(await c.next('error')).toMatchObject({ code: 'RELAYKIT_ERR_WS_CHANNEL_INVALID', id: 's2' });
    c.send({ type: 'subscribe', id: 's3', channels: ['ok'], since: -1 });
    expect(await c.next('error')).toMatchObject({ code: 'RELAYKIT_ERR_WS_INVALID_FRAME', id: 's3' });
    c.ws.send(new Uint8Array([1, 2, 3]));
    expect((await c.next('error')).message).toContain('Binary');

    expect(await c.request({ type: 'subscribe', channels: ['ok'] })).toMatchObject({ type: 'subscribed' });
    expect(c.closed).toBeNull();
    c.close();
  });

  test('a frame over maxFrameBytes closes that connection with 1009; others keep being served', async () => {
    t = await startTestHub({ overrides: { plugins: { 'ws-channels': { maxFrameBytes: 1024 } } } });
    const bystander = await TestClient.ready(t.url);
    await bystander.request({ type: 'subscribe', channels: ['news'] });
    const big = await TestClient.ready(t.url);
    // Exactly at the limit is fine (multi-byte characters count as bytes).
    const empty = JSON.stringify({ type: 'ping', pad: '' }).length;
    const atLimit = JSON.stringify({ type: 'ping', pad: 'é'.repeat((1024 - empty) / 2) });
    expect(Buffer.byteLength(atLimit)).toBe(1024);
    big.send(atLimit);
    expect(await big.next('pong')).toBeDefined();
    big.send({ type: 'ping', pad: 'x'.repeat(1024) });
    expect((await big.waitClosed()).code).toBe(1009);

    const m = await t.hub.messages.send({ channel: 'news', type: 'n', payload: 1 });
    expect((await bystander.waitForEvents(1))[0].id).toBe(m.id);
    bystander.close();
  });

  test('channels outside the configured patterns do not exist', async () => {
    t = await startTestHub({
      overrides: { plugins: { 'ws-channels': { channels: ['room.*'], maxSubscriptions: 2 } } },
    });
    const c = await TestClient.ready(t.url);
    expect(await c.request({ type: 'subscribe', channels: ['lobby'] })).toMatchObject({
      code: 'RELAYKIT_ERR_WS_CHANNEL_INVALID',
    });
    expect(await c.request({ type: 'subscribe', channels: ['room.1', 'room.2'] })).toMatchObject({
      type: 'subscribed',
    });
    expect(await c.request({ type: 'subscribe', channels: ['room.3'] })).toMatchObject({
      code: 'RELAYKIT_ERR_WS_TOO_MANY_SUBSCRIPTIONS',
    });
    c.close();
  });
});
