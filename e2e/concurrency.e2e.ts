import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { createTestEnvironment, type TestEnvironment } from './harness/supergraph.ts';
import { codesOf, type GraphQLClient } from './harness/client.ts';

let env: TestEnvironment;
beforeAll(async () => {
  env = await createTestEnvironment();
});
afterAll(async () => env?.stop());

const address = { line1: '1 Rush Ave', city: 'Contention', postalCode: '42', country: 'US' };
const PLACE = 'mutation($i: PlaceOrderInput!) { placeOrder(input: $i) { id } }';

async function product(stock: number) {
  const admin = await env.asAdmin();
  return (
    await admin.ok<{ createProduct: { id: string } }>('mutation($i: CreateProductInput!) { createProduct(input: $i) { id } }', {
      i: { sku: `C-${randomBytes(4).toString('hex')}`, name: 'Last units', description: 'x', price: '9.99', currency: 'USD', initialStock: stock },
    })
  ).createProduct.id;
}
const stockOf = async (id: string) => (await (await env.asAdmin()).ok<{ product: { stock: number } }>('query($id: ID!) { product(id: $id) { stock } }', { id })).product.stock;

describe('buying the last units at once (real Postgres)', () => {
  it('200 concurrent orders for 50 units: exactly 50 orders, 150 OUT_OF_STOCK, stock 0', async () => {
    const id = await product(50);
    // Buyers are set up ten at a time: forty registrations at once (password hashing and strength checks) can stall
    // a loaded CI machine past the store's 1 s command deadline, which fails closed with 503 before the race starts.
    const buyers: GraphQLClient[] = [];
    for (let batch = 0; batch < 4; batch++) buyers.push(...(await Promise.all(Array.from({ length: 10 }, (_, i) => env.asCustomer(`Buyer${batch * 10 + i}`)))));
    // Forty in flight at once, each buyer placing five in a row: every reservation still races the others for the
    // product's row lock, but the queue stays short enough that a loaded CI machine does not push the last of two
    // hundred queued reservations past the product call's 5 s deadline (a SERVICE_UNAVAILABLE, not a lost race).
    const place = () => ({ i: { items: [{ productId: id, quantity: 1 }], shippingAddress: address } });
    const results = (await Promise.all(buyers.map(async (buyer) => {
      const mine = [];
      for (let n = 0; n < 5; n++) mine.push(await buyer.request(PLACE, place()));
      return mine;
    }))).flat();
    const placed = results.filter((r) => r.data?.placeOrder?.id).length;
    const outOfStock = results.filter((r) => codesOf(r).includes('OUT_OF_STOCK')).length;
    expect({ placed, outOfStock, other: 200 - placed - outOfStock }).toEqual({ placed: 50, outOfStock: 150, other: 0 });
    expect(await stockOf(id)).toBe(0);
    const orders = await (await env.asAdmin()).ok<{ orders: { totalCount: number } }>('{ orders(first: 1) { totalCount } }');
    expect(orders.orders.totalCount).toBeGreaterThanOrEqual(50);
  });

  it('a cancel and a shipment racing for one order: exactly one wins', async () => {
    const id = await product(10);
    const customer = await env.asCustomer('Racer');
    const admin = await env.asAdmin();
    for (let round = 0; round < 5; round++) {
      const order = (await customer.ok<{ placeOrder: { id: string } }>(PLACE, { i: { items: [{ productId: id, quantity: 1 }], shippingAddress: address } })).placeOrder.id;
      await admin.ok('mutation($id: ID!) { updateOrderStatus(id: $id, status: CONFIRMED) { id } }', { id: order });
      const [cancel, ship] = await Promise.all([
        customer.request('mutation($id: ID!) { cancelOrder(id: $id) { status } }', { id: order }),
        admin.request('mutation($id: ID!) { updateOrderStatus(id: $id, status: SHIPPED) { status } }', { id: order }),
      ]);
      const wins = [cancel, ship].filter((r) => !r.errors?.length);
      expect(wins).toHaveLength(1);
      const final = (await admin.ok<{ order: { status: string } }>('query($id: ID!) { order(id: $id) { status } }', { id: order })).order.status;
      expect(final).toBe(cancel.errors?.length ? 'SHIPPED' : 'CANCELLED');
    }
    // every cancelled order gave its unit back exactly once, every shipped one kept it
    const shippedOrOpen = 10 - (await stockOf(id));
    const cancelled = await admin.ok<{ orders: { totalCount: number } }>('query { orders(filter: { status: CANCELLED }, first: 1) { totalCount } }');
    expect(shippedOrOpen).toBe(5 - cancelled.orders.totalCount);
  });

  it('50 concurrent retries of one idempotency key: one order, stock moved once', async () => {
    const id = await product(100);
    const customer = await env.asCustomer('Retrier');
    const input = { items: [{ productId: id, quantity: 2 }], shippingAddress: address, idempotencyKey: `key-${randomBytes(6).toString('hex')}` };
    const results = await Promise.all(Array.from({ length: 50 }, () => customer.request(PLACE, { i: input })));
    const ids = new Set(results.map((r) => r.data?.placeOrder?.id));
    expect(results.every((r) => !r.errors?.length)).toBe(true);
    expect(ids.size).toBe(1);
    expect(await stockOf(id)).toBe(98);
    // the same key with another basket is a conflict, and moves nothing
    const other = await customer.request(PLACE, { i: { ...input, items: [{ productId: id, quantity: 3 }] } });
    expect(codesOf(other)).toEqual(['CONFLICT']);
    expect(await stockOf(id)).toBe(98);
  });
});
