import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { and, eq, sql } from 'drizzle-orm';
import { loadInternalKeys, parseIntegrationEvent, type StartedSubgraph } from '@palisade/kit';
import { postSigned, signedSubgraphRequest, suiteDatabase, testCaller, testConfig } from '@palisade/kit/testing/index';
import { eventOutbox } from '../db/schema.ts';
import { startProductSubgraph } from '../index.ts';

let sg: StartedSubgraph;
let db: Awaited<ReturnType<typeof suiteDatabase>>;
let base: string;
const manager = testCaller({ userId: randomUUID(), roles: ['MANAGER'] });
const REORDER_POINT = 5; // the column's default

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
  const r = await signedSubgraphRequest(sg.url, 'product', manager, 'mutation($i: CreateProductInput!) { createProduct(input: $i) { id } }', {
    i: { sku: `LS-${randomUUID().slice(0, 8)}`, name: 'Low <b>stock</b> item', description: 'x', price: '3.00', currency: 'USD', initialStock: stock },
  });
  return r.body.data!.createProduct.id as string;
}
const asOrder = async (path: string, body: unknown) => postSigned<any>((await loadInternalKeys('order', [])).signer, 'product', base + path, body);
const adjust = (id: string, delta: number) => signedSubgraphRequest(sg.url, 'product', manager, 'mutation($id: ID!, $d: Int!) { adjustStock(id: $id, delta: $d, reason: "count") { stock } }', { id, d: delta });
const lowStockEvents = async (productId: string) =>
  (await sg.database.db.select().from(eventOutbox).where(and(eq(eventOutbox.type, 'product.low_stock'), sql`${eventOutbox.event}->'data'->>'productId' = ${productId}`))).map((r) => r.event);

describe('low stock', () => {
  it('writes one valid product.low_stock event when an order takes stock down to the reorder point, and none for later sales below it', async () => {
    const id = await product(7);
    expect((await asOrder('/internal/stock/reserve', { orderRef: randomUUID(), items: [{ productId: id, quantity: 1 }] })).ok).toBe(true); // 6: above
    expect(await lowStockEvents(id)).toHaveLength(0);
    expect((await asOrder('/internal/stock/reserve', { orderRef: randomUUID(), items: [{ productId: id, quantity: 1 }] })).ok).toBe(true); // 5: at it
    expect((await asOrder('/internal/stock/reserve', { orderRef: randomUUID(), items: [{ productId: id, quantity: 2 }] })).ok).toBe(true); // 3: still below
    const events = await lowStockEvents(id);
    expect(events).toHaveLength(1);
    expect(parseIntegrationEvent(JSON.stringify(events[0]))).toMatchObject({ type: 'product.low_stock', version: 1, data: { productId: id, available: 5, reorderPoint: REORDER_POINT } });
  });

  it('follows a reorder point a manager sets through updateProduct, and refuses one out of range', async () => {
    const id = await product(20);
    const update = (caller: ReturnType<typeof testCaller>, reorderPoint: unknown) =>
      signedSubgraphRequest(sg.url, 'product', caller, 'mutation($id: ID!, $r: Int) { updateProduct(id: $id, input: { reorderPoint: $r }) { reorderPoint } }', { id, r: reorderPoint });
    expect((await update(manager, 12)).body.data!.updateProduct.reorderPoint).toBe(12);
    await asOrder('/internal/stock/reserve', { orderRef: randomUUID(), items: [{ productId: id, quantity: 7 }] }); // 13: above
    expect(await lowStockEvents(id)).toHaveLength(0);
    await asOrder('/internal/stock/reserve', { orderRef: randomUUID(), items: [{ productId: id, quantity: 1 }] }); // 12: at it
    expect((await lowStockEvents(id)).map((e) => e.data)).toEqual([expect.objectContaining({ available: 12, reorderPoint: 12 })]);
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.integer({ min: -(2 ** 31), max: -1 }), fc.integer({ min: 1_000_001, max: 2 ** 31 - 1 })), async (bad) => {
        const r = await update(manager, bad);
        expect(r.body.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.reorderPoint' });
      }),
      { numRuns: 20 },
    );
    const customer = testCaller({ userId: randomUUID(), roles: ['CUSTOMER'] });
    expect((await update(customer, 1)).body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const read = await signedSubgraphRequest(sg.url, 'product', manager, 'query($id: ID!) { product(id: $id) { reorderPoint } }', { id });
    expect(read.body.data!.product.reorderPoint).toBe(12);
  });

  it('fires once per crossing over any sequence of reservations, releases and adjustments', async () => {
    type Op = { kind: 'reserve'; quantity: number } | { kind: 'release' } | { kind: 'adjust'; delta: number };
    const op: fc.Arbitrary<Op> = fc.oneof(
      fc.record({ kind: fc.constant('reserve' as const), quantity: fc.integer({ min: 1, max: 4 }) }),
      fc.record({ kind: fc.constant('release' as const) }),
      fc.record({ kind: fc.constant('adjust' as const), delta: fc.integer({ min: -4, max: 6 }).filter((d) => d !== 0) }),
    );
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 12 }), fc.array(op, { maxLength: 10 }), async (initial, ops) => {
        const id = await product(initial);
        let stock = initial;
        let crossings = 0;
        const reserved: { orderRef: string; quantity: number }[] = [];
        for (const o of ops) {
          let after = stock;
          if (o.kind === 'reserve') {
            const orderRef = randomUUID();
            const r = await asOrder('/internal/stock/reserve', { orderRef, items: [{ productId: id, quantity: o.quantity }] });
            if (r.ok) {
              after = stock - o.quantity;
              reserved.push({ orderRef, quantity: o.quantity });
            } else expect(o.quantity).toBeGreaterThan(stock);
          } else if (o.kind === 'release') {
            const r = reserved.shift();
            if (!r) continue;
            await asOrder('/internal/stock/release', { orderRef: r.orderRef });
            after = stock + r.quantity;
          } else {
            const r = await adjust(id, o.delta);
            if (!r.body.errors) after = stock + o.delta;
            else expect(stock + o.delta).toBeLessThan(0);
          }
          // The model: from above the reorder point to at or below it.
          if (stock > REORDER_POINT && after <= REORDER_POINT) crossings++;
          stock = after;
        }
        expect((await lowStockEvents(id)).length).toBe(crossings);
      }),
      { numRuns: 15 },
    );
  });
});
