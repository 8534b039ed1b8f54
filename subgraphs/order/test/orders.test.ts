import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq, sql } from 'drizzle-orm';
import type { Caller } from '@palisade/auth';
import type { StartedSubgraph } from '@palisade/kit';
import { signedSubgraphRequest, suiteDatabase, testCaller } from '@palisade/kit/testing/index';
import { startProductSubgraph } from '@palisade/product';
import { auditOutbox, orders } from '../db/schema.ts';
import { startOrderSubgraph } from '../index.ts';

// Both subgraphs share the suite's database; each keeps to its own Postgres schema.
let product: StartedSubgraph;
let order: StartedSubgraph;
let db: Awaited<ReturnType<typeof suiteDatabase>>;
// The order subgraph reaches the product subgraph through this, so a test can take it "down".
let link: Server;
let productDown = false;
const manager = testCaller({ userId: randomUUID(), roles: ['MANAGER'] });
const alice = testCaller({ userId: randomUUID() });
const bob = testCaller({ userId: randomUUID() });

beforeAll(async () => {
  db = await suiteDatabase();
  // Its reservation sweeper never finds an expired reservation within a run; kept off any stray local port.
  product = await startProductSubgraph({ port: 0, databaseUrl: db.url, pgliteDir: null, peers: { security: 'http://127.0.0.1:9', order: 'http://127.0.0.1:9' } });
  link = await productLink(product.url.replace(/\/graphql$/, ''));
  process.env.RESTOCK_RETRY_MS = '200';
  order = await startOrderSubgraph({ port: 0, databaseUrl: db.url, pgliteDir: null, peers: { product: `http://127.0.0.1:${(link.address() as { port: number }).port}/graphql`, security: 'http://127.0.0.1:9' } });
});
afterAll(async () => {
  await order?.stop();
  link?.close();
  await product?.stop();
  await db?.drop();
});

function productLink(target: string): Promise<Server> {
  const server = createServer(async (req, res) => {
    if (productDown) return void res.writeHead(503).end();
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const headers = Object.fromEntries(Object.entries(req.headers).filter(([k]) => k !== 'host' && k !== 'content-length')) as Record<string, string>;
    const answer = await fetch(target + req.url, { method: req.method, headers, body: Buffer.concat(chunks) });
    res.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'application/json' }).end(Buffer.from(await answer.arrayBuffer()));
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

type Result = Awaited<ReturnType<typeof signedSubgraphRequest>>;
const asProduct = (caller: Caller, query: string, variables?: Record<string, unknown>) => signedSubgraphRequest(product.url, 'product', caller, query, variables);
const asOrder = (caller: Caller, query: string, variables?: Record<string, unknown>) => signedSubgraphRequest(order.url, 'order', caller, query, variables);
const codes = (r: Result) => (r.body.errors ?? []).map((e) => e.extensions?.code);

const address = { line1: '1 Main St', city: 'Springfield', postalCode: '12345', country: 'US' };
const PLACE = 'mutation($i: PlaceOrderInput!) { placeOrder(input: $i) { id status customer { id } total { amount currency } items { product { id } quantity unitPrice { amount currency } lineTotal { amount } } } }';
const place = (caller: Caller, items: { productId: string; quantity: number }[], extra: Record<string, unknown> = {}) => asOrder(caller, PLACE, { i: { items, shippingAddress: address, ...extra } });

async function newProduct(price: string, stock: number) {
  const r = await asProduct(manager, 'mutation($i: CreateProductInput!) { createProduct(input: $i) { id } }', {
    i: { sku: `O-${randomUUID().slice(0, 8)}`, name: `Item ${price}`, description: '', price, currency: 'USD', initialStock: stock },
  });
  expect(r.body.errors).toBeUndefined();
  return r.body.data!.createProduct.id as string;
}
const stockOf = async (id: string) => (await asProduct(manager, 'query($id: ID!) { product(id: $id) { stock } }', { id })).body.data!.product.stock as number;
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
    await asProduct(testCaller({ userId: randomUUID(), roles: ['ADMIN'] }), 'mutation($id: ID!) { archiveProduct(id: $id) { id } }', { id: archived });
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
    productDown = true;
    try {
      expect((await asOrder(alice, CANCEL, { id })).body.data!.cancelOrder.status).toBe('CANCELLED');
      expect(await stockOf(a)).toBe(6);
    } finally {
      productDown = false;
    }
    const until = Date.now() + 10_000;
    while ((await stockOf(a)) !== 10 && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
    expect(await stockOf(a)).toBe(10);
    const [row] = await order.database.db.select({ due: orders.restockDueAt }).from(orders).where(eq(orders.id, id));
    expect(row?.due).toBeNull();
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
