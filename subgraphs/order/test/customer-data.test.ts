import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { eq, sql } from 'drizzle-orm';
import { loadInternalKeys, type StartedSubgraph } from '@palisade/kit';
import { postSigned, signedSubgraphRequest, suiteDatabase, testCaller, testConfig, testSettings } from '@palisade/kit/testing/index';
import { auditOutbox, cartLines, orders } from '../db/schema.ts';
import { startOrderSubgraph } from '../index.ts';
import { CUSTOMER_ERASE_PATH, CUSTOMER_EXPORT_PATH, ERASED } from '../services/customer-data.ts';
import { startProductStandIn, type ProductStandIn } from './product-stand-in.ts';

// The order subgraph's part of an account's deletion, asked by the user subgraph over its signed route;
// e2e/data-rights.e2e.ts proves the whole deletion through the router.
let product: ProductStandIn;
let order: StartedSubgraph;
let db: Awaited<ReturnType<typeof suiteDatabase>>;
let base = '';

beforeAll(async () => {
  db = await suiteDatabase();
  product = await startProductStandIn();
  order = await startOrderSubgraph({ config: testConfig(), port: 0, databaseUrl: db.url, pgliteDir: null, peers: { product: `${product.url}/graphql`, security: 'http://127.0.0.1:9' } });
  base = order.url.replace(/\/graphql$/, '');
});
afterAll(async () => {
  await order?.stop();
  await product?.close();
  await db?.drop();
});

const asUser = async (path: string, body: unknown) => postSigned<any>((await loadInternalKeys('user', [])).signer, 'order', base + path, body);
const PLACE = 'mutation($i: PlaceOrderInput!) { placeOrder(input: $i) { id } }';

describe('erasing a customer', () => {
  it('leaves every order only its country, whatever the address held, the erasure marker included', async () => {
    // A part a customer may type: anything, or the marker itself (which once made the erasure skip the order).
    const part = fc.oneof(fc.constant(ERASED), fc.string({ minLength: 1, maxLength: 20 }).filter((s) => s.trim().length > 0).map((s) => `x${s}`));
    const maybe = fc.option(part, { nil: undefined });
    const addressArb = fc.record({ line1: part, line2: maybe, city: part, region: maybe, postalCode: part.map((s) => s.slice(0, 20)), country: fc.constantFrom('GB', 'US', 'DE') });
    await fc.assert(
      fc.asyncProperty(fc.array(addressArb, { minLength: 1, maxLength: 3 }), async (addresses) => {
        const alice = testCaller({ userId: randomUUID() });
        const p = product.add('1.00', 100);
        for (const shippingAddress of addresses) {
          const r = await signedSubgraphRequest(order.url, 'order', alice, PLACE, { i: { items: [{ productId: p, quantity: 1 }], shippingAddress } });
          expect(r.body.errors).toBeUndefined();
        }
        expect((await asUser(CUSTOMER_ERASE_PATH, { userId: alice.userId })).erased).toBe(true);
        const kept = await order.database.db.select({ a: orders.shippingAddress }).from(orders).where(eq(orders.customerId, alice.userId!));
        expect(kept.map((o) => o.a).sort((x, y) => x.country.localeCompare(y.country))).toEqual(
          addresses.map((a) => ({ line1: ERASED, line2: null, city: ERASED, region: null, postalCode: ERASED, country: a.country })).sort((x, y) => x.country.localeCompare(y.country)),
        );
        // Their audit records waiting in the outbox (security is unreachable here) keep no address either.
        const outbox = await order.database.db.select({ r: auditOutbox.record }).from(auditOutbox).where(sql`${auditOutbox.record}->>'actorId' = ${alice.userId}`);
        expect(outbox).toHaveLength(addresses.length);
        for (const { r } of outbox) expect([r.ip, r.userAgent, r.metadata ?? null]).toEqual([null, null, null]);
        // Idempotent: a second erasure finds nothing left to do.
        expect((await asUser(CUSTOMER_ERASE_PATH, { userId: alice.userId })).orders).toBe(0);
      }),
      { numRuns: 15 },
    );
  });

  it('keeps erased a customer whose order or cart change was under way when the erasure ran', async () => {
    // The access token is refused from the deletion on, but a request that got in before is still running.
    const alice = testCaller({ userId: randomUUID() });
    const p = product.add('1.00', 100);
    const eraseNow = async () => void (await asUser(CUSTOMER_ERASE_PATH, { userId: alice.userId }));
    product.onReserve = async () => {
      product.onReserve = null;
      await eraseNow();
    };
    const placed = await signedSubgraphRequest(order.url, 'order', alice, PLACE, { i: { items: [{ productId: p, quantity: 1 }], shippingAddress: { line1: '4 Privet Drive', city: 'Little Whinging', postalCode: 'PD-4', country: 'GB' } } });
    expect(placed.body.errors).toBeUndefined();
    const kept = await order.database.db.select({ a: orders.shippingAddress }).from(orders).where(eq(orders.customerId, alice.userId!));
    expect(kept.map((o) => o.a)).toEqual([{ line1: ERASED, line2: null, city: ERASED, region: null, postalCode: ERASED, country: 'GB' }]);
    // Its audit record, written after the erasure, keeps no address or agent in the outbox either.
    const audited = await order.database.db.select({ r: auditOutbox.record }).from(auditOutbox).where(sql`${auditOutbox.record}->>'actorId' = ${alice.userId}`);
    expect(audited.map(({ r }) => [r.action, r.ip, r.userAgent, r.metadata ?? null])).toEqual([['order.placed', null, null, null]]);
    // A cart change that asked the catalog before the erasure and writes after it leaves no line behind.
    product.beforeQuote = async () => {
      product.beforeQuote = null;
      await eraseNow();
    };
    await signedSubgraphRequest(order.url, 'order', alice, 'mutation($p: ID!) { addToCart(productId: $p, quantity: 1) { subtotal { amount } } }', { p });
    expect(await order.database.db.select().from(cartLines).where(eq(cartLines.customerId, alice.userId!))).toEqual([]);
  });
});

describe('the export route', () => {
  it('answers for any limit the body carries (fraction, string, negative, huge): cut to a whole number in range, never a database error', async () => {
    const alice = testCaller({ userId: randomUUID() });
    const p = product.add('1.00', 100);
    const shippingAddress = { line1: '1 Road', city: 'Town', postalCode: 'AB1 2CD', country: 'GB' };
    for (let i = 0; i < 2; i++) expect((await signedSubgraphRequest(order.url, 'order', alice, PLACE, { i: { items: [{ productId: p, quantity: 1 }], shippingAddress } })).body.errors).toBeUndefined();
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.double({ noNaN: false }), fc.integer(), fc.string({ maxLength: 8 }), fc.constant(null), fc.boolean(), fc.constant('2.5'), fc.constant(1.5)), async (limit) => {
        const answer = await asUser(CUSTOMER_EXPORT_PATH, { userId: alice.userId, limit });
        expect(answer.orders.length).toBeGreaterThanOrEqual(1);
        expect(answer.orders.length).toBeLessThanOrEqual(2);
        expect(typeof answer.capped).toBe('boolean');
      }),
      { seed: testSettings().propertySeed, numRuns: 40 },
    );
  });
});
