import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Kind, parse, type FieldDefinitionNode } from 'graphql';
import { decodeJwt } from 'jose';
import { generate } from 'otplib';
import { sql } from 'drizzle-orm';
import { ALL_SCOPES, listInputGuards, readInputGuards, ROLE_SCOPES, readAccessAnnotations, requirementsFor, type Role } from '@palisade/auth';
import { queryRows } from '@palisade/kit';
import { eventually } from '@palisade/kit/testing/index';
import { SUPERGRAPH_PATH } from '@palisade/router';
import { loadSubgraphs } from '@palisade/schema';
import { createTestEnvironment, login, type TestEnvironment } from './harness/supergraph.ts';
import { codesOf, GraphQLClient } from './harness/client.ts';
// Only to count calls that reach it: a denial must come from the schema's policy, before the service.
import { OrderService } from '../subgraphs/order/services/order.service.ts';

let env: TestEnvironment;
beforeAll(async () => {
  env = await createTestEnvironment();
});
afterAll(async () => env?.stop());

type Persona = 'ANONYMOUS' | Role;
const PERSONAS: Persona[] = ['ANONYMOUS', 'CUSTOMER', 'MANAGER', 'AUDITOR', 'ADMIN'];

// The policy source is each subgraph's SDL (the supergraph does not carry the @public marker).
const subgraphMaps = loadSubgraphs().map((s) => readAccessAnnotations(s.typeDefs));
const requirementsOf = (type: string, field: string) => subgraphMaps.flatMap((m) => (m.allFields.includes(`${type}.${field}`) ? requirementsFor(m, type, field) : []));

/** Names in a root field's @policy that are neither scopes nor "authenticated": each decides on the object an argument names. */
const ownershipPolicies = (type: string, field: string) =>
  requirementsOf(type, field).flatMap((r) => (r.kind === 'policy' ? r.anyOf.flat() : [])).filter((n) => n !== 'authenticated' && !ALL_SCOPES.includes(n));

/**
 * What the policy table says: allowed, or the code a denial carries. `owner` says whether the call acts on
 * the caller's own object, which is what ownership policies at the root decide.
 */
function expectation(field: FieldDefinitionNode & { parent: string }, persona: Persona, owner = true): 'allowed' | 'UNAUTHENTICATED' | 'FORBIDDEN' {
  const scopes = persona === 'ANONYMOUS' ? [] : ROLE_SCOPES[persona];
  const reqs = requirementsOf(field.parent, field.name.value);
  if (!reqs.length) return persona === 'ANONYMOUS' ? 'UNAUTHENTICATED' : 'FORBIDDEN';
  for (const r of reqs) {
    if (r.kind === 'public') continue;
    if (persona === 'ANONYMOUS') return 'UNAUTHENTICATED';
    if (r.kind === 'authenticated') continue;
    const holds = (name: string) => name === 'authenticated' || (ALL_SCOPES.includes(name) ? scopes.includes(name) : owner);
    if (!r.anyOf.some((group) => group.every(holds))) return 'FORBIDDEN';
  }
  return 'allowed';
}

interface Actor {
  client: GraphQLClient;
  id: string | null;
  email: string;
  password: string;
}

async function actor(persona: Persona): Promise<Actor> {
  if (persona === 'ANONYMOUS') return { client: env.asAnonymous(), id: null, email: '', password: '' };
  const c = await env.asCustomer(persona);
  if (persona !== 'CUSTOMER') await (await env.asAdmin()).ok('mutation($id: ID!, $r: [Role!]!) { setUserRoles(userId: $id, roles: $r) { id } }', { id: c.userId, r: [persona] });
  const s = await login(env.asAnonymous(), c.email, c.password); // a token that carries the new role
  return { client: env.asAnonymous().withToken(s.accessToken), id: c.userId, email: c.email, password: c.password };
}

