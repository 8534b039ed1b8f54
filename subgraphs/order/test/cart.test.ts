import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { eq, sql } from 'drizzle-orm';
import type { Caller } from '@palisade/auth';
import type { StartedSubgraph } from '@palisade/kit';
import { signedSubgraphRequest, suiteDatabase, testCaller, testConfig } from '@palisade/kit/testing/index';
import { auditOutbox, cartLines, orders } from '../db/schema.ts';
import { startOrderSubgraph } from '../index.ts';
import { startProductStandIn, type ProductStandIn } from './product-stand-in.ts';

// Carts over the signed product stand-in (subgraphs never import each other); e2e/cart.e2e.ts runs them with
// the real product subgraph, through the router, with real sign-in.
let product: ProductStandIn;
let order: StartedSubgraph;
let db: Awaited<ReturnType<typeof suiteDatabase>>;

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

type Result = Awaited<ReturnType<typeof signedSubgraphRequest>>;
const gql = (caller: Caller, query: string, variables?: Record<string, unknown>) => signedSubgraphRequest(order.url, 'order', caller, query, variables);
const codes = (r: Result) => (r.body.errors ?? []).map((e) => e.extensions?.code);
const customer = () => testCaller({ userId: randomUUID() });

const CART = 'lines { product { id } quantity unitPrice { amount currency } lineTotal { amount } problem } subtotal { amount currency } updatedAt';
const myCart = async (c: Caller) => (await gql(c, `{ myCart { ${CART} } }`)).body.data!.myCart;
const add = (c: Caller, productId: string, quantity: number) => gql(c, `mutation($p: ID!, $q: Int!) { addToCart(productId: $p, quantity: $q) { ${CART} } }`, { p: productId, q: quantity });
const setQty = (c: Caller, productId: string, quantity: number) => gql(c, `mutation($p: ID!, $q: Int!) { setCartQuantity(productId: $p, quantity: $q) { ${CART} } }`, { p: productId, q: quantity });
const address = { line1: '1 Main St', city: 'Springfield', postalCode: '12345', country: 'US' };
const CHECKOUT = 'mutation($i: CheckoutInput!) { checkout(input: $i) { id status total { amount currency } items { product { id } quantity unitPrice { amount } } } }';
const checkout = (c: Caller, idempotencyKey: string, shippingAddress: Record<string, unknown> = address) => gql(c, CHECKOUT, { i: { shippingAddress, idempotencyKey } });
const ordersOf = async (c: Caller) => (await order.database.db.select({ n: sql<number>`count(*)::int` }).from(orders).where(eq(orders.customerId, c.userId!)))[0]!.n;
const linesOf = async (c: Caller) => order.database.db.select().from(cartLines).where(eq(cartLines.customerId, c.userId!));

