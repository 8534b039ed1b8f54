import { describe, expect, it } from 'vitest';
import { graphql, parse } from 'graphql';
import { makeExecutableSchema } from '@graphql-tools/schema';
import { applyAccessRules, buildShieldRules } from '../src/shield.ts';
import { scopesForRoles, type Role } from '../src/roles.ts';
import type { Caller } from '../src/caller.ts';

const sdl = `
  directive @public on OBJECT | FIELD_DEFINITION
  directive @authenticated on OBJECT | FIELD_DEFINITION
  directive @requiresScopes(scopes: [[String!]!]!) on OBJECT | FIELD_DEFINITION
  directive @policy(policies: [[String!]!]!) on OBJECT | FIELD_DEFINITION
  type Query {
    open: String @public
    signedIn: String @authenticated
    managers: String @requiresScopes(scopes: [["product:write"]])
    forgotten: String
    order(id: ID!): Order @authenticated
  }
  type Order @policy(policies: [["order:owner"], ["order:read:any"]]) {
    id: ID!
    secret: String
  }
`;
const typeDefs = parse(sdl);
const orders: Record<string, { id: string; ownerId: string; secret: string }> = { o1: { id: 'o1', ownerId: 'u1', secret: 's1' } };
const resolvers = {
  Query: { open: () => 'open', signedIn: () => 'in', managers: () => 'mgr', forgotten: () => 'leak', order: (_: unknown, a: { id: string }) => orders[a.id] },
};
let ownerChecks = 0;
const policies = { 'order:owner': (ctx: { caller: Caller }, parent: unknown) => (ownerChecks++, (parent as { ownerId: string }).ownerId === ctx.caller.userId) };
const denials: string[] = [];
const schema = applyAccessRules(makeExecutableSchema({ typeDefs, resolvers }), typeDefs, policies, { onDenied: (_ctx, coordinate) => denials.push(coordinate) });

const caller = (userId: string | null, roles: Role[] = []): Caller => ({ userId, sessionId: null, roles, scopes: scopesForRoles(roles), requestId: 'r', ip: null, userAgent: null });
const run = async (source: string, c: Caller) => {
  const r = await graphql({ schema, source, contextValue: { caller: c } });
  return { data: r.data as Record<string, unknown> | null | undefined, codes: (r.errors ?? []).map((e) => e.extensions.code) };
};

describe('shield rules built from SDL annotations', () => {
  it('lets anyone read @public fields', async () => {
    expect(await run('{ open }', caller(null))).toEqual({ data: { open: 'open' }, codes: [] });
  });

  it('denies an unannotated field to everyone, even an admin', async () => {
    const r = await run('{ forgotten }', caller('u9', ['ADMIN']));
    expect(r.data?.forgotten).toBeNull();
    expect(r.codes).toEqual(['FORBIDDEN']);
  });

  it('says UNAUTHENTICATED to the anonymous and FORBIDDEN to the signed-in without the scope', async () => {
    expect((await run('{ signedIn }', caller(null))).codes).toEqual(['UNAUTHENTICATED']);
    expect((await run('{ managers }', caller(null))).codes).toEqual(['UNAUTHENTICATED']);
    expect((await run('{ managers }', caller('u1', ['CUSTOMER']))).codes).toEqual(['FORBIDDEN']);
    expect((await run('{ managers }', caller('u2', ['MANAGER']))).data).toEqual({ managers: 'mgr' });
  });

  it('applies a type-level ownership policy to every field of the type', async () => {
    expect((await run('{ order(id: "o1") { id secret } }', caller('u1', ['CUSTOMER']))).data).toEqual({ order: { id: 'o1', secret: 's1' } });
    const other = await run('{ order(id: "o1") { id secret } }', caller('u2', ['CUSTOMER']));
    expect(other.data?.order).toBeNull();
    expect(other.codes).toContain('FORBIDDEN');
    // a scope name inside @policy is satisfied by holding the scope
    expect((await run('{ order(id: "o1") { secret } }', caller('u3', ['MANAGER']))).data).toEqual({ order: { secret: 's1' } });
  });

  it('reports a refusal once, and never an alternative that lost inside an OR that passed', async () => {
    denials.length = 0;
    await run('{ order(id: "o1") { id secret } }', caller('u1', ['CUSTOMER'])); // owner: scope alternative fails, OR passes
    expect(denials).toEqual([]);
    await run('{ order(id: "o1") { id secret } }', caller('u2', ['CUSTOMER']));
    expect(denials).toEqual(['Order.id', 'Order.secret']);
  });

  it('decides a type-level policy once per object, not once per field', async () => {
    ownerChecks = 0;
    expect((await run('{ order(id: "o1") { id secret } }', caller('u1', ['CUSTOMER']))).codes).toEqual([]);
    expect(ownerChecks).toBe(1);
  });

  it('refuses to build with a policy the subgraph does not define', () => {
    const bad = parse('type Query { x: String @policy(policies: [["nobody:knows"]]) }');
    expect(() => buildShieldRules(bad, {})).toThrow(/nobody:knows/);
  });

  it('refuses a field whose policy throws or rejects, and never shows the policy’s error', async () => {
    const leaky = parse(`${sdl.split('type Query')[0]} type Query { a: String @policy(policies: [["boom"]]) b: String @policy(policies: [["later"]]) }`);
    const policies = { boom: () => { throw new Error('SELECT password FROM users'); }, later: () => Promise.reject(new Error('SELECT token FROM sessions')) };
    const s = applyAccessRules(makeExecutableSchema({ typeDefs: leaky, resolvers: { Query: { a: () => 'a', b: () => 'b' } } }), leaky, policies);
    const r = await graphql({ schema: s, source: '{ a b }', contextValue: { caller: caller('u1', ['ADMIN']) } });
    expect(r.data).toEqual({ a: null, b: null });
    expect((r.errors ?? []).map((e) => e.extensions.code)).toEqual(['FORBIDDEN', 'FORBIDDEN']);
    expect(JSON.stringify(r.errors)).not.toMatch(/SELECT/);
  });
});

