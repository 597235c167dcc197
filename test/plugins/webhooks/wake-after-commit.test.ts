import { afterEach, expect, test } from 'bun:test';
import { Type } from '@sinclair/typebox';
import { builtinPlugins } from '../../../plugins/index.ts';
import { ManualClock } from '../../../src/kernel/clock.ts';
import { definePlugin } from '../../../src/kernel/plugin.ts';
import { createTestDatabase } from '../../helpers/postgres.ts';
import { type Receiver, received, startReceiver, startWebhookHub, type WebhookHub } from './helpers.ts';

/**
 * The worker is woken by a message's deliveries only once they have committed. On
 * PostgreSQL the worker claims on another connection: woken from inside the message's
 * transaction, it could claim before the commit, see no due row, and (with a clock
 * that never moves, so no poll) never look again: the delivery sat in the outbox.
 * A plugin whose hook runs after the outbox write holds the transaction open, so the
 * worker's claim always runs before the commit if it is woken too early.
 */
const db = await createTestDatabase(import.meta.path);
/** Long enough for an early-woken worker to claim (it claims on the next turn of the event loop). */
const HOLD_MS = 300;

let hub: WebhookHub | null = null;
let receiver: Receiver | null = null;
afterEach(async () => {
  await hub?.stop();
  hub = null;
  await receiver?.stop();
});

const slowCommit = definePlugin({
  name: 'slow-commit',
  description: 'Keeps each message transaction open a while after the other hooks wrote',
  options: Type.Object({}, { default: {} }),
  setup: () => ({
    messageHooks: {
      async afterInsert() {
        await new Promise((resolve) => setTimeout(resolve, HOLD_MS));
      },
    },
  }),
});

test.skipIf(!db)('a message committed after the worker looked is still delivered without a poll', async () => {
  receiver = startReceiver();
  hub = await startWebhookHub({
    clock: new ManualClock(Date.UTC(2026, 5, 1)),
    storageUrl: db!.url({ schema: 'wake' }),
    plugins: [...builtinPlugins, slowCommit],
  });
  await hub.endpoint({ url: `${receiver.url}/hook`, events: ['message.sent'] });
  const message = await hub.send({ channel: 'c' });
  await received(receiver, 1, 3000);
  expect(JSON.parse(receiver.requests[0].body).data.id).toBe(message.id);
});