describe('a cart', () => {
  it('starts empty, adds up quantities, and shows the catalog price of now', async () => {
    const alice = customer();
    expect(await myCart(alice)).toMatchObject({ lines: [], subtotal: { amount: '0.00', currency: 'USD' } });
    const a = product.add('2.50', 10);
    const b = product.add('1.00', 10);
    await add(alice, a, 2);
    const r = await add(alice, a, 1);
    expect(r.body.errors).toBeUndefined();
    await add(alice, b, 4);
    expect(await myCart(alice)).toMatchObject({ lines: [{ product: { id: a }, quantity: 3, lineTotal: { amount: '7.50' }, problem: null }, { product: { id: b }, quantity: 4 }], subtotal: { amount: '11.50' } });
    product.reprice(a, '3.00');
    expect((await myCart(alice)).subtotal.amount).toBe('13.00');
    // Another customer's cart is their own.
    expect((await myCart(customer())).lines).toEqual([]);
  });

  it('sets a quantity, and 0 removes the line', async () => {
    const alice = customer();
    const a = product.add('1.00', 10);
    await add(alice, a, 5);
    expect((await setQty(alice, a, 2)).body.data!.setCartQuantity.lines).toMatchObject([{ quantity: 2 }]);
    expect((await setQty(alice, a, 0)).body.data!.setCartQuantity.lines).toEqual([]);
    expect(await linesOf(alice)).toEqual([]);
  });

  it('flags lines the catalog can no longer sell as they stand, keeps them, and leaves them out of the subtotal', async () => {
    const alice = customer();
    const [gone, empty, short, fine] = [product.add('1.00', 5), product.add('1.00', 5), product.add('1.00', 5), product.add('1.00', 5)];
    for (const p of [gone, empty, short, fine]) await add(alice, p, 3);
    product.archive(gone);
    product.reserve(randomUUID(), empty, 5);
    product.reserve(randomUUID(), short, 4);
    const cart = await myCart(alice);
    expect(cart.lines.map((l: { problem: string | null }) => l.problem)).toEqual(['This product is no longer sold', 'Out of stock', 'Only 1 available', null]);
    expect(cart.subtotal.amount).toBe('3.00');
    // Checkout says which line and why, places nothing and keeps the cart.
    const r = await checkout(alice, randomUUID());
    expect(codes(r)).toEqual(['BAD_USER_INPUT']);
    expect(r.body.errors![0]!.message).toContain('no longer sold');
    expect(await ordersOf(alice)).toBe(0);
    expect(await linesOf(alice)).toHaveLength(4);
  });

  it('refuses unsold products, more than is available, a second currency, and more than its limits', async () => {
    const alice = customer();
    const archived = product.add('1.00', 5);
    product.archive(archived);
    expect(codes(await add(alice, archived, 1))).toEqual(['NOT_FOUND']);
    expect(codes(await add(alice, randomUUID(), 1))).toEqual(['NOT_FOUND']);
    const few = product.add('1.00', 2);
    expect(codes(await add(alice, few, 3))).toEqual(['OUT_OF_STOCK']);
    const a = product.add('1.00', 500);
    await add(alice, a, 100);
    expect(codes(await add(alice, a, 1))).toEqual(['BAD_USER_INPUT']);
    const euro = product.add('1.00', 5);
    product.reprice(euro, '1.00', 'EUR');
    expect(codes(await add(alice, euro, 1))).toEqual(['BAD_USER_INPUT']);
    for (let i = 1; i < 50; i++) expect((await add(alice, product.add('1.00', 5), 1)).body.errors).toBeUndefined();
    expect(codes(await add(alice, product.add('1.00', 5), 1))).toEqual(['BAD_USER_INPUT']);
    expect(await linesOf(alice)).toHaveLength(50);
  });

  it('refuses products past the 50th as BAD_USER_INPUT on productId, one at a time or added at once', async () => {
    // The catalog quotes at most 50 ids per call (as product's quotes.ts): a 51st must be refused here, not sent.
    const alice = customer();
    for (let i = 0; i < 45; i++) expect((await add(alice, product.add('1.00', 5), 1)).body.errors).toBeUndefined();
    const answers = await Promise.all(Array.from({ length: 10 }, () => add(alice, product.add('1.00', 5), 1)));
    const refused = answers.filter((r) => r.body.errors);
    expect(refused).toHaveLength(5);
    for (const r of refused) expect(r.body.errors!.map((e) => [e.extensions?.code, e.extensions?.field])).toEqual([['BAD_USER_INPUT', 'productId']]);
    expect(await linesOf(alice)).toHaveLength(50);
    const r = await add(alice, product.add('1.00', 5), 1);
    expect(r.body.errors!.map((e) => [e.extensions?.code, e.extensions?.field])).toEqual([['BAD_USER_INPUT', 'productId']]);
    // A full cart still changes the quantity of a product it holds, and removing one it does not hold changes nothing.
    const held = (await linesOf(alice))[0]!.productId;
    expect((await setQty(alice, held, 2)).body.errors).toBeUndefined();
    expect((await setQty(alice, product.add('1.00', 5), 0)).body.errors).toBeUndefined();
    expect(await linesOf(alice)).toHaveLength(50);
  });

  it('keeps every line within 1 to 100 and the cart in one currency, whatever changes race each other', async () => {
    // Each change decides on the quantity and lines it finds under the cart's lock: two adds of 60 cannot both
    // pass the 100 check (a 500 from the table's check constraint), and two currencies cannot both be first.
    const change = fc.record({ set: fc.boolean(), euro: fc.boolean(), q: fc.integer({ min: 0, max: 100 }) });
    await fc.assert(
      fc.asyncProperty(fc.array(change, { minLength: 2, maxLength: 6 }), async (changes) => {
        const alice = customer();
        const usd = product.add('1.00', 1000);
        const eur = product.add('1.00', 1000);
        product.reprice(eur, '1.00', 'EUR');
        const answers = await Promise.all(changes.map((c) => (c.set ? setQty(alice, c.euro ? eur : usd, c.q) : add(alice, c.euro ? eur : usd, Math.max(c.q, 1)))));
        for (const r of answers) for (const code of codes(r)) expect(['BAD_USER_INPUT']).toContain(code);
        const lines = await linesOf(alice);
        expect(lines.length).toBeLessThanOrEqual(1);
        for (const l of lines) expect(l.quantity).toBeGreaterThanOrEqual(1), expect(l.quantity).toBeLessThanOrEqual(100);
        // A product only added to holds the sum of the adds accepted: none lost to another.
        for (const [euro, id] of [[true, eur], [false, usd]] as const) {
          const mine = changes.map((c, i) => ({ c, r: answers[i]! })).filter(({ c }) => c.euro === euro);
          if (mine.some(({ c }) => c.set)) continue;
          const sum = mine.filter(({ r }) => !r.body.errors).reduce((n, { c }) => n + Math.max(c.q, 1), 0);
          expect(lines.find((l) => l.productId === id)?.quantity ?? 0).toBe(sum);
        }
      }),
      { numRuns: 25 },
    );
  });

  it('refuses every malformed product id and quantity with BAD_USER_INPUT naming the field, changing nothing', async () => {
    const alice = customer();
    const a = product.add('1.00', 1000);
    await add(alice, a, 1);
    const badId = fc.oneof(fc.string({ maxLength: 40 }), fc.constantFrom('', ' ', "' or 1=1 --", '\u0000', `${randomUUID()}\u0000`, randomUUID().toUpperCase() + 'x', 'x'.repeat(10_000)));
    const badQuantity = fc.oneof(fc.integer({ min: -(2 ** 31), max: 0 }), fc.integer({ min: 101, max: 2 ** 31 - 1 }));
    await fc.assert(
      fc.asyncProperty(fc.oneof(badId.map((p) => ({ p, q: 1, field: 'productId' })), badQuantity.map((q) => ({ p: a, q, field: 'quantity' }))), fc.boolean(), async ({ p, q, field }, viaSet) => {
        if (field === 'productId' && /^[0-9a-f-]{36}$/i.test(p)) return;
        if (viaSet && field === 'quantity' && q === 0) return;
        const r = viaSet ? await setQty(alice, p, q) : await add(alice, p, q);
        expect(codes(r)).toEqual(['BAD_USER_INPUT']);
        expect(r.body.errors![0]!.extensions!.field).toBe(field);
        expect(JSON.stringify(r.body)).not.toContain('cart_lines');
      }),
      { numRuns: 60 },
    );
    expect((await linesOf(alice)).map((l) => l.quantity)).toEqual([1]);
  });

  it('asks the catalog once per operation however often the cart is asked for (aliases, fragments)', async () => {
    const alice = customer();
    for (let i = 0; i < 50; i++) await add(alice, product.add('1.00', 5), 1);
    const shapes = fc.array(fc.constantFrom('alias', 'fragment'), { minLength: 2, maxLength: 30 });
    await fc.assert(
      fc.asyncProperty(shapes, async (kinds) => {
        const fields = kinds.map((k, i) => (k === 'alias' ? `c${i}: myCart { subtotal { amount } lines { quantity } }` : `...F${i}`)).join(' ');
        const fragments = kinds.map((k, i) => (k === 'fragment' ? `fragment F${i} on Query { f${i}: myCart { updatedAt lines { product { id } } } }` : '')).join(' ');
        const before = product.quoted;
        const r = await gql(alice, `{ ${fields} } ${fragments}`);
        expect(r.body.errors).toBeUndefined();
        expect(Object.keys(r.body.data!)).toHaveLength(kinds.length);
        expect(product.quoted - before).toBe(1);
      }),
      { numRuns: 10 },
    );
  });

  it('is for signed-in customers only', async () => {
    const a = product.add('1.00', 5);
    expect(codes(await add(testCaller(), a, 1))).toEqual(['UNAUTHENTICATED']);
    expect(codes(await gql(testCaller(), '{ myCart { subtotal { amount } } }'))).toEqual(['UNAUTHENTICATED']);
  });
});

