import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { createTestEnvironment, type TestEnvironment } from './harness/supergraph.ts';
import { codesOf, type GraphQLClient } from './harness/client.ts';

let env: TestEnvironment;
let admin: GraphQLClient;
beforeAll(async () => {
  env = await createTestEnvironment();
  admin = await env.asAdmin();
});
afterAll(async () => env?.stop());

const address = { line1: '1 State St', city: 'Machine', postalCode: '7', country: 'US' };
const STATUS = 'mutation($id: ID!, $s: OrderStatus!) { updateOrderStatus(id: $id, status: $s) { status } }';
async function setup(stock = 10) {
  const productId = (await admin.ok<{ createProduct: { id: string } }>('mutation($i: CreateProductInput!) { createProduct(input: $i) { id } }', { i: { sku: `O-${randomBytes(4).toString('hex')}`, name: 'Stateful', description: 'x', price: '12.34', currency: 'EUR', initialStock: stock } })).createProduct.id;
  const customer = await env.asCustomer('Orderer');
  const order = (await customer.ok<{ placeOrder: { id: string; total: { amount: string; currency: string }; items: { unitPrice: { amount: string }; lineTotal: { amount: string } }[] } }>(
    'mutation($i: PlaceOrderInput!) { placeOrder(input: $i) { id total { amount currency } items { unitPrice { amount } lineTotal { amount } } } }',
    { i: { items: [{ productId, quantity: 3 }], shippingAddress: address } },
  )).placeOrder;
  return { productId, customer, order };
}
const stockOf = async (id: string) => (await admin.ok<{ product: { stock: number } }>('query($id: ID!) { product(id: $id) { stock } }', { id })).product.stock;

describe('orders', () => {
  it('snapshots prices and computes totals on the server', async () => {
    const { productId, customer, order } = await setup();
    expect(order.total).toEqual({ amount: '37.02', currency: 'EUR' });
    expect(order.items[0]).toEqual({ unitPrice: { amount: '12.34' }, lineTotal: { amount: '37.02' } });
    await admin.ok('mutation($id: ID!) { updateProduct(id: $id, input: { price: "99.99" }) { id } }', { id: productId });
    const again = await customer.ok<{ order: { total: { amount: string } } }>('query($id: ID!) { order(id: $id) { total { amount } } }', { id: order.id });
    expect(again.order.total.amount).toBe('37.02');
  });

  it('moves only along PENDING→CONFIRMED→SHIPPED→DELIVERED, anything else is BAD_USER_INPUT', async () => {
    const { order } = await setup();
    expect(codesOf(await admin.request(STATUS, { id: order.id, s: 'SHIPPED' }))).toEqual(['BAD_USER_INPUT']);
    for (const s of ['CONFIRMED', 'SHIPPED', 'DELIVERED']) expect((await admin.ok<{ updateOrderStatus: { status: string } }>(STATUS, { id: order.id, s })).updateOrderStatus.status).toBe(s);
    for (const s of ['CANCELLED', 'PENDING', 'SHIPPED']) expect(codesOf(await admin.request(STATUS, { id: order.id, s }))).toEqual(['BAD_USER_INPUT']);
  });

  it('restocks a cancelled order exactly once; the owner cannot cancel once shipped', async () => {
    const { productId, customer, order } = await setup(10);
    expect(await stockOf(productId)).toBe(7);
    expect((await customer.ok<{ cancelOrder: { status: string } }>('mutation($id: ID!) { cancelOrder(id: $id) { status } }', { id: order.id })).cancelOrder.status).toBe('CANCELLED');
    expect(await stockOf(productId)).toBe(10);
    expect(codesOf(await customer.request('mutation($id: ID!) { cancelOrder(id: $id) { status } }', { id: order.id }))).toEqual(['BAD_USER_INPUT']);
    expect(codesOf(await admin.request(STATUS, { id: order.id, s: 'CANCELLED' }))).toEqual(['BAD_USER_INPUT']);
    expect(await stockOf(productId)).toBe(10);
    const shipped = await setup(10);
    await admin.ok(STATUS, { id: shipped.order.id, s: 'CONFIRMED' });
    await admin.ok(STATUS, { id: shipped.order.id, s: 'SHIPPED' });
    expect(codesOf(await shipped.customer.request('mutation($id: ID!) { cancelOrder(id: $id) { status } }', { id: shipped.order.id }))).toEqual(['BAD_USER_INPUT']);
  });

  it('refuses a bad address or basket and changes nothing', async () => {
    const { productId, customer } = await setup(10);
    const before = await stockOf(productId);
    for (const input of [
      { items: [{ productId, quantity: 1 }], shippingAddress: { ...address, country: 'USA' } },
      { items: [{ productId, quantity: 0 }], shippingAddress: address },
      { items: [], shippingAddress: address },
      { items: [{ productId: 'nope', quantity: 1 }], shippingAddress: address },
    ])
      expect(codesOf(await customer.request('mutation($i: PlaceOrderInput!) { placeOrder(input: $i) { id } }', { i: input }))).toEqual(['BAD_USER_INPUT']);
    expect(await stockOf(productId)).toBe(before);
  });
});
