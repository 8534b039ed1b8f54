import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { eventually } from '@palisade/kit/testing/index';
import { createTestEnvironment, type TestEnvironment } from './harness/supergraph.ts';

let env: TestEnvironment;
beforeAll(async () => {
  env = await createTestEnvironment();
});
afterAll(async () => env?.stop());

const address = { line1: '1 Batch Ln', city: 'Loader', postalCode: '50', country: 'US' };

/** Statements each subgraph sent to its own business tables while `run` ran (the outbox relay's are ignored). */
async function statements(run: () => Promise<unknown>) {
  const counts = { product: 0, order: 0, user: 0 };
  const watch = (name: keyof typeof counts, table: RegExp) => env.supergraph.subgraphs[name].database.observe((q) => void (table.test(q) && counts[name]++));
  const stops = [watch('product', /"products"\."products"/), watch('order', /"orders"\."(orders|order_items)"/), watch('user', /"users"\."users"/)];
  try {
    await run();
  } finally {
    stops.forEach((s) => s());
  }
  return counts;
}

describe('no N+1 across subgraphs', () => {
  it('reads an order of 50 items with as many statements as an order of 5', async () => {
    const admin = await env.asAdmin();
    const ids: string[] = [];
    for (let i = 0; i < 50; i++)
      ids.push((await admin.ok<{ createProduct: { id: string } }>('mutation($i: CreateProductInput!) { createProduct(input: $i) { id } }', { i: { sku: `B-${randomBytes(5).toString('hex')}`, name: `Batch ${i}`, description: 'x', price: '1.00', currency: 'USD', initialStock: 5 } })).createProduct.id);
    const customer = await env.asCustomer('Batcher');
    const place = async (n: number) =>
      (await customer.ok<{ placeOrder: { id: string } }>('mutation($i: PlaceOrderInput!) { placeOrder(input: $i) { id } }', { i: { items: ids.slice(0, n).map((productId) => ({ productId, quantity: 1 })), shippingAddress: address } })).placeOrder.id;
    // The registration's welcome mail is composed from the users table by a background job: let it finish first,
    // or its read lands among the statements counted below.
    await eventually(async () => expect(await env.supergraph.subgraphs.user.mailQueue.pending()).toBe(0), 'queued mail sent', 10_000);
    const small = await place(5);
    const large = await place(50);
    // So is each order's notification (the notifier reads the customer's row, then the mail queue composes from it).
    await eventually(async () => expect((await customer.ok<{ myNotifications: { totalCount: number } }>('{ myNotifications(first: 0) { totalCount } }')).myNotifications.totalCount).toBe(2), 'the orders notified', 10_000);
    await eventually(async () => expect(await env.supergraph.subgraphs.user.mailQueue.pending()).toBe(0), 'their mail sent', 10_000);
    const read = (id: string) => () => admin.ok('query($id: ID!) { order(id: $id) { customer { displayName } items { quantity product { name price { amount } category { name } } } } }', { id });
    const few = await statements(read(small));
    const many = await statements(read(large));
    expect(few.product * few.order * few.user).toBeGreaterThan(0); // the counter sees the reads at all
    expect(many).toEqual(few);
    expect(many.product).toBeLessThanOrEqual(2);

    // and a page of orders with all their items and products
    const list = await statements(() => admin.ok('{ orders(first: 20) { edges { node { customer { displayName } items { product { name } } } } } }'));
    expect(list.product).toBeLessThanOrEqual(2);
    expect(list.order).toBeLessThanOrEqual(3);
    expect(list.user).toBeLessThanOrEqual(1);
  });
});