const address = { line1: '1 Matrix Way', city: 'Rbac', postalCode: '00001', country: 'US' };
let productId = '';
async function disposableProduct() {
  const admin = await env.asAdmin();
  return (await admin.ok<{ createProduct: { id: string } }>('mutation($i: CreateProductInput!) { createProduct(input: $i) { id } }', { i: { sku: `M-${randomBytes(4).toString('hex')}`, name: 'Matrix item', description: 'x', price: '1.00', currency: 'USD', initialStock: 1000 } })).createProduct.id;
}
async function orderBy(client: GraphQLClient) {
  return (await client.ok<{ placeOrder: { id: string } }>('mutation($i: PlaceOrderInput!) { placeOrder(input: $i) { id } }', { i: { items: [{ productId, quantity: 1 }], shippingAddress: address } })).placeOrder.id;
}
const mailer = () => env.supergraph.subgraphs.user.mailer as unknown as { mailTo(to: string, subject: string): Promise<{ text: string }> };
// Mail goes out from a queue, off the request path: wait for it.
const tokenMailedTo = async (email: string, subject: string) => /token=([A-Za-z0-9_-]+)/.exec((await mailer().mailTo(email, subject)).text)?.[1] ?? 'missing';

type Call = { query: string; variables?: Record<string, unknown> };
/** Valid arguments for every root field, prepared for the actor about to call it. */
const FIXTURES: Record<string, (a: Actor) => Promise<Call>> = {
  'Query.me': async () => ({ query: '{ me { id } }' }),
  'Query.user': async () => ({ query: 'query($id: ID!) { user(id: $id) { id } }', variables: { id: (await env.asCustomer()).userId } }),
  'Query.users': async () => ({ query: '{ users(first: 1) { totalCount } }' }),
  'Query.mySessions': async () => ({ query: '{ mySessions { id } }' }),
  'Query.exportMyData': async () => ({ query: '{ exportMyData }' }),
  'Query.myNotifications': async () => ({ query: '{ myNotifications(first: 1) { totalCount } }' }),
  'Query.product': async () => ({ query: 'query($id: ID!) { product(id: $id) { id name } }', variables: { id: productId } }),
  'Query.products': async () => ({ query: '{ products(first: 2) { totalCount } }' }),
  'Query.stockMovements': async () => ({ query: 'query($id: ID!) { stockMovements(productId: $id, first: 1) { totalCount } }', variables: { id: productId } }),
  'Query.categories': async () => ({ query: '{ categories { id } }' }),
  'Query.order': async (a) => ({ query: 'query($id: ID!) { order(id: $id) { id } }', variables: { id: await orderBy(a.id ? a.client : await env.asCustomer()) } }),
  'Query.orders': async () => ({ query: '{ orders(first: 1) { totalCount } }' }),
  'Query.auditEvents': async () => ({ query: '{ auditEvents(first: 1) { totalCount } }' }),
  'Query.securityAlerts': async () => ({ query: '{ securityAlerts(first: 1) { totalCount } }' }),
  'Query.securityStats': async () => ({ query: '{ securityStats { totalEvents } }' }),
  'Query.auditCheckpoint': async () => ({ query: '{ auditCheckpoint { count headHash } }' }),
  'Query.verifyAuditTrail': async () => ({ query: '{ verifyAuditTrail { valid } }' }),
  'Mutation.register': async () => ({ query: 'mutation($i: RegisterInput!) { register(input: $i) { user { id } } }', variables: { i: { email: `m-${randomUUID()}@example.com`, password: `pw-${randomUUID()}`, displayName: 'M' } } }),
  'Mutation.login': async () => {
    const c = await env.asCustomer();
    return { query: 'mutation($i: LoginInput!) { login(input: $i) { expiresIn } }', variables: { i: { email: c.email, password: c.password } } };
  },
  'Mutation.refreshSession': async () => {
    const c = await env.asCustomer();
    return { query: 'mutation($t: String!) { refreshSession(refreshToken: $t) { expiresIn } }', variables: { t: (await login(env.asAnonymous(), c.email, c.password)).refreshToken } };
  },
  'Mutation.logout': async () => ({ query: 'mutation { logout }' }),
  'Mutation.revokeSession': async (a) => ({ query: 'mutation($id: ID!) { revokeSession(id: $id) }', variables: { id: a.client.token ? String(decodeJwt(a.client.token).sid) : randomUUID() } }),
  // Each persona is a fresh account (an ADMIN one beside the bootstrap administrator), so deleting it is allowed.
  'Mutation.deleteMyAccount': async (a) => ({ query: 'mutation($i: DeleteMyAccountInput!) { deleteMyAccount(input: $i) }', variables: { i: { password: a.password || 'whatever-password-1' } } }),
  'Mutation.updateProfile': async () => ({ query: 'mutation { updateProfile(input: { displayName: "Renamed" }) { id } }' }),
  'Mutation.changePassword': async (a) => ({ query: 'mutation($i: ChangePasswordInput!) { changePassword(input: $i) }', variables: { i: { currentPassword: a.password || 'whatever-password-1', newPassword: `np-${randomUUID()}` } } }),
  'Mutation.setUserRoles': async () => ({ query: 'mutation($id: ID!) { setUserRoles(userId: $id, roles: [CUSTOMER]) { id } }', variables: { id: (await env.asCustomer()).userId } }),
  'Mutation.setUserActive': async () => ({ query: 'mutation($id: ID!) { setUserActive(userId: $id, active: false) { id } }', variables: { id: (await env.asCustomer()).userId } }),
  'Mutation.requestPasswordReset': async () => ({ query: 'mutation { requestPasswordReset(email: "nobody@example.com") }' }),
  'Mutation.resetPassword': async () => {
    const c = await env.asCustomer();
    await env.asAnonymous().ok('mutation($e: String!) { requestPasswordReset(email: $e) }', { e: c.email });
    return { query: 'mutation($t: String!, $p: String!) { resetPassword(token: $t, newPassword: $p) }', variables: { t: await tokenMailedTo(c.email, 'Reset your password'), p: `rp-${randomUUID()}` } };
  },
  'Mutation.verifyEmail': async () => {
    const c = await env.asCustomer();
    return { query: 'mutation($t: String!) { verifyEmail(token: $t) }', variables: { t: await tokenMailedTo(c.email, 'Confirm your email') } };
  },
  'Mutation.enrollTotp': async () => ({ query: 'mutation { enrollTotp { otpauthUri } }' }),
  'Mutation.confirmTotp': async (a) => {
    const secret = a.id ? (await a.client.ok<{ enrollTotp: { secret: string } }>('mutation { enrollTotp { secret } }')).enrollTotp.secret : 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';
    return { query: 'mutation($c: String!) { confirmTotp(code: $c) }', variables: { c: await generate({ secret }) } };
  },
  'Mutation.disableTotp': async (a) => {
    let secret = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';
    if (a.id) {
      secret = (await a.client.ok<{ enrollTotp: { secret: string } }>('mutation { enrollTotp { secret } }')).enrollTotp.secret;
      await a.client.ok('mutation($c: String!) { confirmTotp(code: $c) }', { c: await generate({ secret }) });
    }
    return { query: 'mutation($c: String!) { disableTotp(code: $c) }', variables: { c: await generate({ secret, epoch: Math.floor(Date.now() / 1000) + 30 }) } };
  },
  'Mutation.createCategory': async () => ({ query: 'mutation($i: CreateCategoryInput!) { createCategory(input: $i) { id } }', variables: { i: { name: 'Matrix', slug: `matrix-${randomBytes(4).toString('hex')}` } } }),
  'Mutation.updateCategory': async () => {
    const admin = await env.asAdmin();
    const id = (await admin.ok<{ createCategory: { id: string } }>('mutation($s: String!) { createCategory(input: { name: "Movable", slug: $s }) { id } }', { s: `movable-${randomBytes(4).toString('hex')}` })).createCategory.id;
    return { query: 'mutation($id: ID!) { updateCategory(id: $id, input: { name: "Renamed" }) { id } }', variables: { id } };
  },
  'Mutation.revokeUserSession': async () => {
    const c = await env.asCustomer();
    return { query: 'mutation($u: ID!, $s: ID!) { revokeUserSession(userId: $u, sessionId: $s) }', variables: { u: c.userId, s: String(decodeJwt(c.token!).sid) } };
  },
  'Mutation.createProduct': async () => ({ query: 'mutation($i: CreateProductInput!) { createProduct(input: $i) { id } }', variables: { i: { sku: `N-${randomBytes(4).toString('hex')}`, name: 'New', description: 'd', price: '2.50', currency: 'USD' } } }),
  'Mutation.updateProduct': async () => ({ query: 'mutation($id: ID!) { updateProduct(id: $id, input: { name: "Renamed" }) { id } }', variables: { id: await disposableProduct() } }),
  'Mutation.archiveProduct': async () => ({ query: 'mutation($id: ID!) { archiveProduct(id: $id) { id } }', variables: { id: await disposableProduct() } }),
  'Mutation.adjustStock': async () => ({ query: 'mutation($id: ID!) { adjustStock(id: $id, delta: 1, reason: "matrix") { id } }', variables: { id: await disposableProduct() } }),
  'Mutation.placeOrder': async () => ({ query: 'mutation($i: PlaceOrderInput!) { placeOrder(input: $i) { id } }', variables: { i: { items: [{ productId, quantity: 1 }], shippingAddress: address } } }),
  'Query.myCart': async () => ({ query: '{ myCart { subtotal { amount } } }' }),
  'Mutation.addToCart': async () => ({ query: 'mutation($p: ID!) { addToCart(productId: $p, quantity: 1) { subtotal { amount } } }', variables: { p: productId } }),
  'Mutation.setCartQuantity': async () => ({ query: 'mutation($p: ID!) { setCartQuantity(productId: $p, quantity: 1) { subtotal { amount } } }', variables: { p: productId } }),
  'Mutation.clearCart': async () => ({ query: 'mutation { clearCart { subtotal { amount } } }' }),
  'Mutation.checkout': async (a) => {
    // A cart with something in it, where the persona may have one: only then can an allowed checkout succeed.
    if (a.id) await a.client.request('mutation($p: ID!) { addToCart(productId: $p, quantity: 1) { subtotal { amount } } }', { p: productId });
    return { query: 'mutation($i: CheckoutInput!) { checkout(input: $i) { id } }', variables: { i: { shippingAddress: address, idempotencyKey: randomUUID() } } };
  },
  'Mutation.cancelOrder': async (a) => ({ query: 'mutation($id: ID!) { cancelOrder(id: $id) { status } }', variables: { id: await orderBy(a.id ? a.client : await env.asCustomer()) } }),
  'Mutation.updateOrderStatus': async () => ({ query: 'mutation($id: ID!) { updateOrderStatus(id: $id, status: CONFIRMED) { status } }', variables: { id: await orderBy(await env.asCustomer()) } }),
  'Mutation.acknowledgeAlert': async () => {
    const [row] = await queryRows<{ id: string }>(
      env.supergraph.subgraphs.security.database.db,
      sql`insert into security.security_alerts (type, severity, description, dedup_key) values ('matrix', 'LOW', 'for the RBAC matrix', ${randomUUID()}) returning id`,
    );
    return { query: 'mutation($id: ID!) { acknowledgeAlert(id: $id) { id } }', variables: { id: row!.id } };
  },
};

