import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { startRouter, type RunningRouter } from '@palisade/router';
import { openStore, SUBGRAPH_NAMES, type RedisStore, type Store, type SubgraphName } from '@palisade/kit';
import { eventually, testServers } from '@palisade/kit/testing/index';
import { createTestEnvironment, type TestEnvironment } from './harness/supergraph.ts';
import { codesOf, GraphQLClient, type GraphQLResponse } from './harness/client.ts';

/**
 * The router's public cache, through real HTTP on real Redis: what it shares and with whom, how fast a change
 * reaches visitors, that a visitor's budget is spent on hits too, and that two routers share entries.
 */
let env: TestEnvironment;
let routerB: RunningRouter;
let storeB: Store;
// A visitor's product Query budget in these tests: 200 points a minute (a page of 50 costs 50).
const BUDGET = 200;
beforeAll(async () => {
  const redisUrl = testServers().redisUrl;
  if (!redisUrl) throw new Error('the public cache suite needs the harness’s Redis');
  env = await createTestEnvironment({ config: { trustProxyHops: 1, rateLimits: { scale: 1, overrides: { Query: { limit: BUDGET, duration: 60 } } } } });
  // Router B: another replica on the same Redis key space, with its own connection, over the same subgraphs.
  storeB = openStore(redisUrl, (env.supergraph.store as RedisStore).prefix);
  const subgraphs = Object.fromEntries(SUBGRAPH_NAMES.map((n) => [n, env.supergraph.subgraphs[n].url])) as Record<SubgraphName, string>;
  routerB = await startRouter({ config: env.config, host: '127.0.0.1', port: 0, subgraphs, store: storeB });
});
afterAll(async () => {
  await routerB?.stop();
  await storeB?.close();
  await env?.stop();
});

let ipCounter = 1;
const visitor = (url = env.url) => new GraphQLClient(url).from(`198.51.${100 + Math.floor(ipCounter / 250)}.${(ipCounter++ % 250) + 1}`);
const unique = () => randomBytes(4).toString('hex');
const isHit = (r: GraphQLResponse) => r.headers.get('age') !== null && /^public, max-age=\d+$/.test(r.headers.get('cache-control') ?? '');
const isPrivate = (r: GraphQLResponse) => r.headers.get('age') === null && r.headers.get('cache-control') === 'private, no-store';

async function newProduct(admin: GraphQLClient, name = `Lamp ${unique()}`) {
  const { createCategory } = await admin.ok<{ createCategory: { id: string } }>('mutation($i: CreateCategoryInput!) { createCategory(input: $i) { id } }', { i: { name: `Lights ${unique()}`, slug: `lights-${unique()}` } });
  const { createProduct } = await admin.ok<{ createProduct: { id: string } }>('mutation($i: CreateProductInput!) { createProduct(input: $i) { id } }', {
    i: { sku: `SKU-${unique()}`, name, description: 'A lamp', price: '19.99', currency: 'USD', categoryId: createCategory.id, initialStock: 5 },
  });
  return { id: createProduct.id, categoryId: createCategory.id };
}

describe('what is shared, and with whom', () => {
  it('a public anonymous answer is stored, then served to another visitor with Cache-Control and Age; hits and misses are counted', async () => {
    const q = `query Shelf${unique()} { products(first: 3) { edges { node { id name price { amount currency } } } } }`;
    const before = await counters(env.url);
    const first = await visitor().request(q);
    expect(codesOf(first)).toEqual([]);
    expect(first.headers.get('cache-control')).toMatch(/^public, max-age=\d+$/);
    expect(first.headers.get('age')).toBeNull();
    const second = await visitor().request(q);
    expect(isHit(second)).toBe(true);
    expect(second.data).toEqual(first.data);
    const after = await counters(env.url);
    expect(after.hits - before.hits).toBeGreaterThanOrEqual(1);
    expect(after.misses - before.misses).toBeGreaterThanOrEqual(1);
  });

  it('an operation naming a private field is never cached, even when that field is skipped', async () => {
    const admin = await env.asAdmin();
    const { id } = await newProduct(admin);
    const q = `query Item${unique()}($id: ID!, $withStock: Boolean!) { product(id: $id) { name stock @include(if: $withStock) } }`;
    for (let i = 0; i < 2; i++) {
      const r = await visitor().request(q, { id, withStock: false });
      expect(codesOf(r)).toEqual([]);
      expect(isPrivate(r)).toBe(true);
    }
  });

  it('a caller with a token neither reads the anonymous entry nor writes one, whatever its role', async () => {
    const admin = await env.asAdmin();
    const customer = await env.asCustomer('Shopper');
    const q = `query Shelf${unique()} { products(first: 2) { edges { node { id name } } } }`;
    await visitor().request(q);
    expect(isHit(await visitor().request(q))).toBe(true);
    for (const signedIn of [customer, admin]) {
      const r = await signedIn.from(`192.0.2.${ipCounter++ % 250}`).request(q);
      expect(codesOf(r)).toEqual([]);
      expect(isPrivate(r)).toBe(true);
    }

    // A manager's view (archived products too) must never become what a visitor is answered.
    const { id } = await newProduct(admin);
    await admin.ok('mutation($id: ID!) { archiveProduct(id: $id) { id } }', { id });
    const archived = `query Archived${unique()}($id: ID!) { product(id: $id, includeInactive: true) { id name } }`;
    for (let i = 0; i < 2; i++) expect((await admin.request(archived, { id })).data?.product?.id).toBe(id);
    const anon = await visitor().request(archived, { id });
    expect(isHit(anon)).toBe(false);
    expect(anon.data?.product ?? null).toBeNull();
    expect(codesOf(anon).length).toBeGreaterThan(0);
  });
});

