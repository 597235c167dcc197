import { Type } from '@sinclair/typebox';
import { Elysia, t } from 'elysia';
import { definePlugin } from '../../src/kernel/plugin.ts';

/** A tiny plugin with one route that shows its options. */
export const echoPlugin = definePlugin({
  name: 'echo',
  description: 'Answers with its greeting (test plugin)',
  options: Type.Object(
    {
      greeting: Type.String({ default: 'hello', description: 'What GET /echo answers' }),
      failToStart: Type.Boolean({ default: false, description: 'Throw from start (to test rollback)' }),
    },
    { default: {} },
  ),
  setup(ctx) {
    let starts = 0;
    return {
      start() {
        starts++;
        if (ctx.options.failToStart) throw new Error('echo was told to fail');
      },
      routes: () =>
        new Elysia({ name: 'relaykit-echo', detail: { tags: ['echo'] } }).get(
          '/echo',
          () => ({ greeting: ctx.options.greeting, starts }),
          {
            response: t.Object({ greeting: t.String(), starts: t.Integer() }),
            detail: { summary: 'Echo the greeting' },
          },
        ),
    };
  },
});

/** A plugin that depends on echo. */
export const childPlugin = definePlugin({
  name: 'child',
  options: Type.Object({}, { default: {} }),
  dependencies: ['echo'],
  enabledByDefault: false,
  setup() {
    return {
      routes: () =>
        new Elysia({ name: 'relaykit-child' }).get('/child', () => 'child', { detail: { summary: 'Child route' } }),
    };
  },
});
