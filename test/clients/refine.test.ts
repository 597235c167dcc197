import { describe, expect, test } from 'bun:test';
import { refineDocument } from '../../src/kernel/openapi.ts';

const json = (schema: object) => ({ content: { 'application/json': { schema } } });
/** The value at `path` inside a refined document. */
function at(value: unknown, ...path: Array<string | number>): unknown {
  return path.reduce<unknown>((v, key) => (v as Record<string | number, unknown> | undefined)?.[key], value);
}

const message = { title: 'Message', type: 'object', properties: { id: { type: 'integer' } } };

describe('refineDocument', () => {
  test('a coercing Elysia integer becomes the integer it stands for, keeping the outer keywords', () => {
    const doc = refineDocument({
      paths: {
        '/x': {
          get: {
            parameters: [
              {
                name: 'after',
                in: 'query',
                schema: {
                  minimum: 0,
                  description: 'cursor',
                  anyOf: [
                    { type: 'string', format: 'integer', default: 0 },
                    { type: 'integer', minimum: 0 },
                  ],
                },
              },
            ],
            responses: {},
          },
        },
      },
    });
    expect(at(doc, 'paths', '/x', 'get', 'parameters', 0, 'schema')).toEqual({
      minimum: 0,
      description: 'cursor',
      type: 'integer',
    });
  });

  test('titled object schemas become one component; a different schema with the same title stays inline', () => {
    const other = { ...message, properties: { id: { type: 'string' } } };
    const doc = refineDocument({
      paths: {
        '/a': { get: { responses: { 200: json(message) } } },
        '/b': { get: { responses: { 200: json({ type: 'array', items: message }) } } },
        '/c': { get: { responses: { 200: json(other) } } },
      },
    });
    const schemaOf = (path: string) =>
      at(doc, 'paths', path, 'get', 'responses', 200, 'content', 'application/json', 'schema');
    expect(schemaOf('/a')).toEqual({ $ref: '#/components/schemas/Message' });
    expect(schemaOf('/b')).toEqual({ type: 'array', items: { $ref: '#/components/schemas/Message' } });
    expect(schemaOf('/c')).toEqual(other);
    expect(at(doc, 'components', 'schemas')).toEqual({ Message: message });
  });

  test('response schemas are open; request bodies keep additionalProperties: false', () => {
    const closed = { type: 'object', additionalProperties: false, properties: { a: { type: 'string' } } };
    const doc = refineDocument({
      paths: { '/x': { post: { requestBody: json(closed), responses: { 200: json(closed) } } } },
    });
    const op = at(doc, 'paths', '/x', 'post');
    expect(at(op, 'requestBody', 'content', 'application/json', 'schema', 'additionalProperties')).toBe(false);
    expect(at(op, 'responses', 200, 'content', 'application/json', 'schema')).not.toHaveProperty(
      'additionalProperties',
    );
  });
});