describe('whose answer an entry is', () => {
  it('one document asked with other variables, or for another of its operations, is answered for those', async () => {
    const admin = await env.asAdmin();
    const [a, b] = [await newProduct(admin, `Lamp A ${unique()}`), await newProduct(admin, `Lamp B ${unique()}`)];
    const idOf = (r: GraphQLResponse) => (r.data as { product: { id: string } } | undefined)?.product.id;
    const q = `query Item${unique()}($id: ID!) { product(id: $id) { id name } }`;
    await visitor().request(q, { id: a.id });
    expect(isHit(await visitor().request(q, { id: a.id }))).toBe(true);
    const other = await visitor().request(q, { id: b.id });
    expect([isHit(other), idOf(other)]).toEqual([false, b.id]);

    const two = `query A${unique()} { product(id: "${a.id}") { id } } query B { product(id: "${b.id}") { id } }`;
    const named = async (operationName: string): Promise<GraphQLResponse> => {
      const res = await fetch(env.url, { method: 'POST', headers: { 'content-type': 'application/json', 'x-forwarded-for': `198.51.99.${ipCounter++ % 250}` }, body: JSON.stringify({ query: two, operationName }) });
      return { status: res.status, headers: res.headers, ...((await res.json()) as { data?: Record<string, unknown> }) };
    };
    const opA = /query (A\w+)/.exec(two)![1]!;
    await named(opA);
    expect(isHit(await named(opA))).toBe(true);
    const opB = await named('B');
    expect([isHit(opB), idOf(opB)]).toEqual([false, b.id]);
  });
});

describe('freshness', () => {
  it('a change of a product, its stock or its category reaches visitors within a second', async () => {
    const admin = await env.asAdmin();
    const { id, categoryId } = await newProduct(admin, 'Desk lamp');
    const q = `query Item${unique()}($id: ID!) { product(id: $id) { name inStock category { name } } }`;
    const read = async () => (await visitor().request<{ product: { name: string; inStock: boolean; category: { name: string } } }>(q, { id })).data!.product;
    await read();
    expect(isHit(await visitor().request(q, { id }))).toBe(true);

    await admin.ok('mutation($id: ID!) { updateProduct(id: $id, input: { name: "Floor lamp" }) { id } }', { id });
    await eventually(async () => expect((await read()).name).toBe('Floor lamp'), 'the renamed product', 1_000);
    await admin.ok('mutation($id: ID!) { adjustStock(id: $id, delta: -5, reason: "counted") { id } }', { id });
    await eventually(async () => expect((await read()).inStock).toBe(false), 'the product out of stock', 1_000);
    await admin.ok('mutation($id: ID!) { updateCategory(id: $id, input: { name: "Lighting" }) { id } }', { id: categoryId });
    await eventually(async () => expect((await read()).category.name).toBe('Lighting'), 'the renamed category', 1_000);
    expect((await counters(env.url)).invalidations).toBeGreaterThan(0);
  });
});

describe('budgets', () => {
  it('a visitor whose product budget is spent is refused on hits as on misses; another visitor is still served', async () => {
    const q = `query Page${unique()} { products(first: 50) { totalCount } }`;
    const me = visitor();
    // 50 points each: one miss and three hits spend the 200.
    for (let i = 0; i < BUDGET / 50; i++) expect(codesOf(await me.request(q))).toEqual([]);
    for (let i = 0; i < 2; i++) {
      const refused = await me.request(q);
      expect(codesOf(refused)).toEqual(['RATE_LIMITED']);
      expect(refused.errors?.[0]?.extensions?.retryAfterSeconds).toBeGreaterThan(0);
      expect(isHit(refused)).toBe(false);
    }
    expect(isHit(await visitor().request(q))).toBe(true);
  });
});

describe('two routers on one Redis', () => {
  it('share entries, and both see an invalidation', async () => {
    const admin = await env.asAdmin();
    const { id } = await newProduct(admin, 'Reading lamp');
    const q = `query Item${unique()}($id: ID!) { product(id: $id) { name } }`;
    expect(isHit(await visitor(env.url).request(q, { id }))).toBe(false);
    expect(isHit(await visitor(routerB.url).request(q, { id }))).toBe(true);

    await admin.ok('mutation($id: ID!) { updateProduct(id: $id, input: { name: "Bedside lamp" }) { id } }', { id });
    for (const url of [env.url, routerB.url]) {
      await eventually(async () => expect((await visitor(url).request<{ product: { name: string } }>(q, { id })).data?.product.name).toBe('Bedside lamp'), `the rename at ${url}`, 1_000);
    }
  });
});

/** The router's public cache counters, from its /metrics (loopback may read them). */
async function counters(graphqlUrl: string) {
  const text = await (await fetch(graphqlUrl.replace(/\/graphql$/, '/metrics'))).text();
  const value = (name: string) => Number(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\d+)`, 'm').exec(text)?.[1] ?? 0);
  return { hits: value('palisade_public_cache_hits_total'), misses: value('palisade_public_cache_misses_total'), invalidations: value('palisade_public_cache_invalidations_total') };
}
