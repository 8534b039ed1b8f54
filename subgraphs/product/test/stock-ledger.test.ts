import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadInternalKeys, type StartedSubgraph } from '@palisade/kit';
import { postSigned, signedSubgraphRequest, suiteDatabase, testCaller, testConfig } from '@palisade/kit/testing/index';
import { startProductSubgraph } from '../index.ts';

let sg: StartedSubgraph;
let db: Awaited<ReturnType<typeof suiteDatabase>>;
let base: string;
const manager = testCaller({ userId: randomUUID(), roles: ['MANAGER'] });
const admin = testCaller({ userId: randomUUID(), roles: ['ADMIN'] });
const customer = testCaller({ userId: randomUUID() });
const anon = testCaller();

beforeAll(async () => {
  db = await suiteDatabase();
  sg = await startProductSubgraph({ config: testConfig(), port: 0, databaseUrl: db.url, pgliteDir: null, peers: { security: 'http://127.0.0.1:9', order: 'http://127.0.0.1:9' } });
  base = sg.url.replace(/\/graphql$/, '');
});
afterAll(async () => {
  await sg?.stop();
  await db?.drop();
});

const gql = (caller: typeof anon, query: string, variables?: Record<string, unknown>) => signedSubgraphRequest(sg.url, 'product', caller, query, variables);
const asOrder = async (path: string, body: unknown) => postSigned<any>((await loadInternalKeys('order', [])).signer, 'product', base + path, body);
const LEDGER = 'query($id: ID!, $first: Int, $after: String) { stockMovements(productId: $id, first: $first, after: $after) { totalCount pageInfo { hasNextPage endCursor } edges { node { kind quantity reason stockAfter orderRef } } } }';
type Movement = { kind: string; quantity: number; reason: string; stockAfter: number | null; orderRef: string | null };

describe('the stock ledger', () => {
  it('shows a manager every movement with its quantity, reason and resulting stock, newest first, in pages', async () => {
    const created = await gql(manager, 'mutation($i: CreateProductInput!) { createProduct(input: $i) { id } }', {
      i: { sku: `L-${randomUUID().slice(0, 8)}`, name: 'Ledgered', description: '', price: '3.00', currency: 'USD', initialStock: 10 },
    });
    const id = created.body.data!.createProduct.id as string;
    await gql(manager, 'mutation($id: ID!) { adjustStock(id: $id, delta: -2, reason: "damaged in store") { stock } }', { id });
    const kept = randomUUID();
    const dropped = randomUUID();
    expect(await asOrder('/internal/stock/reserve', { orderRef: kept, items: [{ productId: id, quantity: 3 }] })).toMatchObject({ ok: true });
    expect(await asOrder('/internal/stock/confirm', { orderRef: kept })).toEqual({ confirmed: true });
    expect(await asOrder('/internal/stock/reserve', { orderRef: dropped, items: [{ productId: id, quantity: 4 }] })).toMatchObject({ ok: true });
    expect(await asOrder('/internal/stock/release', { orderRef: dropped })).toEqual({ released: true });

    const all: Movement[] = [];
    let after: string | null = null;
    for (;;) {
      const r = await gql(manager, LEDGER, { id, first: 2, after });
      expect(r.body.errors).toBeUndefined();
      const page = r.body.data!.stockMovements;
      expect(page.totalCount).toBe(6);
      all.push(...page.edges.map((e: { node: Movement }) => e.node));
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor;
    }
    expect(all).toEqual([
      { kind: 'release', quantity: 4, reason: 'order released', stockAfter: 5, orderRef: dropped },
      { kind: 'reservation', quantity: -4, reason: 'order reserved', stockAfter: 1, orderRef: dropped },
      { kind: 'confirmation', quantity: 0, reason: 'order confirmed', stockAfter: 5, orderRef: kept },
      { kind: 'reservation', quantity: -3, reason: 'order reserved', stockAfter: 5, orderRef: kept },
      { kind: 'adjustment', quantity: -2, reason: 'damaged in store', stockAfter: 8, orderRef: null },
      { kind: 'initial', quantity: 10, reason: 'initial stock', stockAfter: 10, orderRef: null },
    ]);
    expect((await gql(admin, LEDGER, { id })).body.data!.stockMovements.totalCount).toBe(6);
  });

  it('is refused to customers and anonymous callers, and checks its arguments', async () => {
    const id = randomUUID();
    expect((await gql(customer, LEDGER, { id })).body.errors?.map((e) => e.extensions?.code)).toEqual(['FORBIDDEN']);
    expect((await gql(anon, LEDGER, { id })).body.errors?.map((e) => e.extensions?.code)).toEqual(['UNAUTHENTICATED']);
    expect((await gql(manager, LEDGER, { id: 'nope' })).body.errors?.map((e) => e.extensions?.code)).toEqual(['BAD_USER_INPUT']);
    expect((await gql(manager, LEDGER, { id, after: 'garbage' })).body.errors?.map((e) => e.extensions?.code)).toEqual(['BAD_USER_INPUT']);
    expect((await gql(manager, LEDGER, { id })).body.data!.stockMovements).toMatchObject({ totalCount: 0, edges: [] });
  });
});
