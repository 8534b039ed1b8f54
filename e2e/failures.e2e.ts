import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import { loadInternalKeys, postSigned } from '@palisade/kit';
import { waitFor } from '@palisade/kit/testing/index';
import { createTestEnvironment, type TestEnvironment } from './harness/supergraph.ts';
import { codesOf } from './harness/client.ts';

// Short reservation lifetimes so expiry can be watched within a test.
process.env.RESERVATION_TTL_SECONDS = '1';
process.env.RESERVATION_SWEEP_MS = '250';
let env: TestEnvironment;
beforeAll(async () => {
  env = await createTestEnvironment();
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
    expect(codesOf(r)).toEqual(['INTERNAL_SERVER_ERROR']);
    await env.supergraph.startSubgraph('product');
    expect((await customer.ok<{ me: { orders: { totalCount: number } } }>('{ me { orders { totalCount } } }')).me.orders.totalCount).toBe(0);
    expect(await stockOf(id)).toBe(10);
    await customer.ok('mutation($i: PlaceOrderInput!) { placeOrder(input: $i) { id } }', { i: { items: [{ productId: id, quantity: 3 }], shippingAddress: address } });
    expect(await stockOf(id)).toBe(7);
  });

  it('releases a reservation whose order never came, once it expires', async () => {
    const id = await product(10);
    const { signer } = await loadInternalKeys('order', []);
    const base = env.supergraph.subgraphs.product.url.replace(/\/graphql$/, '');
    const answer = await postSigned<{ ok: boolean }>(signer, 'product', `${base}/internal/stock/reserve`, { orderRef: randomUUID(), items: [{ productId: id, quantity: 4 }] });
    expect(answer.ok).toBe(true);
    expect(await stockOf(id)).toBe(6); // held while the order might still be written
    await waitFor(async () => (await stockOf(id)) === 10, 'the expired reservation being released', 8_000);
  });

  it('keeps an expired reservation while the order subgraph cannot say, and settles it when it can', async () => {
    const id = await product(10);
    const { signer } = await loadInternalKeys('order', []);
    const base = env.supergraph.subgraphs.product.url.replace(/\/graphql$/, '');
    await env.supergraph.stopSubgraph('order');
    const down = await outageAt(env.supergraph.subgraphs.order.url);
    const orderRef = randomUUID();
    try {
      await postSigned(signer, 'product', `${base}/internal/stock/reserve`, { orderRef, items: [{ productId: id, quantity: 2 }] });
      // expired, swept several times (each sweep asked about this order and got no answer), undecidable
      await waitFor(async () => down.asked('/internal/orders/exists', orderRef) >= 3, 'three sweeps asking about the reservation', 10_000);
      expect(await stockOf(id)).toBe(8);
    } finally {
      await down.close();
    }
    await env.supergraph.startSubgraph('order');
    await waitFor(async () => (await stockOf(id)) === 10, 'the reservation being settled once the order subgraph answers', 8_000);
  });

  it('keeps the stock of an order that exists even if its confirmation was lost', async () => {
    const id = await product(10);
    const customer = await env.asCustomer('Confirmed');
    const order = (await customer.ok<{ placeOrder: { id: string } }>('mutation($i: PlaceOrderInput!) { placeOrder(input: $i) { id } }', { i: { items: [{ productId: id, quantity: 1 }], shippingAddress: address } })).placeOrder.id;
    // forget the confirmation, as if it had been lost on the way
    const { sql } = await import('drizzle-orm');
    const { queryRows } = await import('@palisade/kit');
    await queryRows(env.supergraph.subgraphs.product.database.db, sql`update products.stock_reservations set status = 'pending', expires_at = now() where order_ref = ${order}`);
    await waitFor(
      async () => (await queryRows<{ status: string }>(env.supergraph.subgraphs.product.database.db, sql`select status from products.stock_reservations where order_ref = ${order}`))[0]?.status === 'confirmed',
      'the sweeper confirming the reservation of an existing order',
      8_000,
    );
    expect(await stockOf(id)).toBe(9);
  });
});