/** The same calls on another customer's object, for every root field whose policy names an ownership rule. */
const FOREIGN_FIXTURES: Record<string, (a: Actor) => Promise<Call>> = {
  'Mutation.cancelOrder': async () => ({ query: 'mutation($id: ID!) { cancelOrder(id: $id) { status } }', variables: { id: await orderBy(await env.asCustomer()) } }),
};

describe('RBAC matrix: every root field × every role, as the policy table says', () => {
  it('holds for the whole supergraph', async () => {
    productId = await disposableProduct();
    const supergraph = parse(readFileSync(SUPERGRAPH_PATH, 'utf8'));
    const roots = supergraph.definitions.flatMap((d) =>
      (d.kind === Kind.OBJECT_TYPE_DEFINITION || d.kind === Kind.OBJECT_TYPE_EXTENSION) && (d.name.value === 'Query' || d.name.value === 'Mutation')
        ? (d.fields ?? []).map((f) => Object.assign(f, { parent: d.name.value }))
        : [],
    );
    expect(roots.map((f) => `${f.parent}.${f.name.value}`).filter((k) => !FIXTURES[k])).toEqual([]); // a new root field needs a fixture
    const owned = roots.filter((f) => ownershipPolicies(f.parent, f.name.value).length > 0);
    expect(owned.map((f) => `${f.parent}.${f.name.value}`)).toContain('Mutation.cancelOrder');
    expect(owned.map((f) => `${f.parent}.${f.name.value}`).filter((k) => !FOREIGN_FIXTURES[k])).toEqual([]); // and one on someone else's object
    let checked = 0;
    const unexpected: string[] = [];
    const passes = [
      ...roots.map((field) => ({ field, own: true, fixture: FIXTURES[`${field.parent}.${field.name.value}`]! })),
      ...owned.map((field) => ({ field, own: false, fixture: FOREIGN_FIXTURES[`${field.parent}.${field.name.value}`]! })),
    ];
    for (const { field, own, fixture } of passes) {
      const key = `${field.parent}.${field.name.value}${own ? '' : " on another customer's"}`;
      for (const persona of PERSONAS) {
        const a = await actor(persona);
        const call = await fixture(a);
        const r = await a.client.request(call.query, call.variables);
        const codes = codesOf(r);
        const want = expectation(field, persona, own);
        const denial = codes.find((c) => c === 'UNAUTHENTICATED' || c === 'FORBIDDEN');
        const ok = want === 'allowed' ? codes.length === 0 && r.data?.[field.name.value] !== undefined : denial === want && (r.data?.[field.name.value] ?? null) === null;
        checked++;
        if (!ok) unexpected.push(`${key} as ${persona}: expected ${want}, got ${JSON.stringify(r.errors ?? r.data)}`);
      }
    }
    console.log(`RBAC matrix: checked ${checked}, unexpected ${unexpected.length}`);
    expect(unexpected).toEqual([]);
    expect(checked).toBe((roots.length + owned.length) * PERSONAS.length);
  }, 180_000);
});

