import { openapi } from '@elysiajs/openapi';
import { type AnyElysia, Elysia } from 'elysia';
import type { AppParts } from './app.ts';
import { allErrors } from './errors.ts';
import { refineDocument } from './openapi.ts';

/** Tags that describe the kernel's route groups in the OpenAPI document. */
const CORE_TAGS = [
  { name: 'messages', description: 'Send, read and acknowledge messages' },
  { name: 'admin', description: 'Plugins and configuration (admin token)' },
];

/**
 * The app that answers `/openapi` (the reference page) and `/openapi/json` (the
 * document, refined for generated clients by `refineDocument`): @elysiajs/openapi
 * over the same route groups as the serving app. The serving app builds it on the
 * first request for either path (src/kernel/app.ts), so neither loading
 * @elysiajs/openapi nor its hooks cost anything on the way to the first response or
 * on any other request. A fresh openapi() each build: the plugin caches its document
 * per instance.
 */
export function documentationApp(parts: AppParts): AnyElysia {
  const webhooks = parts.webhooks?.() ?? {};
  const app = new Elysia({ name: 'relaykit-docs', normalize: false })
    .onAfterHandle(function refineOpenApi({ response }) {
      if (response && typeof response === 'object' && !(response instanceof Response)) return refineDocument(response);
    })
    .use(
      openapi({
        path: '/openapi',
        // The page is openapi-viewer.ts' (a bundled viewer); the plugin's would load one from a CDN.
        provider: null,
        documentation: {
          info: {
            title: 'Relaykit',
            version: parts.version,
            description: `The Relaykit realtime event hub. Errors share one shape; codes: ${[...allErrors().keys()].join(', ')}.`,
          },
          tags: [...CORE_TAGS, ...(parts.tags ?? [])],
          ...(Object.keys(webhooks).length ? { webhooks } : {}),
          components: {
            securitySchemes: { adminToken: { type: 'http', scheme: 'bearer' } },
          },
        },
      }),
    );
  for (const group of parts.routes) app.use(group);
  return app;
}
