import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { generate } from 'otplib';
import { sql } from 'drizzle-orm';
import { queryRows } from '@palisade/kit';
import { waitFor } from '@palisade/kit/testing/index';
import { ADMIN, createTestEnvironment, login, type TestEnvironment } from './harness/supergraph.ts';
import { codesOf, type GraphQLClient } from './harness/client.ts';

/**
 * Customers' data rights over the whole supergraph: the export is the caller's own and nobody else's, and a
 * deleted account leaves nothing that names the person in any subgraph, while the audit chain still verifies.
 */
let env: TestEnvironment;
let productId = '';
beforeAll(async () => {
  env = await createTestEnvironment({ config: { trustProxyHops: 1 } });
  const admin = await env.asAdmin();
  productId = (
    await admin.ok<{ createProduct: { id: string } }>('mutation($i: CreateProductInput!) { createProduct(input: $i) { id } }', {
      i: { sku: `DR-${randomBytes(4).toString('hex')}`, name: 'Rights item', description: 'x', price: '4.25', currency: 'USD', initialStock: 10_000 },
    })
  ).createProduct.id;
});
afterAll(async () => env?.stop());

type Customer = GraphQLClient & { userId: string; email: string; password: string };
interface Exported {
  account: { id: string; email: string; displayName: string };
  secretsHeld: Record<string, unknown>;
  sessions: { items: { id: string }[]; capped: boolean };
  addresses: { items: { line1: string }[] };
  orders: { items: { id: string; customerId: string; items: unknown[] }[]; capped: boolean };
  cart: { lines: { productId: string }[] };
  notifications: { items: unknown[]; capped: boolean };
  auditEvents: { items: { actorId: string | null; resourceId: string | null; action: string }[]; capped: boolean };
}
const EXPORT = '{ exportMyData }';
const DELETE = 'mutation($i: DeleteMyAccountInput!) { deleteMyAccount(input: $i) }';
const exportOf = async (c: GraphQLClient) => (await c.ok<{ exportMyData: Exported }>(EXPORT)).exportMyData;
const uniqueName = (label: string) => `${label} ${randomBytes(5).toString('hex')}`;
const addressFor = (tag: string) => ({ line1: `${tag} Privet Drive`, city: 'Little Whinging', postalCode: `PD-${tag}`, country: 'GB' });
async function customer(label = 'Rights'): Promise<Customer> {
  return env.asCustomer(uniqueName(label).replace(/ /g, '_'));
}
async function placeOrder(c: GraphQLClient, tag: string) {
  return (await c.ok<{ placeOrder: { id: string } }>('mutation($i: PlaceOrderInput!) { placeOrder(input: $i) { id } }', { i: { items: [{ productId, quantity: 1 }], shippingAddress: addressFor(tag) } })).placeOrder.id;
}
const db = (name: 'user' | 'order' | 'security') => env.supergraph.subgraphs[name].database.db;
/** Audit records travel through each subgraph's outbox: wait until the security subgraph has them all. */
const delivered = () =>
  waitFor(async () => {
    const [u] = await queryRows<{ n: number }>(db('user'), sql`select count(*)::int as n from users.audit_outbox where delivered_at is null`);
    const [o] = await queryRows<{ n: number }>(db('order'), sql`select count(*)::int as n from orders.audit_outbox where delivered_at is null`);
    return u!.n + o!.n === 0;
  }, 'audit outboxes delivered');
const sessionsOf = async (userId: string) => new Set((await queryRows<{ id: string }>(db('user'), sql`select id::text from users.sessions where user_id = ${userId}::uuid`)).map((r) => r.id));