/** Calls whose variables are named as the arguments, so the matrix can set any input path in them. */
const INPUT_FIXTURES: Record<string, () => Promise<Call>> = {
  'Query.product': async () => ({ query: 'query($id: ID!, $includeInactive: Boolean) { product(id: $id, includeInactive: $includeInactive) { id } }', variables: { id: productId } }),
  'Query.products': async () => ({ query: 'query($filter: ProductFilter) { products(filter: $filter, first: 1) { totalCount } }', variables: { filter: {} } }),
  'Mutation.createProduct': async () => ({ query: 'mutation($input: CreateProductInput!) { createProduct(input: $input) { id } }', variables: { input: { sku: `I-${randomBytes(4).toString('hex')}`, name: 'Input', description: 'd', price: '3.00', currency: 'USD' } } }),
  'Mutation.updateProduct': async () => ({ query: 'mutation($id: ID!, $input: UpdateProductInput!) { updateProduct(id: $id, input: $input) { id } }', variables: { id: await disposableProduct(), input: { name: 'Renamed' } } }),
};
const SAMPLES: Record<string, unknown[]> = { Boolean: [true, false], Int: [0, 7], String: ['x'], ID: [randomUUID()] };

function setPath(variables: Record<string, unknown>, path: string[], value: unknown) {
  let at = variables;
  for (const seg of path.slice(0, -1)) at = (at[seg] ??= {}) as Record<string, unknown>;
  at[path.at(-1)!] = value;
}

