import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes, randomUUID } from 'node:crypto';
import { createTestEnvironment, login, type TestEnvironment } from './harness/supergraph.ts';
import { codesOf } from './harness/client.ts';

// The cart through the router with the real product subgraph behind its quote and stock routes, real sign-in, real Postgres.
let env: TestEnvironment;
beforeAll(async () => {
  env = await createTestEnvironment();
});
afterAll(async () => env?.stop());

const address = { line1: '1 Basket Rd', city: 'Trolley', postalCode: '7', country: 'GB' };
const CART = '{ myCart { lines { product { id name } quantity unitPrice { amount } lineTotal { amount } problem } subtotal { amount currency } } }';
const ADD = 'mutation($p: ID!, $q: Int!) { addToCart(productId: $p, quantity: $q) { subtotal { amount } } }';
const CHECKOUT = 'mutation($i: CheckoutInput!) { checkout(input: $i) { id status total { amount } items { product { name } quantity } } }';

async function product(price: string, stock: number) {
  const admin = await env.asAdmin();
  return (
    await admin.ok<{ createProduct: { id: string } }>('mutation($i: CreateProductInput!) { createProduct(input: $i) { id } }', {
      i: { sku: `K-${randomBytes(4).toString('hex')}`, name: `Cart item ${price}`, description: 'x', price, currency: 'USD', initialStock: stock },
    })
  ).createProduct.id;
}
const stockOf = async (id: string) => (await (await env.asAdmin()).ok<{ product: { stock: number } }>('query($id: ID!) { product(id: $id) { stock } }', { id })).product.stock;

describe('cart and checkout through the router', () => {
  it('keeps the cart across sign-out and sign-in, and shows the names and prices of now', async () => {
    const customer = await env.asCustomer('Shopper');
    const a = await product('3.25', 10);
    await customer.ok(ADD, { p: a, q: 2 });
    await customer.ok('mutation { logout }');
    expect(codesOf(await customer.request(CART))).toEqual(['UNAUTHENTICATED']);
    const anon = env.asAnonymous();
    const again = anon.withToken((await login(anon, customer.email, customer.password)).accessToken);
    const cart = (await again.ok<{ myCart: any }>(CART)).myCart;
    expect(cart).toEqual({ lines: [{ product: { id: a, name: 'Cart item 3.25' }, quantity: 2, unitPrice: { amount: '3.25' }, lineTotal: { amount: '6.50' }, problem: null }], subtotal: { amount: '6.50', currency: 'USD' } });
    await (await env.asAdmin()).ok('mutation($id: ID!) { updateProduct(id: $id, input: { price: "4.00" }) { id } }', { id: a });
    expect((await again.ok<{ myCart: any }>(CART)).myCart.subtotal.amount).toBe('8.00');
  });

  it('flags an archived product instead of dropping it, and checkout says so', async () => {
    const customer = await env.asCustomer('Flagged');
    const [kept, archived] = [await product('1.00', 5), await product('2.00', 5)];
    await customer.ok(ADD, { p: kept, q: 1 });
    await customer.ok(ADD, { p: archived, q: 1 });
    await (await env.asAdmin()).ok('mutation($id: ID!) { archiveProduct(id: $id) { id } }', { id: archived });
    const cart = (await customer.ok<{ myCart: any }>(CART)).myCart;
    expect(cart.lines.map((l: { problem: string | null }) => l.problem)).toEqual([null, 'This product is no longer sold']);
    expect(cart.subtotal.amount).toBe('1.00');
    const refused = await customer.request(CHECKOUT, { i: { shippingAddress: address, idempotencyKey: randomUUID() } });
    expect(codesOf(refused)).toEqual(['BAD_USER_INPUT']);
    expect(await stockOf(kept)).toBe(5);
    // Removing the flagged line lets the rest through.
    await customer.ok('mutation($p: ID!) { setCartQuantity(productId: $p, quantity: 0) { subtotal { amount } } }', { p: archived });
    const placed = (await customer.ok<{ checkout: any }>(CHECKOUT, { i: { shippingAddress: address, idempotencyKey: randomUUID() } })).checkout;
    expect(placed).toMatchObject({ status: 'PENDING', total: { amount: '1.00' }, items: [{ product: { name: 'Cart item 1.00' }, quantity: 1 }] });
    expect(await stockOf(kept)).toBe(4);
    expect((await customer.ok<{ myCart: any }>(CART)).myCart.lines).toEqual([]);
  });

  it('places one order when one cart is checked out many times at once, and holds stock for one', async () => {
    const customer = await env.asCustomer('Doubled');
    const a = await product('5.00', 20);
    await customer.ok(ADD, { p: a, q: 3 });
    const answers = await Promise.all(Array.from({ length: 6 }, (_, i) => customer.request(CHECKOUT, { i: { shippingAddress: address, idempotencyKey: `double-${i % 2}` } })));
    const ids = new Set(answers.flatMap((r) => (r.data?.checkout ? [r.data.checkout.id] : [])));
    expect(ids.size).toBe(1);
    // The others are answered with the one order (same key), refused as a changed cart, or find it already empty.
    for (const r of answers) if (!r.data?.checkout) expect(['CONFLICT', 'BAD_USER_INPUT']).toContain(codesOf(r).join());
    const orders = await customer.ok<{ me: { orders: { totalCount: number } } }>('{ me { orders { totalCount } } }');
    expect(orders.me.orders.totalCount).toBe(1);
    expect(await stockOf(a)).toBe(17);
  });
});