describe('exportMyData', () => {
  it('holds the caller’s data and only theirs, over generated customers, orders and sign-ins', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.record({ orders: fc.nat({ max: 2 }), logins: fc.nat({ max: 2 }), cart: fc.boolean() }), { minLength: 2, maxLength: 3 }), async (plans) => {
        const people = await Promise.all(plans.map(() => customer()));
        for (const [i, plan] of plans.entries()) {
          const c = people[i]!;
          for (let n = 0; n < plan.orders; n++) await placeOrder(c, `${i}${n}${randomBytes(2).toString('hex')}`);
          for (let n = 0; n < plan.logins; n++) await login(env.asAnonymous(), c.email, c.password);
          if (plan.cart) await c.ok('mutation($p: ID!) { addToCart(productId: $p, quantity: 2) { subtotal { amount } } }', { p: productId });
        }
        await delivered();
        for (const [i, c] of people.entries()) {
          const doc = await exportOf(c);
          expect(doc.account).toMatchObject({ id: c.userId, email: c.email });
          const own = await sessionsOf(c.userId);
          expect(doc.sessions.items.length).toBe(own.size);
          for (const s of doc.sessions.items) expect(own.has(s.id)).toBe(true);
          expect(doc.orders.items).toHaveLength(plans[i]!.orders);
          for (const o of doc.orders.items) expect(o.customerId).toBe(c.userId);
          expect(doc.cart.lines.length).toBe(plans[i]!.cart ? 1 : 0);
          expect(doc.auditEvents.items.length).toBeGreaterThan(0);
          for (const e of doc.auditEvents.items) expect(e.actorId === c.userId || e.resourceId === c.userId).toBe(true);
          // Nothing of anyone else: not their id, email or name anywhere in the document.
          const text = JSON.stringify(doc);
          for (const other of people.filter((o) => o !== c)) {
            expect(text).not.toContain(other.userId);
            expect(text).not.toContain(other.email);
          }
          expect(text).not.toContain('$argon2'); // the hash is said to be held, never given
        }
      }),
      { numRuns: 3 },
    );
  }, 120_000);

  it('takes no argument: there is no way to name another user, whatever the argument or the query’s shape', async () => {
    const [a, b] = [await customer(), await customer()];
    await placeOrder(b, 'b-only');
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('userId', 'id', 'user', 'email', 'for', 'subject'), fc.constantFrom(b.userId, b.email, 'me'), async (arg, value) => {
        const r = await a.request(`{ exportMyData(${arg}: ${JSON.stringify(value)}) }`);
        expect(codesOf(r).length).toBeGreaterThan(0);
        expect(r.data?.exportMyData ?? null).toBeNull();
      }),
      { numRuns: 12 },
    );
    // Aliases, fragments and variables reach the same field, which answers for the caller alone.
    const shaped = await a.ok<Record<string, Exported>>(
      'query($skip: Boolean = false) { x: exportMyData y: exportMyData @skip(if: $skip) ...F ... on Query { z: exportMyData } } fragment F on Query { w: exportMyData }',
    );
    for (const doc of Object.values(shaped)) {
      expect(doc.account.id).toBe(a.userId);
      expect(JSON.stringify(doc)).not.toContain(b.userId);
    }
    // An administrator gets their own data, not anyone else's.
    const admin = await env.asAdmin();
    const own = await exportOf(admin);
    expect(own.account.email).toBe(ADMIN.email);
    expect(JSON.stringify(own)).not.toContain(b.userId);
    // Nor can it be reached through an entity: the router does not serve _entities.
    const entities = await admin.request('{ _entities(representations: [{ __typename: "User", id: "x" }]) { __typename } }');
    expect(codesOf(entities).length).toBeGreaterThan(0);
    expect(codesOf(await env.asAnonymous().request(EXPORT))).toEqual(['UNAUTHENTICATED']);
  }, 120_000);
});

