import { type IntegerOptions, type TInteger, Type } from '@sinclair/typebox';
import { t } from 'elysia';
import { compile } from 'elysia/type-system/utils';

/**
 * Elysia's `t.Integer` (an integer, or a string holding one: query strings and path
 * parameters arrive as strings), with the same schema, decoding and errors, except that
 * its number check is compiled on the first decode. `t.Integer` compiles it when the
 * schema is made: for the hub's ~95 integer fields, made when the modules load and again
 * at every rebuild of the routes, that was about 5% of a cold start, mostly for fields
 * of responses, which never decode.
 */
export function Integer(options?: IntegerOptions): TInteger {
  const schema = Type.Integer(options);
  let compiler: ReturnType<typeof compile> | undefined;
  return t
    .Transform(t.Union([t.String({ format: 'integer', default: 0 }), Type.Integer(options)], options))
    .Decode((value) => {
      const number = +value;
      compiler ??= compile(schema);
      if (!compiler.Check(number)) throw compiler.Error(number);
      return number;
    })
    .Encode((value) => value) as unknown as TInteger; // typed as Elysia types `t.Integer`
}
