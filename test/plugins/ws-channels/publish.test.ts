import { afterEach, describe, expect, test } from 'bun:test';
import { SignJWT } from 'jose';
import { startTestHub, type TestHub } from '../../helpers/hub.ts';
import { TestClient } from './client.ts';

const SECRET = 'a-test-secret-of-32-characters!!';
let t: TestHub;
afterEach(async () => {
  await t?.stop();
});

describe('ws-channels publishing from clients', () => {
  test('a client allowed by its publish claim stores a message that reaches subscribers', async () => {
    t = await startTestHub({ overrides: { auth: { jwt: { secret: SECRET, required: true } } } });
    const token = await new SignJWT({ sub: 'writer', publish: ['chat.*'] })
      .setProtectedHeader({ alg: 'HS256' })
      .setExpirationTime('5m')
      .sign(new TextEncoder().encode(SECRET));
    const reader = await TestClient.ready(t.url, {
      token: await new SignJWT({ sub: 'reader' })
        .setProtectedHeader({ alg: 'HS256' })
        .setExpirationTime('5m')
        .sign(new TextEncoder().encode(SECRET)),
    });
    await reader.request({ type: 'subscribe', channels: ['chat.room'] });
    const writer = await TestClient.ready(t.url, { token });

    const ok = await writer.request({ type: 'publish', channel: 'chat.room', event: 'chat.message', payload: 'hi' });
    expect(ok).toMatchObject({ type: 'published', channel: 'chat.room' });
    const [event] = await reader.waitForEvents(1);
    expect(event).toMatchObject({ id: ok.message_id, event: 'chat.message', data: 'hi', from: 'writer' });
    expect(await t.hub.messages.get(ok.message_id as number)).toMatchObject({ channel: 'chat.room', from: 'writer' });

    const denied = await writer.request({ type: 'publish', channel: 'ops', payload: 1 });
    expect(denied).toMatchObject({ type: 'error', code: 'RELAYKIT_ERR_WS_PUBLISH_FORBIDDEN' });
    const system = await writer.request({ type: 'publish', channel: '$hub:plugin.enabled', payload: 1 });
    expect(system).toMatchObject({ type: 'error', code: 'RELAYKIT_ERR_WS_CHANNEL_INVALID' });
    reader.close();
    writer.close();
  });

  test('anonymous publishing follows anonymousPublish', async () => {
    t = await startTestHub({ overrides: { plugins: { 'ws-channels': { anonymousPublish: ['open.*'] } } } });
    const c = await TestClient.ready(t.url, { client_id: 'anon' });
    expect(await c.request({ type: 'publish', channel: 'open.x', payload: 1 })).toMatchObject({ type: 'published' });
    expect(await c.request({ type: 'publish', channel: 'closed', payload: 1 })).toMatchObject({
      code: 'RELAYKIT_ERR_WS_PUBLISH_FORBIDDEN',
    });
    c.close();
  });
});
