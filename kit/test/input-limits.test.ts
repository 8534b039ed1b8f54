import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { buildSchema, graphql } from 'graphql';
import { assertJsonDepth, HttpError, MAX_JSON_DEPTH, parseJsonBody } from '../src/http.ts';
import { findUnstorable, guardArguments, MAX_STRING_LENGTH, unstorableReason } from '../src/input-guard.ts';
import { testSettings } from '../src/testing/config.ts';

const seed = testSettings().propertySeed;

/** JSON nested exactly `depth` levels, strings with brackets and quotes inside to mislead a naive count. */
const nested = (depth: number, leaf: string, kinds: boolean[]) =>
  kinds.slice(0, depth).reduce((inner, isArray) => (isArray ? `[${inner}]` : `{"k":${inner}}`), JSON.stringify(leaf));

describe('JSON depth', () => {
  it('accepts JSON up to the limit and refuses anything deeper, before parsing', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: MAX_JSON_DEPTH * 3 }), fc.string({ unit: fc.constantFrom('[', ']', '{', '}', '"', '\\', 'a') }), fc.array(fc.boolean(), { minLength: MAX_JSON_DEPTH * 3, maxLength: MAX_JSON_DEPTH * 3 }), (depth, leaf, kinds) => {
        const text = nested(depth, leaf, kinds);
        if (depth <= MAX_JSON_DEPTH) expect(() => assertJsonDepth(text)).not.toThrow();
        else expect(() => assertJsonDepth(text)).toThrow(HttpError);
      }),
      { seed, numRuns: 300 },
    );
  });

  it('refuses a body of 10,000 nested arrays with 400 BAD_USER_INPUT, not a stack overflow', () => {
    const body = Buffer.from(`{"variables":{"s":${'['.repeat(10_000)}1${']'.repeat(10_000)}}}`);
    try {
      parseJsonBody(body);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(HttpError);
      expect((err as HttpError).status).toBe(400);
      expect((err as HttpError).code).toBe('BAD_USER_INPUT');
    }
  });
});

// Storable means: what UTF-8 (the wire to Postgres) carries back unchanged, and no NUL (which text cannot hold).
const storable = (s: string) => s.length <= MAX_STRING_LENGTH && !s.includes('\u0000') && Buffer.from(s, 'utf8').toString('utf8') === s;
const anyString = fc.oneof(
  fc.string({ unit: 'binary' }),
  fc.string({ unit: fc.oneof(fc.constantFrom('\u0000', '\uD800', '\uDFFF', '\uD83D', '\uDE00', 'a', 'é', '🙂'), fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c))) }),
  fc.constantFrom('x'.repeat(MAX_STRING_LENGTH), 'x'.repeat(MAX_STRING_LENGTH + 1)),
);

describe('argument guard', () => {
  it('refuses exactly the strings Postgres would not keep as sent', () => {
    fc.assert(
      fc.property(anyString, (s) => {
        expect(unstorableReason(s) === null).toBe(storable(s));
      }),
      { seed, numRuns: 2000 },
    );
  });

  it('finds the first unstorable string anywhere in nested arguments, by its path', () => {
    const tree = fc.letrec((tie) => ({
      node: fc.oneof({ depthSize: 'small' }, anyString, fc.integer(), fc.array(tie('node'), { maxLength: 4 }), fc.dictionary(fc.string({ unit: fc.constantFrom('a', 'b', 'c') , minLength: 1 }), tie('node'), { maxKeys: 4 })),
    })).node;
    fc.assert(
      fc.property(tree, (value) => {
        const found = findUnstorable({ input: value }, '');
        const all: string[] = [];
        const walk = (v: unknown, path: string) => {
          if (typeof v === 'string') return void (!storable(v) && all.push(path));
          if (Array.isArray(v)) return v.forEach((x, i) => walk(x, `${path}.${i}`));
          if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) walk(x, `${path}.${k}`);
        };
        walk(value, 'input');
        expect(found?.path ?? null).toBe(all[0] ?? null);
      }),
      { seed, numRuns: 500 },
    );
  });

  it('answers BAD_USER_INPUT with the argument path before the resolver runs, and tells onRefused first', async () => {
    const schema = buildSchema('input Line { note: String } input In { lines: [Line!] name: String } type Query { ok: Boolean } type Mutation { save(input: In!): Boolean }');
    let ran = 0;
    const refused: string[] = [];
    (schema.getMutationType()!.getFields().save!).resolve = () => ((ran += 1), true);
    guardArguments(schema, { onRefused: async (_ctx, coordinate) => void refused.push(coordinate) });
    await fc.assert(
      fc.asyncProperty(fc.array(anyString, { minLength: 1, maxLength: 4 }), anyString, async (notes, name) => {
        ran = 0;
        refused.length = 0;
        const input = { lines: notes.map((note) => ({ note })), name };
        const r = await graphql({ schema, source: 'mutation($i: In!) { save(input: $i) }', variableValues: { i: input }, contextValue: {} });
        const bad = notes.findIndex((n) => !storable(n));
        const expected = bad >= 0 ? `input.lines.${bad}.note` : storable(name) ? null : 'input.name';
        if (expected === null) {
          expect(r.errors).toBeUndefined();
          expect(ran).toBe(1);
        } else {
          expect(r.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: expected });
          expect(r.errors?.[0]?.message.startsWith(expected)).toBe(true);
          expect(ran).toBe(0);
          expect(refused).toEqual(['Mutation.save']);
        }
      }),
      { seed, numRuns: 300 },
    );
  });
});
