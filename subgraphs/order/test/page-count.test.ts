import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StartedSubgraph } from '@palisade/kit';
import { signedSubgraphRequest, suiteDatabase, testCaller, testConfig } from '@palisade/kit/testing/index';
import { startOrderSubgraph } from '../index.ts';
import { startProductStandIn, type ProductStandIn } from './product-stand-in.ts';

// A customer's orders page (the storefront's User.orders) counts the customer's orders only when the operation
// asks for totalCount: the count is a statement of its own on every storefront request otherwise.
let product: ProductStandIn;
let order: StartedSubgraph;
let db: Awaited<ReturnType<typeof suiteDatabase>>;
const alice = testCaller({ userId: randomUUID() });
const manager = testCaller({ userId: randomUUID(), roles: ['MANAGER'] });
const address = { line1: '1 Main St', city: 'Springfield', postalCode: '12345', country: 'US' };

beforeAll(async () => {
  db = await suiteDatabase();
  product = await startProductStandIn();
  order = await startOrderSubgraph({ config: testConfig(), port: 0, databaseUrl: db.url, pgliteDir: null, peers: { product: `${product.url}/graphql`, security: 'http://127.0.0.1:9' } });
  const p = product.add('2.00', 100);
  for (let i = 0; i < 3; i++) {
    const r = await signedSubgraphRequest(order.url, 'order', alice, 'mutation($i: PlaceOrderInput!) { placeOrder(input: $i) { id } }', { i: { items: [{ productId: p, quantity: 1 }], shippingAddress: address } });
    expect(r.body.errors).toBeUndefined();
  }
});
afterAll(async () => {
  await order?.stop();
  await product?.close();
  await db?.drop();
});

/** The counts of the orders table this query sent, and its answer. */
async function counted(caller: typeof alice, query: string) {
  const counts: string[] = [];
  const stop = order.database.observe((q) => void (/^select count\(\*\) from "orders"\."orders"/.test(q) && counts.push(q)));
  try {
    const r = await signedSubgraphRequest(order.url, 'order', caller, query);
    expect(r.body.errors).toBeUndefined();
    return { counts: counts.length, data: r.body.data as Record<string, any> };
  } finally {
    stop();
  }
}

const entity = (fields: string) => `{ _entities(representations: [{ __typename: "User", id: "${alice.userId}" }]) { ... on User { orders(first: 2) { ${fields} } } } }`;

describe("a customer's orders page", () => {
  it('sends no count when totalCount is not asked for', async () => {
    const r = await counted(alice, entity('edges { node { id } } pageInfo { hasNextPage }'));
    expect(r.counts).toBe(0);
    expect(r.data._entities[0].orders.edges).toHaveLength(2);
    expect(r.data._entities[0].orders.pageInfo.hasNextPage).toBe(true);
  });

  it('counts when totalCount is asked for, directly or through a fragment, and the count is right', async () => {
    for (const fields of ['totalCount edges { node { id } }', '... on OrderConnection { totalCount }', '...T']) {
      const query = fields === '...T' ? `${entity(fields)} fragment T on OrderConnection { totalCount }` : entity(fields);
      const r = await counted(alice, query);
      expect(r.counts).toBe(1);
      expect(r.data._entities[0].orders.totalCount).toBe(3);
    }
  });

  it('the same holds for the managers\' list of all orders', async () => {
    expect((await counted(manager, '{ orders(first: 1) { edges { node { id } } } }')).counts).toBe(0);
    const r = await counted(manager, `{ orders(filter: { customerId: "${alice.userId}" }) { totalCount } }`);
    expect(r.counts).toBe(1);
    expect(r.data.orders.totalCount).toBe(3);
  });
});

describe('subgraph answers', () => {
  it('are no-store, with data or errors (kit says so once per answer; Apollo computes no per-field cache hints)', async () => {
    const ok = await signedSubgraphRequest(order.url, 'order', alice, entity('edges { node { id items { quantity } } }'));
    expect(ok.body.errors).toBeUndefined();
    expect(ok.headers.get('cache-control')).toBe('no-store');
    const refused = await signedSubgraphRequest(order.url, 'order', alice, '{ orders { totalCount } }');
    expect(refused.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect(refused.headers.get('cache-control')).toBe('no-store');
  });
});
