/**
 * The OpenAPI document as clients are generated from it. @elysiajs/openapi describes
 * Elysia's schemas as they validate; two things there make poor client types, and
 * are refined here for every route group alike (the kernel's and every plugin's):
 *
 * - Elysia's coercing types (`t.Integer`, `t.Numeric`, `t.BooleanString`) validate a
 *   string-or-value union so query strings pass; the document says what to send
 *   (`integer`, `number`, `boolean`), not `string | number`.
 * - An object schema with a `title` (`Message`, `ErrorResponse`, ...) becomes one named
 *   component referenced by `$ref`, so a client has one `Message` type rather than an
 *   anonymous copy per operation. Two different schemas sharing a title stay inline.
 * - Response schemas, and the bodies of outgoing webhooks, are open (no
 *   `additionalProperties: false`): a newer hub may add fields without breaking older
 *   clients. Elysia also writes that keyword into a response schema object the first
 *   time the route runs, which would otherwise make the document depend on which routes
 *   a process has served (the metrics snapshot schema is both a response and a webhook).
 * - What linters (`redocly lint`) expect of a 3.1 document: no leftover 3.0
 *   `nullable` (the type already lists "null"), no `content` on a 204 response,
 *   `security: []` on each public operation, a `servers` entry and a license.
 */

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

/** The `format` Elysia gives the string side of each coercing union. */
const COERCED_FORMATS = new Set(['integer', 'numeric', 'boolean']);

/** Returns a refined copy of `document` (an OpenAPI 3.1 document as @elysiajs/openapi emits it). */
export function refineDocument<T extends object>(document: T): T {
  const doc = structuredClone(document) as unknown as JsonObject;
  const paths = isObject(doc.paths) ? doc.paths : {};
  // Outgoing requests (`webhooks`, OpenAPI 3.1) are refined like the paths.
  const webhooks = isObject(doc.webhooks) ? doc.webhooks : {};
  const components = isObject(doc.components) ? doc.components : {};
  const existing = isObject(components.schemas) ? components.schemas : {};
  const named = new Map<string, { schema: JsonObject; key: string }>(
    Object.entries(existing).map(([name, schema]) => [name, { schema: schema as JsonObject, key: stableKey(schema) }]),
  );

  const hoist = (schema: Json, where: 'parameter' | 'request' | 'response'): Json => {
    if (Array.isArray(schema)) return schema.map((s) => hoist(s, where));
    if (!isObject(schema)) return schema;
    const collapsed = collapseCoercion(schema);
    const out: JsonObject = {};
    for (const [key, value] of Object.entries(collapsed)) {
      if (where === 'response' && key === 'additionalProperties' && value === false) continue;
      out[key] = hoist(value, where);
    }
    const title = typeof out.title === 'string' ? out.title : undefined;
    if (where === 'parameter' || !title || out.type !== 'object' || !/^[A-Za-z][A-Za-z0-9]*$/.test(title)) return out;
    const key = stableKey(out);
    const known = named.get(title);
    if (known && known.key !== key) return out;
    if (!known) named.set(title, { schema: out, key });
    return { $ref: `#/components/schemas/${title}` };
  };

  const items = [
    ...Object.values(paths).map((item) => [item, 'request'] as const),
    // A webhook's body is what the hub sends: open like a response, so a newer hub may add fields.
    ...Object.values(webhooks).map((item) => [item, 'response'] as const),
  ];
  for (const [item, body] of items) {
    if (!isObject(item)) continue;
    for (const operation of Object.values(item)) {
      if (!isObject(operation)) continue;
      // An operation without its own requirement is public: say so, rather than leave it undefined.
      if (!Array.isArray(operation.security)) operation.security = [];
      if (isObject(operation.responses)) dropEmptyBodies(operation.responses);
      if (Array.isArray(operation.parameters)) operation.parameters = hoist(operation.parameters, 'parameter');
      if (isObject(operation.requestBody)) operation.requestBody = hoist(operation.requestBody, body);
      if (isObject(operation.responses)) operation.responses = hoist(operation.responses, 'response');
    }
  }
  if (named.size > 0) {
    doc.components = {
      ...components,
      schemas: Object.fromEntries([...named].map(([name, { schema }]) => [name, schema])),
    };
  }
  if (!Array.isArray(doc.servers)) doc.servers = [{ url: '/', description: 'The hub serving this document' }];
  if (isObject(doc.info) && !doc.info.license) doc.info.license = { name: 'MIT', identifier: 'MIT' };
  return withoutNullable(doc) as unknown as T;
}

/** 204 and 304 responses carry no body; Elysia writes `content: { type: 'void' }` for them. */
function dropEmptyBodies(responses: JsonObject): void {
  for (const [status, response] of Object.entries(responses)) {
    if ((status === '204' || status === '304') && isObject(response)) delete response.content;
  }
}

/** OpenAPI 3.0's `nullable: true` as 3.1 says it: "null" among the types. */
function withoutNullable(value: Json): Json {
  if (Array.isArray(value)) return value.map(withoutNullable);
  if (!isObject(value)) return value;
  const { nullable, ...rest } = value;
  const out: JsonObject = {};
  for (const [key, child] of Object.entries(rest)) out[key] = withoutNullable(child);
  if (nullable !== true) return out;
  if (typeof out.type === 'string') out.type = [out.type, 'null'];
  else if (Array.isArray(out.type) && !out.type.includes('null')) out.type = [...out.type, 'null'];
  else if (Array.isArray(out.anyOf) && !out.anyOf.some((s) => isObject(s) && s.type === 'null'))
    out.anyOf = [...out.anyOf, { type: 'null' }];
  return out;
}

/** `{ anyOf: [{ type: 'string', format: 'integer' }, { type: 'integer', ... }], ...outer }` → the typed side. */
function collapseCoercion(schema: JsonObject): JsonObject {
  const union = schema.anyOf;
  if (!Array.isArray(union) || union.length !== 2) return schema;
  const asString = union.find(
    (s) => isObject(s) && s.type === 'string' && typeof s.format === 'string' && COERCED_FORMATS.has(s.format),
  );
  const typed = union.find((s) => s !== asString && isObject(s) && s.type !== 'string');
  if (!asString || !isObject(typed)) return schema;
  const { anyOf: _, ...outer } = schema;
  return { ...outer, ...typed };
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** JSON with sorted keys, to compare schemas. */
function stableKey(value: Json): string {
  return JSON.stringify(value, (_key, v: Json) =>
    isObject(v)
      ? Object.fromEntries(
          Object.keys(v)
            .sort()
            .map((k) => [k, v[k]]),
        )
      : v,
  );
}
