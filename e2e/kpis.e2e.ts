import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { generate } from 'otplib';
import { createTestEnvironment, login, type TestEnvironment } from './harness/supergraph.ts';
import { codesOf, type GraphQLClient } from './harness/client.ts';

/*
 * The business and security KPIs, read from each service's /metrics after real operations through the router.
 * Every check is a difference from a reading taken just before, so the administrator's own sign-in and other
 * suites' habits do not matter; a refused operation must leave its series where it was.
 */
let env: TestEnvironment;
let admin: GraphQLClient;
beforeAll(async () => {
  env = await createTestEnvironment();
  admin = await env.asAdmin();
});
afterAll(async () => env?.stop());

type Service = 'router' | 'user' | 'product' | 'order';
const metricsOf = async (service: Service) => {
  const url = service === 'router' ? env.url : env.supergraph.subgraphs[service].url;
  const res = await fetch(url.replace(/\/graphql$/, '/metrics'));
  expect(res.status).toBe(200);
  return res.text();
};
/** One sample's value (0 when the series does not exist yet: a counter not yet incremented). */
async function sample(service: Service, name: string, labels: Record<string, string> = {}): Promise<number> {
  const line = (await metricsOf(service)).split('\n').find((l) => (l.startsWith(`${name}{`) || l.startsWith(`${name} `)) && Object.entries(labels).every(([k, v]) => l.includes(`${k}="${v}"`)));
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0;
}
/** Runs `act` and answers how much each series grew meanwhile. */
async function growth(series: [Service, string, Record<string, string>?][], act: () => Promise<unknown>): Promise<number[]> {
  const before = await Promise.all(series.map(([s, n, l]) => sample(s, n, l)));
  await act();
  const after = await Promise.all(series.map(([s, n, l]) => sample(s, n, l)));
  return after.map((v, i) => v - before[i]!);
}

const LOGIN = 'mutation($i: LoginInput!) { login(input: $i) { accessToken } }';
const STATUS = 'mutation($id: ID!, $s: OrderStatus!) { updateOrderStatus(id: $id, status: $s) { status } }';
const CANCEL = 'mutation($id: ID!) { cancelOrder(id: $id) { status } }';
const PLACE = 'mutation($i: PlaceOrderInput!) { placeOrder(input: $i) { id } }';
const address = { line1: '1 Metric Way', city: 'Gauge', postalCode: '9', country: 'US' };
const newProduct = async (stock: number) =>
  (await admin.ok<{ createProduct: { id: string } }>('mutation($i: CreateProductInput!) { createProduct(input: $i) { id } }', { i: { sku: `K-${randomBytes(4).toString('hex')}`, name: 'Counted', description: 'x', price: '12.50', currency: 'EUR', initialStock: stock } })).createProduct.id;

describe('security KPIs (user subgraph)', () => {
  it('counts registrations and sign-ins by outcome', async () => {
    let customer!: Awaited<ReturnType<TestEnvironment['asCustomer']>>;
    expect(await growth([['user', 'palisade_registrations_total']], async () => (customer = await env.asCustomer('Counted')))).toEqual([1]);
    // A taken address is no registration.
    const taken = await env.asAnonymous().request('mutation($i: RegisterInput!) { register(input: $i) { accessToken } }', { i: { email: customer.email, password: `pw-${randomBytes(8).toString('hex')}`, displayName: 'Again' } });
    expect(codesOf(taken)).toEqual(['CONFLICT']);
    expect(await sample('user', 'palisade_registrations_total')).toBeGreaterThan(0);

    const outcomes = (['success', 'failure', 'locked'] as const).map((outcome): [Service, string, Record<string, string>] => ['user', 'palisade_sign_ins_total', { outcome }]);
    expect(await growth(outcomes, () => login(env.asAnonymous(), customer.email, customer.password))).toEqual([1, 0, 0]);
    expect(await growth(outcomes, async () => expect(codesOf(await env.asAnonymous().request(LOGIN, { i: { email: customer.email, password: 'not-the-password-1' } }))).toEqual(['UNAUTHENTICATED']))).toEqual([0, 1, 0]);
    // Four more wrong passwords from this address lock it out of the account; the next try is refused as locked.
    const locking = await growth(outcomes, async () => {
      for (let i = 0; i < 4; i++) await env.asAnonymous().request(LOGIN, { i: { email: customer.email, password: 'not-the-password-1' } });
      expect(codesOf(await env.asAnonymous().request(LOGIN, { i: { email: customer.email, password: customer.password } }))).toEqual(['ACCOUNT_LOCKED']);
    });
    expect(locking).toEqual([0, 4, 1]);
  });

  it('counts a sign-in that still needs its one-time code as second_factor, and the one with the code as success', async () => {
    const owner = await env.asCustomer('Guarded');
    const { enrollTotp } = await owner.ok<{ enrollTotp: { secret: string } }>('mutation { enrollTotp { secret } }');
    await owner.ok('mutation($c: String!) { confirmTotp(code: $c) }', { c: await generate({ secret: enrollTotp.secret }) });
    const outcomes = (['second_factor', 'success', 'failure'] as const).map((outcome): [Service, string, Record<string, string>] => ['user', 'palisade_sign_ins_total', { outcome }]);
    expect(await growth(outcomes, async () => expect(codesOf(await env.asAnonymous().request(LOGIN, { i: { email: owner.email, password: owner.password } }))).toEqual(['UNAUTHENTICATED']))).toEqual([1, 0, 0]);
    // The next time step's code: never the one spent on confirmTotp.
    const code = await generate({ secret: enrollTotp.secret, epoch: Math.floor(Date.now() / 1000) + 30 });
    expect(await growth(outcomes, () => env.asAnonymous().ok(LOGIN, { i: { email: owner.email, password: owner.password, totpCode: code } }))).toEqual([0, 1, 0]);
  });
});

