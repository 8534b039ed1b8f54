import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq, sql } from 'drizzle-orm';
import type { Caller } from '@palisade/auth';
import type { StartedSubgraph } from '@palisade/kit';
import { eventually, signedSubgraphRequest, suiteDatabase, testCaller, testConfig } from '@palisade/kit/testing/index';
import { auditOutbox, orders } from '../db/schema.ts';
import { startOrderSubgraph } from '../index.ts';
import { startProductStandIn, type ProductStandIn } from './product-stand-in.ts';

// The product subgraph is a signed stand-in for its internal stock routes (subgraphs never import each other);
// a test can take it "down".
let product: ProductStandIn;
let order: StartedSubgraph;
let db: Awaited<ReturnType<typeof suiteDatabase>>;
const manager = testCaller({ userId: randomUUID(), roles: ['MANAGER'] });
const alice = testCaller({ userId: randomUUID() });
const bob = testCaller({ userId: randomUUID() });

beforeAll(async () => {
  db = await suiteDatabase();
  product = await startProductStandIn();
  order = await startOrderSubgraph({ config: testConfig({ order: { restockRetryMs: 200 } }), port: 0, databaseUrl: db.url, pgliteDir: null, peers: { product: `${product.url}/graphql`, security: 'http://127.0.0.1:9' } });
});
afterAll(async () => {
  await order?.stop();
  await product?.close();
  await db?.drop();
  // Every call the order subgraph made carried a valid signature for the product subgraph.
  expect(product?.refused).toBe(0);
});

type Result = Awaited<ReturnType<typeof signedSubgraphRequest>>;
const asOrder = (caller: Caller, query: string, variables?: Record<string, unknown>) => signedSubgraphRequest(order.url, 'order', caller, query, variables);
const codes = (r: Result) => (r.body.errors ?? []).map((e) => e.extensions?.code);

const address = { line1: '1 Main St', city: 'Springfield', postalCode: '12345', country: 'US' };
const PLACE = 'mutation($i: PlaceOrderInput!) { placeOrder(input: $i) { id status customer { id } total { amount currency } items { product { id } quantity unitPrice { amount currency } lineTotal { amount } } } }';
const place = (caller: Caller, items: { productId: string; quantity: number }[], extra: Record<string, unknown> = {}) => asOrder(caller, PLACE, { i: { items, shippingAddress: address, ...extra } });

const newProduct = async (price: string, stock: number) => product.add(price, stock);
const stockOf = async (id: string) => product.stockOf(id);
const orderCount = async () => (await order.database.db.select({ n: sql<number>`count(*)::int` }).from(orders))[0]!.n;

