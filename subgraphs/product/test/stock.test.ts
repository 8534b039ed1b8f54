import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadInternalKeys, ServiceCallError, type StartedSubgraph } from '@palisade/kit';
import { postSigned, signedSubgraphRequest, suiteDatabase, testCaller, testConfig } from '@palisade/kit/testing/index';
import { startProductSubgraph } from '../index.ts';

let sg: StartedSubgraph;
let db: Awaited<ReturnType<typeof suiteDatabase>>;
let base: string;
const manager = testCaller({ userId: randomUUID(), roles: ['MANAGER'] });

beforeAll(async () => {
  db = await suiteDatabase();
  sg = await startProductSubgraph({ config: testConfig(), port: 0, databaseUrl: db.url, pgliteDir: null, peers: { security: 'http://127.0.0.1:9' } });
  base = sg.url.replace(/\/graphql$/, '');
});
afterAll(async () => {
  await sg?.stop();
  await db?.drop();
});

async function product(stock: number) {
  const r = await signedSubgraphRequest(sg.url, 'product', manager, 'mutation($i: CreateProductInput!) { createProduct(input: $i) { id stock } }', {
    i: { sku: `T-${randomUUID().slice(0, 8)}`, name: 'Test item', description: 'x', price: '12.50', currency: 'USD', initialStock: stock },
  });
  return r.body.data!.createProduct as { id: string; stock: number };
}
const stockOf = async (id: string) => (await signedSubgraphRequest(sg.url, 'product', manager, 'query($id: ID!) { product(id: $id) { stock } }', { id })).body.data!.product.stock as number;
const asOrder = async (path: string, body: unknown) => postSigned<any>((await loadInternalKeys('order', [])).signer, 'product', base + path, body);

describe('stock reservations for orders', () => {
  it('reserves all items or none', async () => {
    const a = await product(5);
    const b = await product(1);
    const answer = await asOrder('/internal/stock/reserve', { orderRef: randomUUID(), items: [{ productId: a.id, quantity: 2 }, { productId: b.id, quantity: 2 }] });
    expect(answer).toMatchObject({ ok: false, code: 'OUT_OF_STOCK', productId: b.id });
    expect([await stockOf(a.id), await stockOf(b.id)]).toEqual([5, 1]);
  });

  it('moves stock once per order, however often reserve and release are retried', async () => {
    const p = await product(10);
    const orderRef = randomUUID();
    const req = { orderRef, items: [{ productId: p.id, quantity: 3 }] };
    const first = await asOrder('/internal/stock/reserve', req);
    expect(first).toMatchObject({ ok: true, items: [{ productId: p.id, quantity: 3, unitPriceCents: 1250, currency: 'USD' }] });
    expect(await asOrder('/internal/stock/reserve', req)).toEqual(first);
    expect(await stockOf(p.id)).toBe(7);
    expect(await asOrder('/internal/stock/release', { orderRef })).toEqual({ released: true });
    expect(await asOrder('/internal/stock/release', { orderRef })).toEqual({ released: false });
    expect(await stockOf(p.id)).toBe(10);
  });

  it('accepts reservations only from the order subgraph', async () => {
    const p = await product(10);
    const asUser = postSigned((await loadInternalKeys('user', [])).signer, 'product', base + '/internal/stock/reserve', { orderRef: randomUUID(), items: [{ productId: p.id, quantity: 10 }] });
    await expect(asUser).rejects.toMatchObject({ status: 401 });
    await expect(asOrder('/internal/stock/reserve', { orderRef: 'not-a-uuid', items: [] })).rejects.toBeInstanceOf(ServiceCallError);
    expect(await stockOf(p.id)).toBe(10);
  });

  it('quotes names, current prices and available stock to the order subgraph only, and refuses malformed asks', async () => {
    const p = await product(7);
    const unknown = randomUUID();
    const { quotes } = await asOrder('/internal/catalog/quote', { productIds: [p.id, unknown, p.id] });
    expect(quotes).toEqual([expect.objectContaining({ productId: p.id, priceCents: expect.any(Number), currency: expect.any(String), available: 7, active: true })]);
    const asUser = postSigned((await loadInternalKeys('user', [])).signer, 'product', base + '/internal/catalog/quote', { productIds: [p.id] });
    await expect(asUser).rejects.toMatchObject({ status: 401 });
    for (const body of [{ productIds: ['not-a-uuid'] }, { productIds: Array.from({ length: 51 }, () => randomUUID()) }, { productIds: 'x' }, null])
      await expect(asOrder('/internal/catalog/quote', body)).rejects.toMatchObject({ status: 400 });
  });

  it('never adjusts stock below zero', async () => {
    const p = await product(2);
    const r = await signedSubgraphRequest(sg.url, 'product', manager, 'mutation($id: ID!) { adjustStock(id: $id, delta: -3, reason: "count") { stock } }', { id: p.id });
    expect(r.body.errors?.[0]?.extensions?.code).toBe('OUT_OF_STOCK');
    expect(await stockOf(p.id)).toBe(2);
  });
});