describe('RBAC matrix over inputs: every guarded argument or input field × every role × sample values', () => {
  it('lets a value through only with the scopes its annotation names, whichever operation carries it', async () => {
    productId ||= await disposableProduct();
    const guards = loadSubgraphs().flatMap((s) => listInputGuards(readInputGuards(s.typeDefs)));
    expect(guards.map((g) => `${g.field}(${g.path.join('.')})`)).toContain('Mutation.updateProduct(input.active)'); // the back door this closes
    expect(guards.map((g) => g.field).filter((k) => !INPUT_FIXTURES[k])).toEqual([]); // a new guard needs a fixture
    const unexpected: string[] = [];
    let checked = 0;
    for (const g of guards) {
      const [parent, name] = g.field.split('.') as [string, string];
      for (const persona of PERSONAS.filter((p) => p !== 'ANONYMOUS')) {
        const a = await actor(persona);
        // Only callers the operation itself admits show the input rule; the root matrix covers the rest.
        if (expectation(Object.assign({ kind: Kind.FIELD_DEFINITION, name: { kind: Kind.NAME, value: name } }, { parent }) as never, persona) !== 'allowed') continue;
        const allowed = g.anyOf.some((all) => all.every((s) => ROLE_SCOPES[persona].includes(s)));
        for (const value of SAMPLES[g.type] ?? []) {
          const call = await INPUT_FIXTURES[g.field]!();
          setPath(call.variables!, g.path, value);
          const r = await a.client.request(call.query, call.variables);
          const codes = codesOf(r);
          const ok = allowed ? codes.length === 0 : codes.length === 1 && codes[0] === 'FORBIDDEN' && r.errors?.[0]?.extensions?.field === g.path.join('.') && (r.data?.[name] ?? null) === null;
          checked++;
          if (!ok) unexpected.push(`${g.field}(${g.path.join('.')}=${JSON.stringify(value)}) as ${persona}: expected ${allowed ? 'allowed' : 'FORBIDDEN'}, got ${JSON.stringify(r.errors ?? r.data)}`);
        }
      }
    }
    console.log(`RBAC input matrix: checked ${checked}, unexpected ${unexpected.length}`);
    expect(unexpected).toEqual([]);
    expect(checked).toBeGreaterThanOrEqual(guards.length * 2);
  }, 180_000);

  it('a MANAGER can neither archive nor restore a product through updateProduct', async () => {
    const manager = await actor('MANAGER');
    const admin = await env.asAdmin();
    const id = await disposableProduct();
    for (const active of [false, true]) {
      const r = await manager.client.request('mutation($id: ID!, $a: Boolean) { updateProduct(id: $id, input: { active: $a }) { active } }', { id, a: active });
      expect(codesOf(r)).toEqual(['FORBIDDEN']);
    }
    const seen = await admin.ok<{ product: { active: boolean } }>('query($id: ID!) { product(id: $id) { active } }', { id });
    expect(seen.product.active).toBe(true);
  });
});