describe('placing an order', () => {
  it('reserves stock and prices the order on the server', async () => {
    const a = await newProduct('12.34', 10);
    const b = await newProduct('0.99', 5);
    const r = await place(alice, [{ productId: a, quantity: 3 }, { productId: b, quantity: 2 }]);
    expect(r.body.errors).toBeUndefined();
    const placed = r.body.data!.placeOrder;
    expect(placed).toMatchObject({ status: 'PENDING', customer: { id: alice.userId }, total: { amount: '39.00', currency: 'USD' } });
    expect(placed.items).toHaveLength(2);
    expect(placed.items).toEqual(expect.arrayContaining([
      { product: { id: a }, quantity: 3, unitPrice: { amount: '12.34', currency: 'USD' }, lineTotal: { amount: '37.02' } },
      { product: { id: b }, quantity: 2, unitPrice: { amount: '0.99', currency: 'USD' }, lineTotal: { amount: '1.98' } },
    ]));
    expect([await stockOf(a), await stockOf(b)]).toEqual([7, 3]);
    const [audit] = await order.database.db.select({ record: auditOutbox.record }).from(auditOutbox).where(sql`${auditOutbox.record}->>'resourceId' = ${placed.id}`);
    expect(audit?.record).toMatchObject({ action: 'order.placed', actorId: alice.userId });
  });

  it('refuses more than is in stock and changes nothing', async () => {
    const a = await newProduct('5.00', 10);
    const b = await newProduct('5.00', 2);
    const before = await orderCount();
    const r = await place(alice, [{ productId: a, quantity: 1 }, { productId: b, quantity: 3 }]);
    expect(codes(r)).toEqual(['OUT_OF_STOCK']);
    expect(r.body.data).toBeNull();
    expect([await stockOf(a), await stockOf(b)]).toEqual([10, 2]);
    expect(await orderCount()).toBe(before);
  });

  it('refuses unknown and archived products', async () => {
    const archived = await newProduct('5.00', 10);
    product.archive(archived);
    expect(codes(await place(alice, [{ productId: randomUUID(), quantity: 1 }]))).toEqual(['NOT_FOUND']);
    expect(codes(await place(alice, [{ productId: archived, quantity: 1 }]))).toEqual(['NOT_FOUND']);
    expect(await stockOf(archived)).toBe(10);
  });

  it('answers a retry with the same key with the same order, and another basket under that key with CONFLICT', async () => {
    const a = await newProduct('1.00', 10);
    const first = await place(alice, [{ productId: a, quantity: 2 }], { idempotencyKey: 'checkout-1' });
    const again = await place(alice, [{ productId: a, quantity: 2 }], { idempotencyKey: 'checkout-1' });
    expect(again.body.data!.placeOrder.id).toBe(first.body.data!.placeOrder.id);
    expect(await stockOf(a)).toBe(8);
    expect(codes(await place(alice, [{ productId: a, quantity: 5 }], { idempotencyKey: 'checkout-1' }))).toEqual(['CONFLICT']);
    // Keys belong to a customer: Bob's same key is a new order.
    expect((await place(bob, [{ productId: a, quantity: 1 }], { idempotencyKey: 'checkout-1' })).body.data!.placeOrder.id).not.toBe(first.body.data!.placeOrder.id);
    expect(await stockOf(a)).toBe(7);
  });

  it('is for signed-in customers only', async () => {
    const a = await newProduct('1.00', 10);
    expect(codes(await place(testCaller(), [{ productId: a, quantity: 1 }]))).toEqual(['UNAUTHENTICATED']);
  });
});

describe('reading orders', () => {
  let orderId: string;
  beforeAll(async () => {
    const a = await newProduct('3.00', 10);
    orderId = (await place(alice, [{ productId: a, quantity: 1 }])).body.data!.placeOrder.id;
  });

  it("shows a customer their own order, another customer's only as FORBIDDEN", async () => {
    const own = await asOrder(alice, 'query($id: ID!) { order(id: $id) { id total { amount } shippingAddress { city country } } }', { id: orderId });
    expect(own.body.data!.order).toEqual({ id: orderId, total: { amount: '3.00' }, shippingAddress: { city: 'Springfield', country: 'US' } });
    const foreign = await asOrder(bob, 'query($id: ID!) { order(id: $id) { id total { amount } } }', { id: orderId });
    expect(foreign.body.data!.order).toBeNull();
    expect(codes(foreign)).toEqual(['FORBIDDEN']);
    const staff = await asOrder(manager, 'query($id: ID!) { order(id: $id) { id } }', { id: orderId });
    expect(staff.body.data!.order).toEqual({ id: orderId });
  });

  it('gives nothing away through _entities to anyone but the owner and staff', async () => {
    const query = `{ _entities(representations: [{ __typename: "Order", id: "${orderId}" }]) { ... on Order { id total { amount } } } }`;
    const foreign = await asOrder(bob, query);
    expect(foreign.body.data!._entities).toEqual([null]);
    expect(codes(foreign)).toContain('FORBIDDEN');
    expect((await asOrder(alice, query)).body.data!._entities).toEqual([{ id: orderId, total: { amount: '3.00' } }]);
  });

  it("lists a user's orders to that user and staff only", async () => {
    const query = `{ _entities(representations: [{ __typename: "User", id: "${alice.userId}" }]) { ... on User { orders { totalCount edges { node { id } } } } } }`;
    const own = await asOrder(alice, query);
    expect(own.body.data!._entities[0].orders.edges.map((e: { node: { id: string } }) => e.node.id)).toContain(orderId);
    expect(codes(await asOrder(bob, query))).toEqual(['FORBIDDEN']);
    expect((await asOrder(manager, query)).body.data!._entities[0].orders.totalCount).toBeGreaterThanOrEqual(1);
    expect(codes(await asOrder(alice, '{ orders { totalCount } }'))).toEqual(['FORBIDDEN']);
    const filtered = await asOrder(manager, 'query($c: ID!) { orders(filter: { customerId: $c }) { edges { node { customer { id } } } } }', { c: alice.userId });
    for (const e of filtered.body.data!.orders.edges) expect(e.node.customer.id).toBe(alice.userId);
  });
});