describe('deleteMyAccount', () => {
  it('erases the person from every subgraph: nothing returns their email or name, orders keep their figures, the chain verifies', async () => {
    const name = uniqueName('Zelda Erasable');
    const email = `zelda-${randomBytes(5).toString('hex')}@example.com`;
    const password = `pw-${randomBytes(10).toString('hex')}`;
    const anon = env.asAnonymous().from('203.0.113.77');
    const reg = await anon.ok<{ register: { accessToken: string; refreshToken: string; user: { id: string } } }>(
      'mutation($i: RegisterInput!) { register(input: $i) { accessToken refreshToken user { id } } }',
      { i: { email, password, displayName: name } },
    );
    const id = reg.register.user.id;
    const c = env.asAnonymous().from('203.0.113.77').withToken(reg.register.accessToken);
    const orderId = await placeOrder(c, 'zelda');
    await c.ok('mutation($p: ID!) { addToCart(productId: $p, quantity: 1) { subtotal { amount } } }', { p: productId });
    const other = await login(env.asAnonymous().from('203.0.113.78'), email, password); // a second session
    const admin = await env.asAdmin();
    // The person's records are in the trail before the deletion (their address with them).
    await waitFor(async () => {
      const r = await admin.ok<{ auditEvents: { edges: { node: { ip: string | null } }[] } }>('query($a: ID!) { auditEvents(filter: { actorId: $a }, first: 50) { edges { node { ip } } } }', { a: id });
      return r.auditEvents.edges.some((e) => e.node.ip === '203.0.113.77');
    }, 'the person’s audit records');

    expect(await c.ok(DELETE, { i: { password } })).toEqual({ deleteMyAccount: true });

    // Every session of theirs is refused at once, refresh tokens too, and the password no longer signs in.
    expect(codesOf(await c.request('{ me { id } }'))).toEqual(['UNAUTHENTICATED']);
    expect(codesOf(await env.asAnonymous().withToken(other.accessToken).request('{ me { id } }'))).toEqual(['UNAUTHENTICATED']);
    expect(codesOf(await env.asAnonymous().request('mutation($t: String!) { refreshSession(refreshToken: $t) { accessToken } }', { t: reg.register.refreshToken }))).toEqual(['UNAUTHENTICATED']);
    expect(codesOf(await env.asAnonymous().request('mutation($i: LoginInput!) { login(input: $i) { accessToken } }', { i: { email, password } }))).toEqual(['UNAUTHENTICATED']);

    // Every place that could show them: the account, the user search, the order's customer, the audit trail.
    const seen = [
      await admin.ok('query($id: ID!) { user(id: $id) { id email displayName active } }', { id }),
      await admin.ok('query($s: String!) { users(search: $s, first: 5) { totalCount edges { node { email displayName } } } }', { s: email }),
      await admin.ok('query($s: String!) { users(search: $s, first: 5) { totalCount edges { node { email displayName } } } }', { s: name }),
      await admin.ok('query($id: ID!) { order(id: $id) { customer { id email displayName } shippingAddress { line1 city postalCode country } total { amount currency } status items { quantity } } }', { id: orderId }),
      await admin.ok('{ orders(first: 50) { edges { node { customer { email displayName } shippingAddress { line1 postalCode } } } } }'),
    ];
    await waitFor(async () => (await queryRows<{ n: number }>(db('user'), sql`select count(*)::int as n from users.erasures where user_id = ${id}::uuid and done_at is not null`))[0]!.n === 1, 'every subgraph confirmed');
    await delivered();
    const trail = await admin.ok<{ auditEvents: { edges: { node: { action: string; ip: string | null; metadata: unknown } }[] } }>(
      'query($a: ID!) { auditEvents(filter: { actorId: $a }, first: 100) { edges { node { action ip metadata } } } }',
      { a: id },
    );
    seen.push(trail, await admin.ok('query($a: String!) { auditEvents(filter: { resourceId: $a }, first: 100) { edges { node { action ip metadata } } } }', { a: id }));
    const text = JSON.stringify(seen);
    for (const personal of [email, name, 'zelda Privet', 'PD-zelda', '203.0.113.77', '203.0.113.78']) expect(text.toLowerCase()).not.toContain(personal.toLowerCase());
    expect(seen[0]).toMatchObject({ user: { id, active: false, displayName: 'Deleted user' } });
    // The order keeps what the law asks for: amounts, currency, status, items; the address only its country.
    expect(seen[3]).toMatchObject({ order: { total: { amount: '4.25', currency: 'USD' }, status: 'PENDING', items: [{ quantity: 1 }], shippingAddress: { line1: '[erased]', country: 'GB' } } });
    expect(trail.auditEvents.edges.map((e) => e.node.action)).toContain('user.deleted');
    for (const e of trail.auditEvents.edges) expect(e.node).toMatchObject({ ip: null, metadata: null });

    // No table of any subgraph holds the email, the name or the street any more.
    for (const schema of ['users', 'orders', 'security', 'products']) {
      const tables = await queryRows<{ t: string }>(db('user'), sql`select table_name as t from information_schema.tables where table_schema = ${schema} and table_type = 'BASE TABLE'`);
      for (const { t } of tables) {
        const [hit] = await queryRows<{ n: number }>(
          db('user'),
          sql`select count(*)::int as n from ${sql.identifier(schema)}.${sql.identifier(t)} r where r::text ilike ${'%' + email + '%'} or r::text ilike ${'%' + name + '%'} or r::text ilike '%PD-zelda%'`,
        );
        expect(hit!.n, `${schema}.${t}`).toBe(0);
      }
    }
    expect((await queryRows(db('order'), sql`select 1 from orders.carts where customer_id = ${id}::uuid`)).length).toBe(0);
    expect((await admin.ok<{ verifyAuditTrail: { valid: boolean } }>('{ verifyAuditTrail { valid } }')).verifyAuditTrail.valid).toBe(true);
    // The placeholder cannot be brought back to life by an administrator.
    expect(codesOf(await admin.request('mutation($id: ID!) { setUserActive(userId: $id, active: true) { id } }', { id }))).toEqual(['NOT_FOUND']);
    expect(codesOf(await admin.request('mutation($id: ID!) { setUserRoles(userId: $id, roles: [ADMIN]) { id } }', { id }))).toEqual(['NOT_FOUND']);
  }, 120_000);

  it('refuses a wrong password or one-time code: nothing is deleted, the failures are audited and count toward the lockout', async () => {
    const c = await customer('Careful');
    const ip = '198.18.200.1';
    const from = env.asAnonymous().from(ip).withToken(c.token);
    const { enrollTotp } = await from.ok<{ enrollTotp: { secret: string } }>('mutation { enrollTotp { secret } }');
    await from.ok('mutation($c: String!) { confirmTotp(code: $c) }', { c: await generate({ secret: enrollTotp.secret }) });
    const missing = await from.request(DELETE, { i: { password: c.password } });
    expect(codesOf(missing)).toEqual(['BAD_USER_INPUT']);
    const badCode = await from.request(DELETE, { i: { password: c.password, totpCode: '000000' === (await generate({ secret: enrollTotp.secret })) ? '111111' : '000000' } });
    expect(codesOf(badCode)).toEqual(['FORBIDDEN']);
    const codes: string[] = [];
    for (let i = 0; i < 8 && !codes.includes('ACCOUNT_LOCKED'); i++) codes.push(...(codesOf(await from.request(DELETE, { i: { password: `wrong-${i}-pw`, totpCode: '123456' } })) as string[]));
    expect(codes).toContain('ACCOUNT_LOCKED');
    // Locked: even the right password and code are refused now, and strangers cannot sign in either.
    expect(codesOf(await from.request(DELETE, { i: { password: c.password, totpCode: await generate({ secret: enrollTotp.secret }) } }))).toEqual(['ACCOUNT_LOCKED']);
    expect(codesOf(await env.asAnonymous().from('198.18.200.2').request('mutation($i: LoginInput!) { login(input: $i) { accessToken } }', { i: { email: c.email, password: c.password } }))).toEqual(['ACCOUNT_LOCKED']);
    expect((await from.ok<{ me: { email: string } }>('{ me { email } }')).me.email).toBe(c.email);
    const admin = await env.asAdmin();
    await waitFor(async () => {
      const r = await admin.ok<{ auditEvents: { edges: { node: { action: string; outcome: string } }[] } }>('query($a: ID!) { auditEvents(filter: { actorId: $a }, first: 50) { edges { node { action outcome } } } }', { a: c.userId });
      const got = r.auditEvents.edges.map((e) => `${e.node.action}:${e.node.outcome}`);
      return got.includes('user.deleted:FAILURE') && got.includes('auth.totp_failed:FAILURE') && got.includes('auth.locked:DENIED');
    }, 'the failures audited');
  }, 60_000);

  it('refuses the last active administrator', async () => {
    const admin = await env.asAdmin();
    const r = await admin.request(DELETE, { i: { password: ADMIN.password } });
    expect(codesOf(r)).toEqual(['FORBIDDEN']);
    expect(r.errors?.[0]?.message).toMatch(/last active administrator/);
    expect((await admin.ok<{ me: { email: string } }>('{ me { email } }')).me.email).toBe(ADMIN.email);
  });

  it('finishes a deletion made while a subgraph is down once it is back, never half-done in silence', async () => {
    const c = await customer('Patient');
    const orderId = await placeOrder(c, 'patient');
    const bystander = await customer('Bystander');
    const dataRights = env.supergraph.subgraphs.user.services.dataRights;
    await env.supergraph.stopSubgraph('order');
    try {
      expect(await c.ok(DELETE, { i: { password: c.password } })).toEqual({ deleteMyAccount: true });
      expect(codesOf(await c.request('{ me { id } }'))).toEqual(['UNAUTHENTICATED']);
      const [row] = await queryRows<{ pending: string[] }>(db('user'), sql`select pending from users.erasures where user_id = ${c.userId}::uuid`);
      expect(row!.pending).toEqual(['order']);
      expect(await dataRights.pending()).toBeGreaterThanOrEqual(1);
      // An export now would miss the orders: refused as unavailable rather than given incomplete.
      expect(codesOf(await bystander.request(EXPORT))).toEqual(['SERVICE_UNAVAILABLE']);
    } finally {
      await env.supergraph.startSubgraph('order');
    }
    const line1 = async () => (await queryRows<{ line1: string }>(db('order'), sql`select shipping_address->>'line1' as line1 from orders.orders where id = ${orderId}::uuid`))[0]!.line1;
    expect(await line1()).toBe('patient Privet Drive');
    // The retry job's run, with its wait over (the test does not sit out the back-off).
    await waitFor(async () => {
      await queryRows(db('user'), sql`update users.erasures set next_attempt_at = now() where user_id = ${c.userId}::uuid and done_at is null`);
      await dataRights.retryDue();
      return (await queryRows(db('user'), sql`select 1 from users.erasures where user_id = ${c.userId}::uuid and done_at is not null and pending = '{}'`)).length === 1;
    }, 'the erasure confirmed by order');
    expect(await line1()).toBe('[erased]');
  }, 90_000);
});