describe('archived products through product(id)', () => {
  it('are shown only when includeInactive is set, which only product:manage may set', async () => {
    const admin = await env.asAdmin();
    const id = await disposableProduct();
    await admin.ok('mutation($id: ID!) { archiveProduct(id: $id) { id } }', { id });
    const Q = 'query($id: ID!, $all: Boolean) { product(id: $id, includeInactive: $all) { id active } }';
    const customer = await actor('CUSTOMER');
    const manager = await actor('MANAGER');
    for (const [who, client] of [['anonymous', env.asAnonymous()], ['customer', customer.client], ['manager', manager.client]] as const) {
      expect((await client.ok<{ product: unknown }>(Q, { id })).product, who).toBeNull();
    }
    for (const [who, client, code] of [['anonymous', env.asAnonymous(), 'UNAUTHENTICATED'], ['customer', customer.client, 'FORBIDDEN']] as const) {
      expect(codesOf(await client.request(Q, { id, all: true })), who).toEqual([code]);
    }
    expect((await manager.client.ok<{ product: unknown }>(Q, { id, all: true })).product).toEqual({ id, active: false });
  });
});

describe('broken object level authorization (BOLA)', () => {
  it("keeps customers out of each other's orders, accounts and sessions", async () => {
    const alice = await env.asCustomer('Alice');
    const bob = await env.asCustomer('Bob');
    const bobsOrder = await orderBy(bob);
    const read = await alice.request('query($id: ID!) { order(id: $id) { id total { amount } shippingAddress { line1 } } }', { id: bobsOrder });
    expect(codesOf(read)).toContain('FORBIDDEN');
    expect(read.data?.order ?? null).toBeNull();
    expect(codesOf(await alice.request('mutation($id: ID!) { cancelOrder(id: $id) { status } }', { id: bobsOrder }))).toEqual(['FORBIDDEN']);
    expect((await bob.ok<{ order: { status: string } }>('query($id: ID!) { order(id: $id) { status } }', { id: bobsOrder })).order.status).toBe('PENDING');
    expect(codesOf(await alice.request('query($id: ID!) { user(id: $id) { email } }', { id: bob.userId }))).toEqual(['FORBIDDEN']);
    const bobSession = String(decodeJwt(bob.token!).sid);
    expect(codesOf(await alice.request('mutation($id: ID!) { revokeSession(id: $id) }', { id: bobSession }))).toEqual(['NOT_FOUND']);
    expect((await bob.ok<{ me: { id: string } }>('{ me { id } }')).me.id).toBe(bob.userId);
    // Sessions are the user's own, or an administrator's to see: not a manager's through an order's customer.
    const manager = await actor('MANAGER');
    const seen = await manager.client.request('query($id: ID!) { order(id: $id) { id customer { id sessions { id ip } } } }', { id: bobsOrder });
    expect(codesOf(seen)).toEqual(['FORBIDDEN']);
    expect((seen.data?.order as { customer: unknown } | null)?.customer ?? null).toBeNull();
    expect((await bob.ok<{ me: { sessions: { id: string }[] } }>('{ me { sessions { id } } }')).me.sessions.map((x) => x.id)).toContain(bobSession);
    const mine = await alice.ok<{ me: { orders: { totalCount: number } } }>('{ me { orders { totalCount } } }');
    expect(mine.me.orders.totalCount).toBe(0);
  });
});