describe('changing an order', () => {
  const CANCEL = 'mutation($id: ID!) { cancelOrder(id: $id) { status } }';
  const STATUS = 'mutation($id: ID!, $s: OrderStatus!) { updateOrderStatus(id: $id, status: $s) { status } }';

  it('lets the owner cancel once, restocking exactly once; others may not', async () => {
    const a = await newProduct('2.00', 10);
    const id = (await place(alice, [{ productId: a, quantity: 4 }])).body.data!.placeOrder.id as string;
    expect(await stockOf(a)).toBe(6);
    expect(codes(await asOrder(bob, CANCEL, { id }))).toEqual(['FORBIDDEN']);
    expect((await asOrder(alice, CANCEL, { id })).body.data!.cancelOrder.status).toBe('CANCELLED');
    expect(await stockOf(a)).toBe(10);
    expect(codes(await asOrder(alice, CANCEL, { id }))).toEqual(['BAD_USER_INPUT']);
    expect(await stockOf(a)).toBe(10);
    const [row] = await order.database.db.select({ status: orders.status }).from(orders).where(eq(orders.id, id));
    expect(row?.status).toBe('CANCELLED');
  });

  it('restocks a cancellation made while the product subgraph was unreachable once it is back', async () => {
    const a = await newProduct('2.00', 10);
    const id = (await place(alice, [{ productId: a, quantity: 4 }])).body.data!.placeOrder.id as string;
    product.down = true;
    try {
      expect((await asOrder(alice, CANCEL, { id })).body.data!.cancelOrder.status).toBe('CANCELLED');
      expect(await stockOf(a)).toBe(6);
    } finally {
      product.down = false;
    }
    await eventually(async () => expect(await stockOf(a)).toBe(10), 'the restock retry', 10_000);
    // The retry clears the order's mark after product answered: wait for that write too, not only the stock.
    await eventually(async () => {
      const [row] = await order.database.db.select({ due: orders.restockDueAt }).from(orders).where(eq(orders.id, id));
      expect(row?.due).toBeNull();
    }, 'the restock mark cleared', 10_000);
    expect(await stockOf(a)).toBe(10);
  });

  it('moves only along the legal transitions', async () => {
    const a = await newProduct('2.00', 10);
    const id = (await place(alice, [{ productId: a, quantity: 1 }])).body.data!.placeOrder.id as string;
    expect(codes(await asOrder(alice, STATUS, { id, s: 'CONFIRMED' }))).toEqual(['FORBIDDEN']);
    expect(codes(await asOrder(manager, STATUS, { id, s: 'DELIVERED' }))).toEqual(['BAD_USER_INPUT']);
    for (const s of ['CONFIRMED', 'SHIPPED']) expect((await asOrder(manager, STATUS, { id, s })).body.data!.updateOrderStatus.status).toBe(s);
    expect(codes(await asOrder(alice, CANCEL, { id }))).toEqual(['BAD_USER_INPUT']);
    expect(codes(await asOrder(manager, STATUS, { id, s: 'PENDING' }))).toEqual(['BAD_USER_INPUT']);
    expect((await asOrder(manager, STATUS, { id, s: 'DELIVERED' })).body.data!.updateOrderStatus.status).toBe('DELIVERED');
    expect(await stockOf(a)).toBe(9);
  });
});
