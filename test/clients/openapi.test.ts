/**
 * What makes the OpenAPI document good enough to generate a good client from, checked
 * on the document of a hub with every built-in plugin enabled (the one the committed
 * client comes from). A new route group or route fails here until it follows suit.
 */
import { beforeAll, describe, expect, test } from 'bun:test';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { openApiDocument } from '../../src/cli/main.ts';

interface Operation {
  operationId?: string;
  tags?: string[];
  summary?: string;
  requestBody?: { content: Record<string, unknown> };
  responses: Record<string, { content?: Record<string, { schema?: { $ref?: string } }> }>;
  parameters?: Array<{ in: string; schema: Record<string, unknown> }>;
}

interface Document {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, unknown> };
}

/** What @elysiajs/openapi calls an operation without an explicit operationId (`getWsChannelsByChannel`). */
function elysiaDefaultId(method: string, path: string): string {
  const words = path
    .split('/')
    .filter(Boolean)
    .map((part) => (part.startsWith('{') ? `By${cap(part.slice(1, -1))}` : cap(part)));
  return method + words.join('');
}
const cap = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

describe('the OpenAPI document', () => {
  let doc: Document;
  const operations: Array<[string, string, Operation]> = [];
  beforeAll(async () => {
    doc = (await openApiDocument({})) as Document;
    for (const [path, item] of Object.entries(doc.paths))
      for (const [method, op] of Object.entries(item)) operations.push([method, path, op]);
  });

  test('every operation has a chosen, unique camelCase operationId and a summary', () => {
    const ids = operations.map(([, , op]) => op.operationId);
    expect(new Set(ids).size).toBe(ids.length);
    const unchosen = operations
      .filter(([method, path, op]) => !op.operationId || op.operationId === elysiaDefaultId(method, path))
      .map(([method, path]) => `${method.toUpperCase()} ${path}`);
    expect(unchosen).toEqual([]);
    for (const [, , op] of operations) {
      expect(op.operationId).toMatch(/^[a-z][A-Za-z]+$/);
      expect(op.summary).toBeString();
    }
  });

  test('request bodies are JSON only', () => {
    for (const [, , op] of operations)
      if (op.requestBody) expect(Object.keys(op.requestBody.content)).toEqual(['application/json']);
  });

  test('every error response is the shared ErrorResponse schema', () => {
    expect(doc.components.schemas.ErrorResponse).toBeDefined();
    const untyped: string[] = [];
    for (const [method, path, op] of operations) {
      for (const [status, response] of Object.entries(op.responses)) {
        // Health probes answer 503 with their own health+json document, by design (RFC draft-inadarei).
        if (Number(status) < 400 || path.startsWith('/health/')) continue;
        if (response.content?.['application/json']?.schema?.$ref !== '#/components/schemas/ErrorResponse')
          untyped.push(`${method.toUpperCase()} ${path} ${status}`);
      }
    }
    expect(untyped).toEqual([]);
  });

  test('numbers are documented as numbers, not as the string-or-number unions Elysia validates', () => {
    const text = JSON.stringify(doc);
    expect(text).not.toContain('"format":"integer"');
    expect(text).not.toContain('"format":"numeric"');
  });

  test('every route group (tag) is driven through the generated client by a test in test/clients', () => {
    const tags = new Set(operations.flatMap(([, , op]) => op.tags ?? []));
    const missing = [...tags].filter((tag) => !existsSync(join(import.meta.dir, `${tag}.test.ts`)));
    expect(missing).toEqual([]);
  });
});
