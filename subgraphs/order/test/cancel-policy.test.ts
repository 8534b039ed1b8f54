import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import DataLoader from 'dataloader';
import { graphql, parse, type DocumentNode } from 'graphql';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { applyAccessRules, ROLES, type Role } from '@palisade/auth';
import { testCaller } from '@palisade/kit/testing/index';
import type { OrderRow } from '../db/schema.ts';
import { resolvers } from '../resolvers/index.ts';
import { policies } from '../rules.ts';
import { readSubgraphSdl } from '@palisade/auth';

// Who may cancel is the schema's cancelOrder policy; these run the real SDL, resolvers and policies over a
// service that only counts, so any refusal seen here happened before the service was reached.
const SDL = readSubgraphSdl(fileURLToPath(new URL('../schema.graphql', import.meta.url)));
const ANNOTATION = '@policy(policies: [["order:cancel:own"], ["order:write:any"]])';

const alice = randomUUID();
const bob = randomUUID();
const aliceOrder = { id: randomUUID(), customerId: alice, status: 'PENDING' } as OrderRow;

function harness(typeDefs: DocumentNode) {
  const schema = applyAccessRules(buildSubgraphSchema({ typeDefs, resolvers: resolvers as never }), typeDefs, policies);
  const reached: string[] = [];
  const orders = { cancel: async (_caller: unknown, id: string) => (reached.push(id), { ...aliceOrder, status: 'CANCELLED' }) };
  const cancel = async (caller: ReturnType<typeof testCaller>, id: string) => {
    const orderById = new DataLoader(async (ids: readonly string[]) => ids.map((x) => (x === aliceOrder.id ? aliceOrder : null)));
    const r = await graphql({ schema, source: 'mutation($id: ID!) { cancelOrder(id: $id) { status } }', variableValues: { id }, contextValue: { caller, orders, orderById } });
    return { codes: (r.errors ?? []).map((e) => e.extensions.code), status: (r.data as { cancelOrder?: { status: string } } | null)?.cancelOrder?.status };
  };
  return { cancel, reached };
}

type Who = 'anonymous' | 'owner' | 'other';
const callerFor = (who: Who, roles: Role[]) => (who === 'anonymous' ? testCaller() : testCaller({ userId: who === 'owner' ? alice : bob, roles }));
const target = fc.constantFrom(aliceOrder.id, randomUUID(), 'not-an-id');
const cases = fc.record({ who: fc.constantFrom<Who>('anonymous', 'owner', 'other'), roles: fc.subarray([...ROLES], { minLength: 1 }), id: target });

/** Every case whose outcome differs from the rule "the customer of the named order, or order:write:any". */
async function mismatches(typeDefs: DocumentNode, runs = 150): Promise<string[]> {
  const { cancel, reached } = harness(typeDefs);
  const out: string[] = [];
  await fc.assert(
    fc.asyncProperty(cases, async ({ who, roles, id }) => {
      const caller = callerFor(who, roles);
      const before = reached.length;
      const r = await cancel(caller, id);
      const allowed = who !== 'anonymous' && ((who === 'owner' && id === aliceOrder.id) || caller.scopes.includes('order:write:any'));
      const want = allowed ? [] : [who === 'anonymous' ? 'UNAUTHENTICATED' : 'FORBIDDEN'];
      const ok = JSON.stringify(r.codes) === JSON.stringify(want) && reached.length - before === (allowed ? 1 : 0);
      if (!ok) out.push(`${who} ${roles.join('+')} on ${id === aliceOrder.id ? "alice's order" : id}: ${JSON.stringify(r.codes)}, service reached ${reached.length - before}`);
    }),
    { numRuns: runs, seed: 13 },
  );
  return out;
}

describe('cancelOrder: who may cancel is its SDL policy', () => {
  it('lets the customer of the named order or order:write:any through, and refuses everyone else before the service', async () => {
    expect(SDL).toContain(`cancelOrder(id: ID!): Order! ${ANNOTATION}`);
    expect(await mismatches(parse(SDL))).toEqual([]);
  });

  it('an unknown or malformed id is refused to a customer exactly as someone else\'s order is (no existence oracle)', async () => {
    const { cancel, reached } = harness(parse(SDL));
    const customer = testCaller({ userId: bob });
    for (const id of [aliceOrder.id, randomUUID(), 'not-an-id']) expect((await cancel(customer, id)).codes).toEqual(['FORBIDDEN']);
    expect(reached).toEqual([]);
  });

  it('fails without the annotation: with cancelOrder back to @authenticated, other customers reach the service', async () => {
    const weakened = SDL.replace(`cancelOrder(id: ID!): Order! ${ANNOTATION}`, 'cancelOrder(id: ID!): Order! @authenticated');
    expect(weakened).not.toBe(SDL);
    const wrong = await mismatches(parse(weakened), 60);
    expect(wrong.some((m) => m.startsWith('other CUSTOMER ') || /^other \S+ on alice's order/.test(m))).toBe(true);
  });
});
