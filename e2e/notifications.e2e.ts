import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { queryRows } from '@palisade/kit';
import { eventually } from '@palisade/kit/testing/index';
import { createTestEnvironment, login, type TestEnvironment } from './harness/supergraph.ts';
import type { GraphQLClient } from './harness/client.ts';

let env: TestEnvironment;
let admin: GraphQLClient;
beforeAll(async () => {
  env = await createTestEnvironment();
  admin = await env.asAdmin();
});
afterAll(async () => env?.stop());

const address = { line1: '1 Event St', city: 'Stream', postalCode: '7', country: 'US' };
const STATUS = 'mutation($id: ID!, $s: OrderStatus!) { updateOrderStatus(id: $id, status: $s) { status } }';
const SUBJECT: Record<string, string> = {
  'order.placed': 'We received your order',
  'order.confirmed': 'Your order is confirmed',
  'order.shipped': 'Your order has shipped',
  'order.delivered': 'Your order was delivered',
  'order.cancelled': 'Your order was cancelled',
};
const MINE = 'query($after: String) { myNotifications(first: 20, after: $after) { totalCount edges { node { id kind subject createdAt readAt } } pageInfo { hasNextPage endCursor } } }';
type Mine = { myNotifications: { totalCount: number; edges: { node: { id: string; kind: string; subject: string; createdAt: string } }[] } };

const product = async (stock: number, name = 'Evented') =>
  (await admin.ok<{ createProduct: { id: string } }>('mutation($i: CreateProductInput!) { createProduct(input: $i) { id } }', { i: { sku: `N-${randomBytes(4).toString('hex')}`, name, description: 'x', price: '4.00', currency: 'USD', initialStock: stock } })).createProduct.id;
const place = async (c: GraphQLClient, productId: string, quantity = 1) =>
  (await c.ok<{ placeOrder: { id: string } }>('mutation($i: PlaceOrderInput!) { placeOrder(input: $i) { id } }', { i: { items: [{ productId, quantity }], shippingAddress: address } })).placeOrder.id;
const unpublished = async (schema: 'orders' | 'products') =>
  (await queryRows<{ n: number }>(env.supergraph.subgraphs[schema === 'orders' ? 'order' : 'product'].database.db, sql.raw(`select count(*)::int as n from ${schema}.event_outbox where published_at is null`)))[0]!.n;
type SentMail = { to: string; subject: string; text: string };
/** The development outbox's mail, as the user subgraph runs it in tests (no SMTP). */
const sent = () => (env.supergraph.subgraphs.user.mailer as unknown as { sent: SentMail[] }).sent;
const notificationMails = () => sent().filter((m) => Object.values(SUBJECT).includes(m.subject));
const pendingMail = async () => (await queryRows<{ n: number }>(env.supergraph.subgraphs.user.database.db, sql`select count(*)::int as n from users.mail_queue where done_at is null`))[0]!.n;

