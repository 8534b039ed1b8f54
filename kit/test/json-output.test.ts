import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { parseConstValue } from 'graphql';
import { PublicError } from '@palisade/auth';
import { JSONOutputScalar } from '../src/scalars.ts';

/** What a refusal must be: a contract error on the input, not an internal error or a value let through. */
const refusedAsInput = (run: () => unknown) => {
  try {
    run();
  } catch (err) {
    return err instanceof PublicError && err.extensions.code === 'BAD_USER_INPUT';
  }
  return false;
};

// A literal for any JSON value, as a client could write it in a query.
const literal = (v: unknown): string =>
  v === null ? 'null' : Array.isArray(v) ? `[${v.map(literal).join(', ')}]` : typeof v === 'object' ? `{${Object.entries(v as object).map(([k, x]) => `k${k.replace(/\W/g, '')}: ${literal(x)}`).join(', ')}}` : JSON.stringify(v);

describe('JSONOutputScalar', () => {
  it('refuses every input value, as a variable or a literal', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        expect(refusedAsInput(() => JSONOutputScalar.parseValue(v))).toBe(true);
        expect(refusedAsInput(() => JSONOutputScalar.parseLiteral(parseConstValue(literal(v)), {}))).toBe(true);
      }),
    );
  });

  it('answers with objects only', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue()), (o) => {
        expect(JSONOutputScalar.serialize(o)).toBe(o);
      }),
    );
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.double(), fc.boolean(), fc.constant(null), fc.array(fc.jsonValue())), (v) => {
        expect(() => JSONOutputScalar.serialize(v)).toThrow();
      }),
    );
  });
});
