import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { graphql, parse } from 'graphql';
import { makeExecutableSchema } from '@graphql-tools/schema';
import { applyAccessRules } from '../src/shield.ts';
import { inputViolations, listInputGuards, readInputGuards } from '../src/input-guards.ts';
import { scopesForRoles, type Role } from '../src/roles.ts';
import type { Caller } from '../src/caller.ts';

const directives = `
  directive @public on OBJECT | FIELD_DEFINITION
  directive @requiresScopes(scopes: [[String!]!]!) on OBJECT | FIELD_DEFINITION
  directive @requiresScopesToSet(scopes: [[String!]!]!) on ARGUMENT_DEFINITION | INPUT_FIELD_DEFINITION
`;

/**
 * A generated family of input shapes: a chain of input types, each holding the next (optionally as a
 * list, optionally recursive on itself), with the guarded field at a random depth.
 */
const shapes = fc.record({
  depth: fc.integer({ min: 0, max: 5 }),
  lists: fc.array(fc.boolean(), { minLength: 6, maxLength: 6 }),
  recursive: fc.boolean(),
  viaArgument: fc.boolean(),
});
type Shape = typeof shapes extends fc.Arbitrary<infer T> ? T : never;

function sdlFor(s: Shape) {
  const types: string[] = [];
  for (let i = 0; i <= s.depth; i++) {
    const next = i < s.depth ? `next: ${s.lists[i] ? `[In${i + 1}!]` : `In${i + 1}`}` : 'flag: Boolean @requiresScopesToSet(scopes: [["product:archive"]])';
    types.push(`input In${i} { name: String ${next} ${s.recursive ? `self: [In${i}!]` : ''} }`);
  }
  const arg = s.viaArgument && s.depth === 0 ? 'flag: Boolean @requiresScopesToSet(scopes: [["product:archive"]])' : 'input: In0!';
  return `${directives} ${types.join('\n')} type Query { ok: String @public } type Mutation { change(${arg}): String @requiresScopes(scopes: [["product:write"]]) }`;
}

/** Arguments that set the guarded flag, wrapped as the shape says (lists, and a recursive detour). */
function argsSetting(s: Shape, value: boolean | null, detour: boolean): Record<string, unknown> {
  if (s.viaArgument && s.depth === 0) return { flag: value };
  let inner: Record<string, unknown> = { name: 'n', flag: value };
  for (let i = s.depth - 1; i >= 0; i--) inner = { name: 'n', next: s.lists[i] ? [{ name: 'x' }, inner] : inner };
  if (detour && s.recursive) inner = { name: 'outer', self: [inner] };
  return { input: inner };
}

const caller = (roles: Role[]): Caller => ({ userId: 'u1', sessionId: null, roles, scopes: scopesForRoles(roles), requestId: 'r', ip: null, userAgent: null });

describe('input guards (@requiresScopesToSet)', () => {
  it('find a guarded value at any depth, through lists and recursive types, only when set and only without the scope', () => {
    fc.assert(
      fc.property(shapes, fc.boolean(), fc.boolean(), (shape, value, detour) => {
        const doc = parse(sdlFor(shape));
        const g = readInputGuards(doc);
        const args = g.roots.get('Mutation.change');
        expect(args).toBeDefined();
        const set = argsSetting(shape, value, detour);
        expect(inputViolations(g, args!, set, scopesForRoles(['MANAGER'])).length).toBe(1);
        expect(inputViolations(g, args!, set, scopesForRoles(['ADMIN']))).toEqual([]);
        expect(inputViolations(g, args!, argsSetting(shape, null, detour), scopesForRoles(['MANAGER']))).toEqual([]);
        expect(listInputGuards(g).map((x) => x.path.at(-1))).toEqual(['flag']);
      }),
      { numRuns: 200 },
    );
  });

  it('deny the whole root field through shield, naming the input and never its value', async () => {
    await fc.assert(
      fc.asyncProperty(shapes, fc.boolean(), async (shape, value) => {
        const typeDefs = parse(sdlFor(shape));
        const calls: unknown[] = [];
        const schema = applyAccessRules(makeExecutableSchema({ typeDefs, resolvers: { Mutation: { change: (_: unknown, a: unknown) => (calls.push(a), 'changed') } } }), typeDefs, {});
        const variableType = shape.viaArgument && shape.depth === 0 ? 'Boolean' : 'In0!';
        const argName = shape.viaArgument && shape.depth === 0 ? 'flag' : 'input';
        const source = `mutation($v: ${variableType}) { change(${argName}: $v) }`;
        const variableValues = { v: argsSetting(shape, value, true)[argName] };
        const manager = await graphql({ schema, source, variableValues, contextValue: { caller: caller(['MANAGER']) } });
        expect(manager.errors?.map((e) => e.extensions.code)).toEqual(['FORBIDDEN']);
        expect(String(manager.errors?.[0]?.extensions.field)).toMatch(/flag$/);
        expect(calls).toEqual([]);
        const admin = await graphql({ schema, source, variableValues, contextValue: { caller: caller(['ADMIN']) } });
        expect(admin.errors).toBeUndefined();
        expect(admin.data).toEqual({ change: 'changed' });
      }),
      { numRuns: 60 },
    );
  });

  it('report a refused input once per request, however many aliases carry it', async () => {
    const typeDefs = parse(`${directives} input In { flag: Boolean @requiresScopesToSet(scopes: [["product:archive"]]) } type Query { ok: String @public } type Mutation { change(input: In!): String @requiresScopes(scopes: [["product:write"]]) other(input: In!): String @requiresScopes(scopes: [["product:write"]]) }`);
    // Every shape a request can repeat a refused input in: aliases, inline fragments, named fragments, two fields.
    const shape = fc.array(fc.record({ field: fc.constantFrom('change', 'other'), via: fc.constantFrom('alias', 'inline', 'named') }), { minLength: 1, maxLength: 30 });
    await fc.assert(
      fc.asyncProperty(shape, async (calls) => {
        const denied: string[] = [];
        const schema = applyAccessRules(makeExecutableSchema({ typeDefs, resolvers: { Mutation: { change: () => 'changed', other: () => 'changed' } } }), typeDefs, {}, { onDenied: (_ctx, coordinate) => denied.push(coordinate) });
        const call = (c: (typeof calls)[number], i: number) => `a${i}: ${c.field}(input: { flag: true })`;
        const selections = calls.map((c, i) => (c.via === 'alias' ? call(c, i) : c.via === 'inline' ? `... on Mutation { ${call(c, i)} }` : `...F${i}`));
        const fragments = calls.map((c, i) => (c.via === 'named' ? `fragment F${i} on Mutation { ${call(c, i)} }` : '')).join(' ');
        const r = await graphql({ schema, source: `mutation { ${selections.join(' ')} } ${fragments}`, contextValue: { caller: caller(['MANAGER']) } });
        expect(r.errors).toHaveLength(calls.length);
        expect(denied.sort()).toEqual([...new Set(calls.map((c) => `Mutation.${c.field}(input.flag)`))].sort());
      }),
      { numRuns: 60 },
    );
  });
});