describe('checkout', () => {
  it('places the cart at the prices of now, empties it with the order, and audits both', async () => {
    const alice = customer();
    const a = product.add('4.00', 10);
    await add(alice, a, 2);
    product.reprice(a, '5.00');
    const r = await checkout(alice, 'co-1');
    expect(r.body.errors).toBeUndefined();
    const placed = r.body.data!.checkout;
    expect(placed).toMatchObject({ status: 'PENDING', total: { amount: '10.00', currency: 'USD' }, items: [{ product: { id: a }, quantity: 2, unitPrice: { amount: '5.00' } }] });
    expect(product.stockOf(a)).toBe(8);
    expect(await linesOf(alice)).toEqual([]);
    const actions = (await order.database.db.select({ record: auditOutbox.record }).from(auditOutbox).where(sql`${auditOutbox.record}->>'resourceId' = ${placed.id}`)).map((x) => x.record.action);
    expect(actions.sort()).toEqual(['cart.checked_out', 'order.placed']);
    // A retry with the key answers the same order though the cart is empty now; another address under it is a conflict.
    expect((await checkout(alice, 'co-1')).body.data!.checkout.id).toBe(placed.id);
    expect(codes(await checkout(alice, 'co-1', { ...address, city: 'Shelbyville' }))).toEqual(['CONFLICT']);
    expect(codes(await checkout(alice, 'co-2'))).toEqual(['BAD_USER_INPUT']);
    expect(await ordersOf(alice)).toBe(1);
  });

  it('refuses every malformed key and address with BAD_USER_INPUT naming the field, placing nothing and keeping the cart', async () => {
    const alice = customer();
    const a = product.add('1.00', 1000);
    await add(alice, a, 1);
    const bad = fc.oneof(fc.constant(''), fc.constant(' '), fc.constant('\u0000'), fc.constant('a\u0000b'), fc.constant('x'.repeat(10_000)), fc.string({ maxLength: 5 }).map((s) => `k${s}\u0007`));
    const cases = fc.oneof(
      bad.map((v) => ({ key: v, address, field: 'idempotencyKey' })),
      fc.tuple(fc.constantFrom('line1', 'city', 'postalCode', 'country', 'line2', 'region'), bad).filter(([f, v]) => !((f === 'line2' || f === 'region') && !v.trim())).map(([f, v]) => ({ key: randomUUID(), address: { ...address, [f]: v }, field: `shippingAddress.${f}` })),
    );
    await fc.assert(
      fc.asyncProperty(cases, async ({ key, address: to, field }) => {
        const r = await checkout(alice, key, to);
        // Control characters are stopped by the input guard, which names the argument's whole path.
        expect(r.body.errors?.map((e) => [e.extensions?.code, String(e.extensions?.field).replace(/^input\./, '')])).toEqual([['BAD_USER_INPUT', field]]);
      }),
      { numRuns: 40 },
    );
    expect(await ordersOf(alice)).toBe(0);
    expect(await linesOf(alice)).toHaveLength(1);
  });

  it('answers SERVICE_UNAVAILABLE while the catalog is down, and loses nothing', async () => {
    const alice = customer();
    const a = product.add('1.00', 5);
    await add(alice, a, 2);
    product.down = true;
    try {
      expect(codes(await gql(alice, '{ myCart { subtotal { amount } } }'))).toEqual(['SERVICE_UNAVAILABLE']);
      expect(codes(await add(alice, a, 1))).toEqual(['SERVICE_UNAVAILABLE']);
      expect(codes(await checkout(alice, randomUUID()))).toEqual(['SERVICE_UNAVAILABLE']);
    } finally {
      product.down = false;
    }
    expect((await linesOf(alice)).map((l) => l.quantity)).toEqual([2]);
    expect(await ordersOf(alice)).toBe(0);
    expect(product.stockOf(a)).toBe(5);
  });

  it('keeps the cart when the reservation is refused', async () => {
    const alice = customer();
    const a = product.add('1.00', 3);
    await add(alice, a, 3);
    // Sold out between the cart's check and the reservation.
    product.onQuote = () => {
      product.onQuote = null;
      product.reserve(randomUUID(), a, 1);
    };
    const r = await checkout(alice, randomUUID());
    expect(codes(r)).toEqual(['OUT_OF_STOCK']);
    expect(await linesOf(alice)).toHaveLength(1);
    expect(await ordersOf(alice)).toBe(0);
  });

  it('keeps the cart when the product is archived between the check and the reservation', async () => {
    const alice = customer();
    const a = product.add('1.00', 3);
    await add(alice, a, 1);
    product.onQuote = () => {
      product.onQuote = null;
      product.archive(a);
    };
    expect(codes(await checkout(alice, randomUUID()))).toEqual(['NOT_FOUND']);
    expect(await linesOf(alice)).toHaveLength(1);
    expect(await ordersOf(alice)).toBe(0);
  });

  it('keeps idempotency keys apart: placeOrder’s key is not the checkout’s, and another customer’s key is not theirs', async () => {
    const [alice, mallory] = [customer(), customer()];
    const a = product.add('1.00', 10);
    const key = `shared-${randomUUID()}`;
    const placed = await gql(alice, 'mutation($i: PlaceOrderInput!) { placeOrder(input: $i) { id } }', { i: { items: [{ productId: a, quantity: 1 }], shippingAddress: address, idempotencyKey: key } });
    expect(placed.body.errors).toBeUndefined();
    // The same key by checkout is another request: refused, nothing placed, the cart kept.
    await add(alice, a, 2);
    expect(codes(await checkout(alice, key))).toEqual(['CONFLICT']);
    expect(await ordersOf(alice)).toBe(1);
    expect(await linesOf(alice)).toHaveLength(1);
    // Another customer replaying alice's key places their own order and never sees hers.
    await add(mallory, a, 1);
    const theirs = await checkout(mallory, key);
    expect(theirs.body.errors).toBeUndefined();
    expect(theirs.body.data!.checkout.id).not.toBe(placed.body.data!.placeOrder.id);
    expect(await ordersOf(mallory)).toBe(1);
  });

  /** Holds every reservation's answer until `n` reservations have been made: the checkouts overlap for sure. */
  const overlap = (n: number) => {
    let seen = 0;
    let release!: () => void;
    const all = new Promise<void>((resolve) => (release = resolve));
    product.onReserve = async () => {
      if (++seen === n) release();
      await all;
    };
    return () => void (product.onReserve = null);
  };

  it('places one order when the same cart is checked out twice at once, with other keys or the same', async () => {
    for (const sameKey of [false, true]) {
      const alice = customer();
      const a = product.add('2.00', 10);
      await add(alice, a, 3);
      const done = overlap(2);
      const answers = await Promise.all([checkout(alice, 'race-a'), checkout(alice, sameKey ? 'race-a' : 'race-b')]).finally(done);
      const placed = answers.filter((r) => r.body.data?.checkout).map((r) => r.body.data!.checkout.id);
      expect(await ordersOf(alice)).toBe(1);
      if (sameKey) expect(new Set(placed).size).toBe(1);
      else expect(answers.flatMap(codes)).toEqual(['CONFLICT']);
      // The loser's stock went back: exactly one order's worth is held.
      expect(product.stockOf(a)).toBe(7);
      expect(await linesOf(alice)).toEqual([]);
    }
  });

  it('places nothing when the cart changes during checkout, and keeps the change', async () => {
    const alice = customer();
    const a = product.add('2.00', 10);
    const b = product.add('3.00', 10);
    await add(alice, a, 1);
    product.onReserve = async () => {
      product.onReserve = null;
      await add(alice, b, 1);
    };
    const r = await checkout(alice, randomUUID());
    expect(codes(r)).toEqual(['CONFLICT']);
    expect(await ordersOf(alice)).toBe(0);
    expect((await linesOf(alice)).map((l) => l.productId).sort()).toEqual([a, b].sort());
    expect(product.stockOf(a)).toBe(10);
  });

  it('places nothing when a currency changes between the check and the reservation, the amount the same', async () => {
    const alice = customer();
    const a = product.add('2.00', 10);
    await add(alice, a, 1);
    // Seen as 2.00 USD; the reservation, a moment later, would charge 2.00 EUR.
    product.onQuote = () => {
      product.onQuote = null;
      product.reprice(a, '2.00', 'EUR');
    };
    expect(codes(await checkout(alice, randomUUID()))).toEqual(['CONFLICT']);
    expect(await ordersOf(alice)).toBe(0);
    expect(product.stockOf(a)).toBe(10);
  });

  it('places nothing when a price changes between the check and the reservation', async () => {
    const alice = customer();
    const a = product.add('2.00', 10);
    await add(alice, a, 1);
    // The cart was priced at 2.00; the reservation, a moment later, would charge 2.50.
    product.onQuote = () => {
      product.onQuote = null;
      product.reprice(a, '2.50');
    };
    const r = await checkout(alice, randomUUID());
    expect(codes(r)).toEqual(['CONFLICT']);
    expect(await ordersOf(alice)).toBe(0);
    expect(product.stockOf(a)).toBe(10);
    // Seen at its new price, the same cart checks out.
    expect((await myCart(alice)).subtotal.amount).toBe('2.50');
    expect((await checkout(alice, randomUUID())).body.data!.checkout.total.amount).toBe('2.50');
  });
});