describe('order events and notifications', () => {
  it('a notifier stopped while orders are placed and moved sends every email exactly once, to its customer, when it starts', async () => {
    const notifier = env.supergraph.subgraphs.user.notifier;
    notifier.stop();
    const productId = await product(100);
    const customers = await Promise.all(['Ada', 'Bo', 'Cy'].map((n) => env.asCustomer(n)));
    // Per order: its customer and the events it went through.
    const expected: { orderId: string; email: string; kinds: string[] }[] = [];
    for (const [i, c] of customers.entries()) {
      for (let k = 0; k < 2; k++) {
        const orderId = await place(c, productId);
        const kinds = ['order.placed'];
        if ((i + k) % 3 === 0) {
          for (const s of ['CONFIRMED', 'SHIPPED', 'DELIVERED']) await admin.ok(STATUS, { id: orderId, s });
          kinds.push('order.confirmed', 'order.shipped', 'order.delivered');
        } else if ((i + k) % 3 === 1) {
          await c.ok('mutation($id: ID!) { cancelOrder(id: $id) { status } }', { id: orderId });
          kinds.push('order.cancelled');
        } else {
          await admin.ok(STATUS, { id: orderId, s: 'CONFIRMED' });
          kinds.push('order.confirmed');
        }
        expected.push({ orderId, email: c.email, kinds });
      }
    }
    const total = expected.reduce((n, o) => n + o.kinds.length, 0);
    // Every event is in the stream before the notifier comes back: nothing is lost while it is away.
    await eventually(async () => expect(await unpublished('orders')).toBe(0), 'the relay publishing every order event');
    const [events] = await queryRows<{ n: number }>(env.supergraph.subgraphs.order.database.db, sql`select count(*)::int as n from orders.event_outbox`);
    expect(events!.n).toBe(total);
    const metrics = await (await fetch(env.supergraph.subgraphs.order.url.replace(/\/graphql$/, '/metrics'))).text();
    expect(metrics).toMatch(/^palisade_event_outbox_pending\{service="order"\} 0$/m);
    expect(notificationMails()).toHaveLength(0);
    for (const c of customers) expect((await c.ok<Mine>(MINE)).myNotifications.totalCount).toBe(0);

    notifier.start();
    await eventually(async () => expect(notificationMails()).toHaveLength(total), 'every notification mailed');
    // Settle: the notifier has nothing left and the mail queue is drained; still exactly one mail per event.
    await notifier.poll();
    await eventually(async () => expect(await pendingMail()).toBe(0), 'the mail queue drained');
    const mails = notificationMails();
    expect(mails).toHaveLength(total);
    for (const o of expected) {
      const ofOrder = mails.filter((m) => m.text.includes(o.orderId));
      expect(ofOrder.map((m) => m.subject).sort()).toEqual(o.kinds.map((k) => SUBJECT[k]).sort());
      expect(new Set(ofOrder.map((m) => m.to))).toEqual(new Set([o.email]));
    }
  });

  it("myNotifications shows the caller's own, newest first, and nobody else's", async () => {
    const productId = await product(10);
    const [ada, bo] = await Promise.all([env.asCustomer('Ada'), env.asCustomer('Bo')]);
    const adaOrder = await place(ada, productId);
    await admin.ok(STATUS, { id: adaOrder, s: 'CONFIRMED' });
    const boOrder = await place(bo, productId);
    await eventually(async () => expect((await ada.ok<Mine>(MINE)).myNotifications.totalCount).toBe(2), "Ada's two notifications");
    await eventually(async () => expect((await bo.ok<Mine>(MINE)).myNotifications.totalCount).toBe(1), "Bo's one notification");
    const adas = (await ada.ok<Mine>(MINE)).myNotifications.edges.map((e) => e.node);
    expect(adas.map((n) => [n.kind, n.subject])).toEqual([
      ['order.confirmed', SUBJECT['order.confirmed']],
      ['order.placed', SUBJECT['order.placed']],
    ]);
    const bos = (await bo.ok<Mine>(MINE)).myNotifications.edges.map((e) => e.node);
    expect(bos.map((n) => n.kind)).toEqual(['order.placed']);
    expect(bos.some((n) => adas.some((a) => a.id === n.id))).toBe(false);
    // The mail of each went to its own customer only.
    await eventually(async () => expect(sent().filter((m) => m.text.includes(adaOrder) || m.text.includes(boOrder))).toHaveLength(3), 'the three mails sent');
    const mails = sent();
    expect(mails.filter((m) => m.text.includes(boOrder)).map((m) => m.to)).toEqual([bo.email]);
    expect(new Set(mails.filter((m) => m.text.includes(adaOrder)).map((m) => m.to))).toEqual(new Set([ada.email]));
    // Anonymous callers have none to see.
    expect((await env.asAnonymous().request(MINE)).errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('alerts each manager once when an order takes a product to its reorder point, and not again for the next sale below it', async () => {
    const signedUp = await env.asCustomer('Manager');
    await admin.ok('mutation($id: ID!) { setUserRoles(userId: $id, roles: [MANAGER]) { id } }', { id: signedUp.userId });
    // A change of roles ends the person's sessions: signed in again, as a manager.
    const manager = Object.assign(env.asAnonymous().withToken((await login(env.asAnonymous(), signedUp.email, signedUp.password)).accessToken), { email: signedUp.email });
    const buyer = await env.asCustomer('Buyer');
    const productId = await product(8, 'Desk <script>alert(1)</script>');
    await place(buyer, productId, 2); // 6: above the default reorder point of 5
    await place(buyer, productId, 2); // 4: crossed
    await place(buyer, productId, 1); // 3: still below, no new alert
    await eventually(async () => expect(await unpublished('products')).toBe(0), 'the relay publishing the catalog events');
    await env.supergraph.subgraphs.user.notifier.poll();
    const alerts = async () => sent().filter((m) => m.to === manager.email && m.subject === 'Low stock alert' && m.text.includes(productId));
    await eventually(async () => expect(await alerts()).toHaveLength(1), "the manager's low-stock alert");
    const [alert] = await alerts();
    expect(alert!.text).toContain('down to 4 available');
    expect(alert!.text).not.toMatch(/<script>/);
    const [rows] = await queryRows<{ n: number }>(env.supergraph.subgraphs.product.database.db, sql`select count(*)::int as n from products.event_outbox where type = 'product.low_stock' and event->'data'->>'productId' = ${productId}`);
    expect(rows!.n).toBe(1);
    await eventually(async () => expect(await pendingMail()).toBe(0), 'the mail queue drained');
    expect(await alerts()).toHaveLength(1);
    const mine = (await manager.ok<Mine>(MINE)).myNotifications.edges.map((e) => e.node.kind);
    expect(mine.filter((k) => k === 'product.low_stock')).toHaveLength(1);
  });
});

describe('order events without Redis (npm start: every service in one process)', () => {
  it('travel through the in-process stream to the notifier', async () => {
    const embedded = await createTestEnvironment({ embedded: true });
    try {
      expect(embedded.backing.redis).toBe(false);
      const boss = await embedded.asAdmin();
      const productId = (await boss.ok<{ createProduct: { id: string } }>('mutation($i: CreateProductInput!) { createProduct(input: $i) { id } }', { i: { sku: `E-${randomBytes(4).toString('hex')}`, name: 'Local', description: 'x', price: '1.00', currency: 'USD', initialStock: 3 } })).createProduct.id;
      const c = await embedded.asCustomer('Local');
      const orderId = (await c.ok<{ placeOrder: { id: string } }>('mutation($i: PlaceOrderInput!) { placeOrder(input: $i) { id } }', { i: { items: [{ productId, quantity: 1 }], shippingAddress: address } })).placeOrder.id;
      await boss.ok(STATUS, { id: orderId, s: 'CONFIRMED' });
      await eventually(async () => expect((await c.ok<Mine>(MINE)).myNotifications.edges.map((e) => e.node.kind)).toEqual(['order.confirmed', 'order.placed']), 'both notifications');
      const mailer = embedded.supergraph.subgraphs.user.mailer as unknown as { mailTo(to: string, subject: string): Promise<{ text: string }> };
      expect((await mailer.mailTo(c.email, SUBJECT['order.confirmed']!)).text).toContain(orderId);
    } finally {
      await embedded.stop();
    }
  });
});
