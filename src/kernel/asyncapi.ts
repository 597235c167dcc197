/**
 * The AsyncAPI 3 document of a hub's realtime transports, served at `/asyncapi.json`
 * and printed by `relaykit asyncapi`. Like `/openapi/json` it follows plugin swaps: each
 * running plugin may contribute a fragment through its instance's optional `asyncapi()`
 * hook, and the kernel composes them at every rebuild. The kernel names no plugin.
 */
import { Elysia } from 'elysia';

type Json = Record<string, unknown>;

/** What a plugin contributes: entries merged into the document's sections by key. */
export interface AsyncApiFragment {
  servers?: Record<string, Json>;
  channels?: Record<string, Json>;
  operations?: Record<string, Json>;
  components?: {
    messages?: Record<string, Json>;
    schemas?: Record<string, Json>;
    securitySchemes?: Record<string, Json>;
  };
}

export interface AsyncApiParts {
  version: string;
  fragments: readonly AsyncApiFragment[];
}

/** The document for `parts`; `host` (host:port) fills the servers' `host`. */
export function composeAsyncApi(parts: AsyncApiParts, host = 'localhost:3000'): Json {
  const servers: Record<string, Json> = {};
  const channels: Record<string, Json> = {};
  const operations: Record<string, Json> = {};
  const messages: Record<string, Json> = {};
  const schemas: Record<string, Json> = {};
  const securitySchemes: Record<string, Json> = {};
  for (const fragment of parts.fragments) {
    for (const [name, server] of Object.entries(fragment.servers ?? {})) servers[name] = { ...server, host };
    Object.assign(channels, fragment.channels);
    Object.assign(operations, fragment.operations);
    Object.assign(messages, fragment.components?.messages);
    Object.assign(schemas, fragment.components?.schemas);
    Object.assign(securitySchemes, fragment.components?.securitySchemes);
  }
  return {
    asyncapi: '3.0.0',
    info: {
      title: 'Relaykit realtime',
      version: parts.version,
      description:
        'The realtime transports of a Relaykit hub (the running plugins that have one). The HTTP API is described by /openapi/json.',
    },
    defaultContentType: 'application/json',
    servers,
    channels,
    operations,
    components: { messages, schemas, securitySchemes },
  };
}

/** `GET /asyncapi.json`, built from the fragments of the plugins running now, asked for at the first request. */
export function asyncApiRoutes(parts: { version: string; fragments: () => readonly AsyncApiFragment[] }) {
  let fragments: readonly AsyncApiFragment[] | null = null;
  return new Elysia({ name: 'relaykit-asyncapi' }).get(
    '/asyncapi.json',
    function asyncApiDocument({ request }) {
      fragments ??= parts.fragments();
      return composeAsyncApi({ version: parts.version, fragments }, new URL(request.url).host);
    },
    { detail: { hide: true } },
  );
}
