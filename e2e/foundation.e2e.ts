import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '@palisade/kit/testing/index';
import { createTestEnvironment, login, type TestEnvironment } from './harness/supergraph.ts';
import { codesOf } from './harness/client.ts';

let env: TestEnvironment;
beforeAll(async () => {
  env = await createTestEnvironment();
});
afterAll(async () => env?.stop());

describe('the supergraph as a storefront sees it', () => {
  it('is ready and publishes its token keys', async () => {
    const base = env.url.replace(/\/graphql$/, '');
    const ready = await fetch(`${base}/health/ready`);
    expect(ready.status).toBe(200);
    const jwks = (await (await fetch(`${base}/.well-known/jwks.json`)).json()) as { keys: { kid: string; d?: string }[] };
    expect(jwks.keys.length).toBeGreaterThan(0);
    expect(jwks.keys[0]!.kid).toBeTruthy();
    expect(jwks.keys.every((k) => k.d === undefined)).toBe(true); // public halves only
  });

  it('registers, logs in and answers me', async () => {
    const customer = await env.asCustomer('Ada');
    const { accessToken, user } = await login(env.asAnonymous(), customer.email, customer.password);
    expect(user.id).toBe(customer.userId);
    const me = await env.asAnonymous().withToken(accessToken).ok<{ me: { id: string; email: string; roles: string[] } }>('{ me { id email roles } }');
    expect(me.me).toEqual({ id: customer.userId, email: customer.email, roles: ['CUSTOMER'] });
  });

  it('refuses a wrong password with the same error as an unknown email', async () => {
    const customer = await env.asCustomer('Bea');
    const q = 'mutation($i: LoginInput!) { login(input: $i) { accessToken } }';
    const wrong = await env.asAnonymous().request(q, { i: { email: customer.email, password: 'not-the-password-1' } });
    const unknown = await env.asAnonymous().request(q, { i: { email: 'nobody-here@example.com', password: 'not-the-password-1' } });
    expect(codesOf(wrong)).toEqual(['UNAUTHENTICATED']);
    expect(unknown.errors?.[0]?.message).toBe(wrong.errors?.[0]?.message);
  });

  it('lists products to anonymous visitors without stock figures', async () => {
    const r = await env.asAnonymous().ok<{ products: { totalCount: number; edges: { node: { name: string; price: { amount: string; currency: string } } }[] } }>(
      '{ products(first: 5) { totalCount edges { node { id name inStock price { amount currency } } } } }',
    );
    expect(r.products.totalCount).toBeGreaterThanOrEqual(12);
    expect(r.products.edges).toHaveLength(5);
    expect(r.products.edges[0]!.node.price.amount).toMatch(/^\d+\.\d{2}$/);
    const stock = await env.asAnonymous().request('{ products(first: 1) { edges { node { stock } } } }');
    expect(codesOf(stock)).toContain('UNAUTHENTICATED');
  });

  it('lets a customer order and see the order across three subgraphs', async () => {
    const customer = await env.asCustomer('Cy');
    const list = await customer.ok<{ products: { edges: { node: { id: string; name: string; price: { amount: string } } }[] } }>(
      '{ products(first: 2) { edges { node { id name price { amount } } } } }',
    );
    const [a, b] = list.products.edges.map((e) => e.node);
    const placed = await customer.ok<{ placeOrder: { id: string; status: string; total: { amount: string } } }>(
      `mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { id status total { amount } } }`,
      {
        input: {
          items: [
            { productId: a!.id, quantity: 2 },
            { productId: b!.id, quantity: 1 },
          ],
          shippingAddress: { line1: '1 Main St', city: 'Springfield', postalCode: '12345', country: 'US' },
        },
      },
    );
    expect(placed.placeOrder.status).toBe('PENDING');
    const expected = (Math.round(Number(a!.price.amount) * 100) * 2 + Math.round(Number(b!.price.amount) * 100)) / 100;
    expect(Number(placed.placeOrder.total.amount)).toBeCloseTo(expected, 2);

    const mine = await customer.ok<{ me: { orders: { edges: { node: { id: string; customer: { id: string }; items: { quantity: number; product: { name: string } }[] } }[] } } }>(
      '{ me { orders(first: 10) { edges { node { id customer { id } items { quantity product { name } } } } } } }',
    );
    const order = mine.me.orders.edges.map((e) => e.node).find((o) => o.id === placed.placeOrder.id);
    expect(order?.customer.id).toBe(customer.userId);
    expect(order?.items.map((i) => i.product.name).sort()).toEqual([a!.name, b!.name].sort());
  });

  it("keeps one customer out of another's order", async () => {
    const owner = await env.asCustomer('Owner');
    const other = await env.asCustomer('Other');
    const [p] = (await owner.ok<{ products: { edges: { node: { id: string } }[] } }>('{ products(first: 1) { edges { node { id } } } }')).products.edges;
    const placed = await owner.ok<{ placeOrder: { id: string } }>('mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { id } }', {
      input: { items: [{ productId: p!.node.id, quantity: 1 }], shippingAddress: { line1: '2 Side St', city: 'Shelbyville', postalCode: '54321', country: 'US' } },
    });
    const r = await other.request('query($id: ID!) { order(id: $id) { id total { amount } } }', { id: placed.placeOrder.id });
    expect(r.data?.order ?? null).toBeNull();
    expect(codesOf(r)).toContain('FORBIDDEN');
  });

  it('shows an administrator the audit trail the others wrote', async () => {
    const customer = await env.asCustomer('Audited');
    const admin = await env.asAdmin();
    const q = `query($f: AuditFilter) { auditEvents(filter: $f, first: 10) { totalCount edges { node { action outcome service actor { id } hash } } } }`;
    type Event = { action: string; actor: { id: string } | null; service: string; hash: string };
    // The record reaches the security subgraph through the outbox relay: wait for it to arrive.
    const events = await eventually(async () => {
      const r = await admin.ok<{ auditEvents: { edges: { node: Event }[] } }>(q, { f: { action: 'auth.register', actorId: customer.userId } });
      expect(r.auditEvents.edges).not.toHaveLength(0);
      return r.auditEvents.edges.map((e) => e.node);
    }, 'the registration reaching the audit trail', 5_000);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ action: 'auth.register', service: 'user', actor: { id: customer.userId } });
    expect(events[0]!.hash).toMatch(/^[0-9a-f]{64}$/);
    const denied = await customer.request('{ auditEvents(first: 1) { totalCount } }');
    expect(codesOf(denied)).toEqual(['FORBIDDEN']);
  });
});