describe('cancelOrder: who may cancel is its schema policy, decided before the order service runs', () => {
  const CANCEL = 'mutation($id: ID!) { cancelOrder(id: $id) { status } }';
  const deniedAudits = (actorId: string) =>
    queryRows<{ n: number }>(
      env.supergraph.subgraphs.order.database.db,
      sql`select count(*)::int as n from orders.audit_outbox where record->>'action' = 'access.denied' and record->>'actorId' = ${actorId} and record->>'resourceId' = 'Mutation.cancelOrder'`,
    ).then((rows) => rows[0]!.n);

  it('the owner and fulfilment staff cancel; another customer, an auditor and the anonymous are refused without reaching it', async () => {
    productId ||= await disposableProduct();
    const service = vi.spyOn(OrderService.prototype, 'cancel');
    try {
      const alice = await env.asCustomer('Alice');
      const bob = await actor('CUSTOMER');
      const auditor = await actor('AUDITOR');
      const manager = await actor('MANAGER');
      const first = await orderBy(alice);
      for (const [who, client, code] of [['another customer', bob.client, 'FORBIDDEN'], ['an auditor', auditor.client, 'FORBIDDEN'], ['the anonymous', env.asAnonymous(), 'UNAUTHENTICATED']] as const) {
        const r = await client.request(CANCEL, { id: first });
        expect(codesOf(r), who).toEqual([code]);
        expect(r.data?.cancelOrder ?? null, who).toBeNull();
      }
      // An id that names no order is refused to a customer just as someone else's is: no oracle for which exist.
      expect(codesOf(await bob.client.request(CANCEL, { id: randomUUID() }))).toEqual(['FORBIDDEN']);
      expect(service).not.toHaveBeenCalled();
      await eventually(async () => expect(await deniedAudits(bob.id!)).toBe(2), "the shield's access.denied records for the other customer");
      expect((await alice.ok<{ order: { status: string } }>('query($id: ID!) { order(id: $id) { status } }', { id: first })).order.status).toBe('PENDING');

      expect((await alice.ok<{ cancelOrder: { status: string } }>(CANCEL, { id: first })).cancelOrder.status).toBe('CANCELLED');
      expect(service).toHaveBeenCalledTimes(1);
      const second = await orderBy(alice);
      expect((await manager.client.ok<{ cancelOrder: { status: string } }>(CANCEL, { id: second })).cancelOrder.status).toBe('CANCELLED');
      expect(service).toHaveBeenCalledTimes(2);
      // Staff reach the service for any id, and learn what it is: nothing there.
      expect(codesOf(await manager.client.request(CANCEL, { id: randomUUID() }))).toEqual(['NOT_FOUND']);
      // Which states can be cancelled is the order's business, answered by the service to those allowed to ask.
      expect(codesOf(await alice.request(CANCEL, { id: first }))).toEqual(['BAD_USER_INPUT']);
    } finally {
      service.mockRestore();
    }
  });
});
