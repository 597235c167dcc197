/**
 * An example third-party plugin with tables of its own, on both stores: it lets users
 * pin a message with a note and lists a channel's pins. Its tables are declared once
 * per dialect (`schema.ts`, `schema.pg.ts`), each with its drizzle-kit migrations
 * (`drizzle/sqlite`, `drizzle/pg`), which the hub applies before `setup` on whichever
 * store it runs. Load it with a module path in relaykit.config.yaml:
 *
 * ```yaml
 * plugins:
 *   pins:
 *     module: ./examples/custom-plugin/pins/index.ts
 * ```
 */
import { fileURLToPath } from 'node:url';
import { asc, eq } from 'drizzle-orm';
import { definePlugin, Elysia, errorResponses, HubError, Type, t } from 'relaykit';
import { type Pin, pins as sqlitePins } from './schema.ts';

/**
 * The plugin's tables for each dialect; `ctx.storage.tables` picks the hub's. The
 * PostgreSQL twin is imported only on PostgreSQL, so a SQLite hub never loads pg-core.
 */
const tables = {
  sqlite: { pins: sqlitePins },
  postgres: () => import('./schema.pg.ts').then((pg) => ({ pins: pg.pins })),
};

const PinsOptions = Type.Object(
  {
    maxNoteLength: Type.Integer({
      minimum: 1,
      maximum: 10_000,
      default: 500,
      description: 'The longest note a pin may carry, in characters',
    }),
  },
  { default: {} },
);

const PinSchema = t.Object({
  messageId: t.Integer(),
  channel: t.Union([t.String(), t.Null()]),
  note: t.String(),
  pinnedAt: t.Integer({ description: 'When it was pinned, in ms since the epoch' }),
});

export default definePlugin({
  name: 'pins',
  description: 'Pins messages with a note, kept in its own table on SQLite or PostgreSQL (an example plugin)',
  options: PinsOptions,
  migrations: {
    sqlite: fileURLToPath(new URL('./drizzle/sqlite', import.meta.url)),
    postgres: fileURLToPath(new URL('./drizzle/pg', import.meta.url)),
  },
  async setup(ctx) {
    const { pins } = await ctx.storage.tables(tables);
    const { db } = ctx.storage;

    return {
      routes: () =>
        new Elysia({ name: 'relaykit-pins', detail: { tags: ['pins'] } })
          .put(
            '/pins/:id',
            async ({ params, body }) => {
              const message = await ctx.messages.get(params.id);
              if (!message) throw new HubError('RELAYKIT_ERR_MESSAGE_NOT_FOUND', `No message has id ${params.id}`);
              const pin: Pin = {
                messageId: message.id,
                channel: message.channel ?? null,
                note: body.note,
                pinnedAt: ctx.clock.now(),
              };
              // Both dialects share returning() and onConflictDoUpdate: pinning again replaces the note.
              const [saved] = await db
                .insert(pins)
                .values(pin)
                .onConflictDoUpdate({ target: pins.messageId, set: { note: pin.note, pinnedAt: pin.pinnedAt } })
                .returning();
              return saved;
            },
            {
              params: t.Object({ id: t.Integer({ minimum: 1 }) }),
              body: t.Object({ note: t.String({ maxLength: ctx.options.maxNoteLength }) }),
              response: { 200: PinSchema, ...errorResponses(404, 422) },
              detail: { summary: 'Pin a message with a note (again: replace the note)' },
            },
          )
          .get(
            '/pins',
            async ({ query }) => {
              const where = query.channel === undefined ? undefined : eq(pins.channel, query.channel);
              return { pins: await db.select().from(pins).where(where).orderBy(asc(pins.messageId)) };
            },
            {
              query: t.Object({ channel: t.Optional(t.String()) }),
              response: { 200: t.Object({ pins: t.Array(PinSchema) }) },
              detail: { summary: 'Pinned messages, oldest message first, of one channel or all' },
            },
          )
          .delete(
            '/pins/:id',
            async ({ params, set }) => {
              const removed = await db.delete(pins).where(eq(pins.messageId, params.id)).returning();
              if (!removed.length) throw new HubError('RELAYKIT_ERR_NOT_FOUND', `Message ${params.id} is not pinned`);
              set.status = 204;
            },
            {
              params: t.Object({ id: t.Integer({ minimum: 1 }) }),
              response: { 204: t.Void(), ...errorResponses(404) },
              detail: { summary: 'Unpin a message' },
            },
          ),
    };
  },
});
