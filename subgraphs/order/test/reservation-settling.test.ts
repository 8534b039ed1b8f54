import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq, sql } from 'drizzle-orm';
import { signedSubgraphRequest, suiteDatabase, testCaller, testConfig } from '@palisade/kit/testing/index';
import { waitFor } from '@palisade/kit/testing/real-servers';
import { createLogger, DEFAULT_LOG_SETTINGS } from '@palisade/kit';
import { orders, stockHolds } from '../db/schema.ts';
import { startOrderSubgraph } from '../index.ts';
import { StockHolds } from '../services/stock-holds.ts';
import { startProductStandIn, type ProductStandIn } from './product-stand-in.ts';

// The order subgraph settles every stock reservation it asked for (services/stock-holds.ts); the product
// subgraph never asks back. Settling is run here directly (age 0: every hold is old enough), not by waiting.
let product: ProductStandIn;
let order: Awaited<ReturnType<typeof startOrderSubgraph>>;
let db: Awaited<ReturnType<typeof suiteDatabase>>;
const alice = testCaller({ userId: randomUUID() });

beforeAll(async () => {
  db = await suiteDatabase();
  product = await startProductStandIn();
  order = await startOrderSubgraph({ config: testConfig(), port: 0, databaseUrl: db.url, pgliteDir: null, peers: { product: `${product.url}/graphql`, security: 'http://127.0.0.1:9' } });
});
afterAll(async () => {
  await order?.stop();
  await product?.close();
  await db?.drop();
  expect(product?.refused).toBe(0);
});

const address = { line1: '1 Main St', city: 'Springfield', postalCode: '12345', country: 'US' };
const place = (productId: string, quantity: number) =>
  signedSubgraphRequest(order.url, 'order', alice, 'mutation($i: PlaceOrderInput!) { placeOrder(input: $i) { id } }', { i: { items: [{ productId, quantity }], shippingAddress: address } });
const settle = () => order.services.orders.settleReservations(0);
const holdOf = async (orderId: string) => (await order.database.db.select().from(stockHolds).where(eq(stockHolds.orderId, orderId)))[0];
const orderCount = async () => (await order.database.db.select({ n: sql<number>`count(*)::int` }).from(orders))[0]!.n;

describe('settling stock reservations from the order subgraph', () => {
  it('leaves nothing to settle after a placement whose confirmation arrived', async () => {
    const p = product.add('4.00', 10);
    const id = (await place(p, 2)).body.data!.placeOrder.id as string;
    expect(product.reservationOf(id)).toBe('confirmed');
    // Confirmed holds are deleted in batches, shortly after the answer.
    await waitFor(async () => (await holdOf(id)) === undefined, 'the confirmed hold deleted', 5_000);
  });

  it('marks the hold placed and writes the order in one statement, and deletes confirmed holds together', async () => {
    const p = product.add('4.00', 100);
    const seen: string[] = [];
    const stop = order.database.observe((q) => void (q.includes('"stock_holds"') && seen.push(q)));
    let ids: string[];
    try {
      ids = await Promise.all([1, 2, 3].map(async () => (await place(p, 1)).body.data!.placeOrder.id as string));
      for (const id of ids) await waitFor(async () => (await holdOf(id)) === undefined, 'the confirmed holds deleted', 5_000);
    } finally {
      stop();
    }
    expect(await orderCount()).toBeGreaterThanOrEqual(3);
    const placing = seen.filter((q) => /^with "placed_hold" as \(update "orders"\."stock_holds"/.test(q));
    expect(placing).toHaveLength(3);
    expect(placing.every((q) => q.includes('insert into "orders"."orders"'))).toBe(true);
    expect(seen.filter((q) => q.startsWith('update "orders"."stock_holds"'))).toHaveLength(0);
    expect(seen.filter((q) => q.startsWith('delete from "orders"."stock_holds"')).length).toBeLessThanOrEqual(3);
  });

  it('deletes the holds confirmed together with one statement', async () => {
    const holds = new StockHolds({ db: order.database.db, stock: null as never, log: createLogger('order', { ...DEFAULT_LOG_SETTINGS, level: 'silent' }) });
    const ids = Array.from({ length: 7 }, () => randomUUID());
    await order.database.db.insert(stockHolds).values(ids.map((orderId) => ({ orderId, state: 'placed' })));
    const deletes: string[] = [];
    const stop = order.database.observe((q) => void (q.startsWith('delete from "orders"."stock_holds"') && deletes.push(q)));
    try {
      for (const id of ids) holds.confirmed(id);
      for (const id of ids) await waitFor(async () => (await holdOf(id)) === undefined, 'the confirmed holds deleted', 5_000);
    } finally {
      stop();
    }
    expect(deletes).toHaveLength(1);
  });

  it('confirms the reservation of an order whose confirmation was lost', async () => {
    const p = product.add('4.00', 10);
    product.loseConfirms = true;
    let id: string;
    try {
      id = (await place(p, 3)).body.data!.placeOrder.id as string;
    } finally {
      product.loseConfirms = false;
    }
    expect(product.reservationOf(id)).toBe('held');
    expect((await holdOf(id))?.state).toBe('placed');
    expect(await settle()).toMatchObject({ confirmed: 1, pending: 0 });
    expect(product.reservationOf(id)).toBe('confirmed');
    expect(product.stockOf(p)).toBe(7);
    expect(await holdOf(id)).toBeUndefined();
  });

  it('releases a reservation whose order was never written', async () => {
    const p = product.add('4.00', 10);
    // What a placement leaves when its process dies between the reservation and the order: a hold, a reservation.
    const id = randomUUID();
    await order.database.db.insert(stockHolds).values({ orderId: id });
    product.reserve(id, p, 4);
    expect(product.stockOf(p)).toBe(6);
    expect(await settle()).toMatchObject({ released: 1, pending: 0 });
    expect(product.reservationOf(id)).toBe('released');
    expect(product.stockOf(p)).toBe(10);
    expect(await holdOf(id)).toBeUndefined();
  });

  it('never sells stock twice: a placement that outlives its hold writes no order and gives its stock back', async () => {
    const p = product.add('4.00', 10);
    const before = await orderCount();
    // While this placement waits for its reservation's answer, the settle job finds its hold too old.
    product.onReserve = async () => {
      expect(await settle()).toMatchObject({ released: 1 });
    };
    try {
      const r = await place(p, 5);
      expect(r.body.errors?.map((e) => e.extensions?.code)).toEqual(['SERVICE_UNAVAILABLE']);
    } finally {
      product.onReserve = null;
    }
    expect(await orderCount()).toBe(before);
    expect(product.stockOf(p)).toBe(10);
  });

  it('keeps a hold while the product subgraph is away and settles it once it answers', async () => {
    const p = product.add('4.00', 10);
    const id = randomUUID();
    await order.database.db.insert(stockHolds).values({ orderId: id });
    product.reserve(id, p, 2);
    product.down = true;
    try {
      expect(await settle()).toMatchObject({ released: 0, pending: 1 });
      expect((await holdOf(id))?.state).toBe('abandoned');
    } finally {
      product.down = false;
    }
    expect(product.stockOf(p)).toBe(8);
    expect(await settle()).toMatchObject({ released: 1, pending: 0 });
    expect(product.stockOf(p)).toBe(10);
  });
});