describe('business KPIs (order and product subgraphs)', () => {
  it('counts orders by event and revenue by currency once committed, and stock-outs', async () => {
    const productId = await newProduct(2);
    const customer = await env.asCustomer('Buyer');
    const orders = (['placed', 'confirmed', 'shipped', 'delivered', 'cancelled'] as const).map((event): [Service, string, Record<string, string>] => ['order', 'palisade_orders_total', { event }]);
    const series: [Service, string, Record<string, string>?][] = [...orders, ['order', 'palisade_revenue_total', { currency: 'EUR' }], ['product', 'palisade_stock_outs_total']];

    let first = '';
    let second = '';
    expect(await growth(series, async () => (first = (await customer.ok<{ placeOrder: { id: string } }>(PLACE, { i: { items: [{ productId, quantity: 1 }], shippingAddress: address } })).placeOrder.id))).toEqual([1, 0, 0, 0, 0, 1250, 0]);
    // The last unit: the product is out of stock.
    expect(await growth(series, async () => (second = (await customer.ok<{ placeOrder: { id: string } }>(PLACE, { i: { items: [{ productId, quantity: 1 }], shippingAddress: address } })).placeOrder.id))).toEqual([1, 0, 0, 0, 0, 1250, 1]);
    // Refused (nothing left): no order, no revenue, no second stock-out.
    expect(await growth(series, async () => expect(codesOf(await customer.request(PLACE, { i: { items: [{ productId, quantity: 1 }], shippingAddress: address } }))).toEqual(['OUT_OF_STOCK']))).toEqual([0, 0, 0, 0, 0, 0, 0]);

    expect(await growth(series, () => customer.ok(CANCEL, { id: first }))).toEqual([0, 0, 0, 0, 1, 0, 0]);
    const shipping = await growth(series, async () => {
      for (const s of ['CONFIRMED', 'SHIPPED', 'DELIVERED']) await admin.ok(STATUS, { id: second, s });
    });
    expect(shipping).toEqual([0, 1, 1, 1, 0, 0, 0]);
    // A move the order cannot make is rolled back, and counted nowhere.
    expect(await growth(series, async () => expect(codesOf(await admin.request(STATUS, { id: second, s: 'CANCELLED' }))).toEqual(['BAD_USER_INPUT']))).toEqual([0, 0, 0, 0, 0, 0, 0]);

    // An adjustment that empties a product is a stock-out too (the cancelled order gave one unit back).
    const adjust = 'mutation($id: ID!, $d: Int!) { adjustStock(id: $id, delta: $d, reason: "shrinkage") { stock } }';
    expect(await growth([['product', 'palisade_stock_outs_total']], () => admin.ok(adjust, { id: productId, d: -1 }))).toEqual([1]);
  });
});

describe('circuit breakers', () => {
  it("export each circuit's state, the router's per subgraph and the order subgraph's to product", async () => {
    await admin.ok('{ products(first: 1) { totalCount } }');
    for (const target of ['user', 'product', 'order', 'security']) {
      expect((await metricsOf('router')).split('\n')).toContain(`palisade_circuit_breaker_state{target="${target}",service="router"} 0`);
    }
    expect((await metricsOf('order')).split('\n')).toContain('palisade_circuit_breaker_state{target="product",service="order"} 0');
  });
});
