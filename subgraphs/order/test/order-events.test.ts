import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asc, sql } from 'drizzle-orm';
import { parseIntegrationEvent, type StartedSubgraph } from '@palisade/kit';
import { signedSubgraphRequest, suiteDatabase, testCaller, testConfig } from '@palisade/kit/testing/index';
import { eventOutbox } from '../db/schema.ts';
import { startOrderSubgraph } from '../index.ts';
import { startProductStandIn, type ProductStandIn } from './product-stand-in.ts';

let product: ProductStandIn;
let order: StartedSubgraph;
let db: Awaited<ReturnType<typeof suiteDatabase>>;
const manager = testCaller({ userId: randomUUID(), roles: ['MANAGER'] });
const customer = testCaller({ userId: randomUUID() });

beforeAll(async () => {
  db = await suiteDatabase();
  product = await startProductStandIn();
  order = await startOrderSubgraph({ config: testConfig(), port: 0, databaseUrl: db.url, pgliteDir: null, peers: { product: `${product.url}/graphql`, security: 'http://127.0.0.1:9' } });
});
afterAll(async () => {
  await order?.stop();
  await product?.close();
  await db?.drop();
});

const address = { line1: '1 Main St', city: 'Springfield', postalCode: '12345', country: 'US' };
const ask = (caller: ReturnType<typeof testCaller>, query: string, variables: Record<string, unknown>) => signedSubgraphRequest(order.url, 'order', caller, query, variables);
const eventsOf = async (orderId: string) =>
  (await order.database.db.select().from(eventOutbox).where(sql`${eventOutbox.event}->'data'->>'orderId' = ${orderId}`).orderBy(asc(eventOutbox.seq))).map((r) => r.event);

const STATUSES = ['PENDING', 'CONFIRMED', 'SHIPPED', 'DELIVERED', 'CANCELLED'] as const;
type Status = (typeof STATUSES)[number];
// The model: the legal moves, as the contract states them.
const LEGAL: Record<Status, Status[]> = { PENDING: ['CONFIRMED', 'CANCELLED'], CONFIRMED: ['SHIPPED', 'CANCELLED'], SHIPPED: ['DELIVERED'], DELIVERED: [], CANCELLED: [] };

describe('order events', () => {
  it('every accepted transition writes exactly one valid event with its change, a refused one writes none', async () => {
    const productId = await product.add('2.50', 10_000);
    await fc.assert(
      fc.asyncProperty(fc.array(fc.record({ to: fc.constantFrom(...STATUSES), byOwner: fc.boolean() }), { maxLength: 6 }), async (moves) => {
        const placed = await ask(customer, 'mutation($i: PlaceOrderInput!) { placeOrder(input: $i) { id } }', { i: { items: [{ productId, quantity: 2 }], shippingAddress: address } });
        const orderId = placed.body.data!.placeOrder.id as string;
        let status: Status = 'PENDING';
        const expected: { type: string; status: Status; previousStatus: Status | null }[] = [{ type: 'order.placed', status: 'PENDING', previousStatus: null }];
        for (const m of moves) {
          // The owner's way to cancel is cancelOrder; any other move is the manager's updateOrderStatus.
          const r =
            m.to === 'CANCELLED' && m.byOwner
              ? await ask(customer, 'mutation($id: ID!) { cancelOrder(id: $id) { status } }', { id: orderId })
              : await ask(manager, 'mutation($id: ID!, $s: OrderStatus!) { updateOrderStatus(id: $id, status: $s) { status } }', { id: orderId, s: m.to });
          if (LEGAL[status].includes(m.to)) {
            expect(r.body.errors).toBeUndefined();
            expected.push({ type: `order.${m.to.toLowerCase()}`, status: m.to, previousStatus: status });
            status = m.to;
          } else expect(r.body.errors?.[0]?.extensions?.code).toBeDefined();
        }
        const events = await eventsOf(orderId);
        expect(events.map((e) => ({ type: e.type, status: (e.data as { status: Status }).status, previousStatus: (e.data as { previousStatus: Status | null }).previousStatus }))).toEqual(expected);
        for (const e of events) {
          expect(parseIntegrationEvent(JSON.stringify(e))).toEqual(e);
          expect(e.data).toMatchObject({ orderId, customerId: customer.userId, total: { amount: '5.00', currency: 'USD' } });
        }
        expect(new Set(events.map((e) => e.id)).size).toBe(events.length);
      }),
      { numRuns: 15 },
    );
  });
});
