import { describe, expect, it } from 'vitest';
import { graphql, parse } from 'graphql';
import { makeExecutableSchema } from '@graphql-tools/schema';
import { applyAccessRules, definePolicies, type AccessContext } from '../src/shield.ts';
import { scopesForRoles, type Role } from '../src/roles.ts';
import type { Caller } from '../src/caller.ts';

// "authenticated" inside @policy is the same rule as @authenticated, so "signed in, or this policy" can be said.
const typeDefs = parse(`
  directive @policy(policies: [[String!]!]!) on OBJECT | FIELD_DEFINITION
  directive @public on OBJECT | FIELD_DEFINITION
  type Query {
    thing(id: ID!): Thing @public
    owned(id: ID!): String @policy(policies: [["thing:owner"], ["order:write:any"]])
  }
  type Thing { id: ID! @policy(policies: [["authenticated"], ["thing:handed-out"]]) }
`);
interface Ctx extends AccessContext {
  ownerOf: (id: string) => Promise<string | null>;
}
const policies = definePolicies<Ctx>({
  'thing:handed-out': (_ctx, parent) => (parent as { id?: string } | undefined)?.id === 'public-thing',
  // A root-field policy sees the arguments and the subgraph's own context (here a loader).
  'thing:owner': async (ctx, _parent, args) => (await ctx.ownerOf(String(args.id))) === ctx.caller.userId && ctx.caller.userId !== null,
});
const schema = applyAccessRules(
  makeExecutableSchema({ typeDefs, resolvers: { Query: { thing: (_: unknown, a: { id: string }) => ({ id: a.id }), owned: () => 'done' } } }),
  typeDefs,
  policies,
);
const caller = (userId: string | null, roles: Role[] = []): Caller => ({ userId, sessionId: null, roles, scopes: scopesForRoles(roles), requestId: 'r', ip: null, userAgent: null });
const run = async (source: string, c: Caller) => {
  const ctx: Ctx = { caller: c, ownerOf: async (id) => (id === 'o1' ? 'u1' : null) };
  const r = await graphql({ schema, source, contextValue: ctx });
  return { data: r.data, codes: (r.errors ?? []).map((e) => e.extensions.code) };
};

describe('policy names in @policy', () => {
  it('"authenticated" admits any signed-in caller, and another alternative still admits the anonymous', async () => {
    expect((await run('{ thing(id: "x") { id } }', caller('u1'))).data).toEqual({ thing: { id: 'x' } });
    expect((await run('{ thing(id: "public-thing") { id } }', caller(null))).data).toEqual({ thing: { id: 'public-thing' } });
    expect((await run('{ thing(id: "x") { id } }', caller(null))).codes).toEqual(['UNAUTHENTICATED']);
  });

  it('a root-field policy decides on the object its argument names, with the subgraph context', async () => {
    expect((await run('{ owned(id: "o1") }', caller('u1', ['CUSTOMER']))).data).toEqual({ owned: 'done' });
    expect((await run('{ owned(id: "o1") }', caller('u2', ['CUSTOMER']))).codes).toEqual(['FORBIDDEN']);
    expect((await run('{ owned(id: "nope") }', caller('u2', ['CUSTOMER']))).codes).toEqual(['FORBIDDEN']);
    expect((await run('{ owned(id: "o1") }', caller('u3', ['MANAGER']))).data).toEqual({ owned: 'done' });
    expect((await run('{ owned(id: "o1") }', caller(null))).codes).toEqual(['UNAUTHENTICATED']);
  });
});
