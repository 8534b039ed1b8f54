import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import { sql } from 'drizzle-orm';
import { loadInternalKeys, queryRows } from '@palisade/kit';
import { postSigned, waitFor } from '@palisade/kit/testing/index';
import { createTestEnvironment, type TestEnvironment } from './harness/supergraph.ts';
import { codesOf } from './harness/client.ts';

// Short reservation lifetimes so settling can be watched within a test.
let env: TestEnvironment;
beforeAll(async () => {
  env = await createTestEnvironment({ config: { order: { reservationTtlSeconds: 1, reservationSweepMs: 250 } } });
});
afterAll(async () => env?.stop());

const address = { line1: '1 Outage Rd', city: 'Failover', postalCode: '503', country: 'US' };
async function product(stock: number) {
  return (
    await (await env.asAdmin()).ok<{ createProduct: { id: string } }>('mutation($i: CreateProductInput!) { createProduct(input: $i) { id } }', {
      i: { sku: `F-${randomBytes(4).toString('hex')}`, name: 'Fragile', description: 'x', price: '5.00', currency: 'USD', initialStock: stock },
    })
  ).createProduct.id;
}
const stockOf = async (id: string) => (await (await env.asAdmin()).ok<{ product: { stock: number } }>('query($id: ID!) { product(id: $id) { stock } }', { id })).product.stock;

const productDb = () => env.supergraph.subgraphs.product.database.db;
const orderDb = () => env.supergraph.subgraphs.order.database.db;
/** A hold in the order subgraph's ledger (subgraphs/order/services/stock-holds.ts), as a placement leaves it. */
const leaveHold = (orderRef: string, state: 'open' | 'placed') => queryRows(orderDb(), sql`insert into orders.stock_holds (order_id, state) values (${orderRef}, ${state})`);
const holdCount = async () => (await queryRows<{ n: number }>(orderDb(), sql`select count(*)::int as n from orders.stock_holds`))[0]!.n;
const holdState = async (orderRef: string) => (await queryRows<{ state: string }>(orderDb(), sql`select state from orders.stock_holds where order_id = ${orderRef}`))[0]?.state ?? null;
/** Reserves exactly as the order subgraph does, signed with its key. */
async function reserveAsOrder(orderRef: string, productId: string, quantity: number) {
  const { signer } = await loadInternalKeys('order', []);
  const base = env.supergraph.subgraphs.product.url.replace(/\/graphql$/, '');
  return postSigned<{ ok: boolean }>(signer, 'product', `${base}/internal/stock/reserve`, { orderRef, items: [{ productId, quantity }] });
}

/**
 * Stands where a stopped subgraph listened, answering every call 503 as an unhealthy service would, and
 * keeps the bodies it was sent: a test can wait until a peer has tried, instead of guessing how long that takes.
 */
async function outageAt(url: string) {
  const bodies: string[] = [];
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    bodies.push(`${req.url} ${Buffer.concat(chunks).toString('utf8')}`);
    res.writeHead(503).end();
  });
  await new Promise<void>((resolve) => server.listen(Number(new URL(url).port), '127.0.0.1', () => resolve()));
  return {
    asked: (path: string, containing: string) => bodies.filter((b) => b.startsWith(`${path} `) && b.includes(containing)).length,
    close: () => new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve()))),
  };
}

describe('placing orders while parts of the system fail', () => {
  it('with the product subgraph down: no order, no stock lost, and normal service after it returns', async () => {
    const id = await product(10);
    const customer = await env.asCustomer('Unlucky');
    await env.supergraph.stopSubgraph('product');
    const r = await customer.request('mutation($i: PlaceOrderInput!) { placeOrder(input: $i) { id } }', { i: { items: [{ productId: id, quantity: 3 }], shippingAddress: address } });
    expect(r.data?.placeOrder ?? null).toBeNull();
    expect(codesOf(r)).toEqual(['SERVICE_UNAVAILABLE']);
    await env.supergraph.startSubgraph('product');
    // The failed placement left a hold (its release went unanswered); the order subgraph settles it with product,
    // which also closes its circuit to product if the outage opened it.
    await waitFor(async () => (await holdCount()) === 0, 'the order subgraph settling what the outage left', 20_000);
    expect((await customer.ok<{ me: { orders: { totalCount: number } } }>('{ me { orders { totalCount } } }')).me.orders.totalCount).toBe(0);
    expect(await stockOf(id)).toBe(10);
    await customer.ok('mutation($i: PlaceOrderInput!) { placeOrder(input: $i) { id } }', { i: { items: [{ productId: id, quantity: 3 }], shippingAddress: address } });
    expect(await stockOf(id)).toBe(7);
  });

  it('releases a reservation whose order was never written, once it is old enough', async () => {
    const id = await product(10);
    const orderRef = randomUUID();
    // What a placement leaves when it dies between reserving and writing its order: its hold, and the reservation.
    await leaveHold(orderRef, 'open');
    expect((await reserveAsOrder(orderRef, id, 4)).ok).toBe(true);
    expect(await stockOf(id)).toBe(6); // held while the order might still be written
    await waitFor(async () => (await stockOf(id)) === 10, 'the order subgraph releasing the reservation', 8_000);
    expect(await holdState(orderRef)).toBeNull();
  });

  it('keeps a reservation while the product subgraph cannot be asked to settle it, and settles it when it can', async () => {
    const id = await product(10);
    const orderRef = randomUUID();
    await reserveAsOrder(orderRef, id, 2);
    await env.supergraph.stopSubgraph('product');
    const down = await outageAt(env.supergraph.subgraphs.product.url);
    // Only now the hold that makes it the order subgraph's to settle, so no run settles it before the outage.
    await leaveHold(orderRef, 'open');
    try {
      // old enough, tried more than once (each try asked for this release and got no answer), still held
      await waitFor(async () => down.asked('/internal/stock/release', orderRef) >= 2, 'two settle runs asking for the release', 10_000);
      expect(await holdState(orderRef)).toBe('abandoned');
    } finally {
      await down.close();
    }
    await env.supergraph.startSubgraph('product');
    // Its circuit to product opened meanwhile; the first trial call after the reset settles the reservation.
    await waitFor(async () => (await stockOf(id)) === 10, 'the reservation being released once product answers', 20_000);
    expect(await holdState(orderRef)).toBeNull();
  });

  it('keeps the stock of an order that exists even if its confirmation was lost', async () => {
    const id = await product(10);
    const customer = await env.asCustomer('Confirmed');
    const order = (await customer.ok<{ placeOrder: { id: string } }>('mutation($i: PlaceOrderInput!) { placeOrder(input: $i) { id } }', { i: { items: [{ productId: id, quantity: 1 }], shippingAddress: address } })).placeOrder.id;
    // The placement's own hold goes in a batch shortly after the answer: wait for it before leaving ours.
    await waitFor(async () => (await holdState(order)) === null, "the placement's hold deleted after its confirmation", 8_000);
    // forget the confirmation, as if it had been lost on the way: pending at product, placed at order
    await queryRows(productDb(), sql`update products.stock_reservations set status = 'pending' where order_ref = ${order}`);
    await leaveHold(order, 'placed');
    await waitFor(
      async () => (await queryRows<{ status: string }>(productDb(), sql`select status from products.stock_reservations where order_ref = ${order}`))[0]?.status === 'confirmed',
      'the order subgraph confirming the reservation of its order',
      8_000,
    );
    expect(await stockOf(id)).toBe(9);
    expect(await holdState(order)).toBeNull();
  });
});
