import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import type { StartedSubgraph } from '@palisade/kit';
import { signedSubgraphRequest, suiteDatabase, testCaller, testConfig } from '@palisade/kit/testing/index';
import { auditOutbox } from '../db/schema.ts';
import { startProductSubgraph } from '../index.ts';

let sg: StartedSubgraph;
let db: Awaited<ReturnType<typeof suiteDatabase>>;
const anon = testCaller();
const customer = testCaller({ userId: randomUUID() });
const manager = testCaller({ userId: randomUUID(), roles: ['MANAGER'] });
const admin = testCaller({ userId: randomUUID(), roles: ['ADMIN'] });

beforeAll(async () => {
  db = await suiteDatabase();
  sg = await startProductSubgraph({ config: testConfig(), port: 0, databaseUrl: db.url, pgliteDir: null, peers: { security: 'http://127.0.0.1:9', order: 'http://127.0.0.1:9' } });
});
afterAll(async () => {
  await sg?.stop();
  await db?.drop();
});

const gql = (caller: typeof anon, query: string, variables?: Record<string, unknown>) => signedSubgraphRequest(sg.url, 'product', caller, query, variables);
const codes = (r: Awaited<ReturnType<typeof gql>>) => (r.body.errors ?? []).map((e) => e.extensions?.code);
/** What the outbox holds for one resource: the audit trail a change committed with. */
const auditFor = async (resourceId: string) =>
  (await sg.database.db.select({ record: auditOutbox.record }).from(auditOutbox).where(sql`${auditOutbox.record}->>'resourceId' = ${resourceId}`)).map((r) => r.record.action);

async function createProduct(input: Record<string, unknown> = {}) {
  const r = await gql(manager, 'mutation($i: CreateProductInput!) { createProduct(input: $i) { id sku price { amount currency } stock active } }', {
    i: { sku: `C-${randomUUID().slice(0, 8)}`, name: 'Catalog item', description: 'A thing', price: '19.99', currency: 'USD', initialStock: 5, ...input },
  });
  expect(r.body.errors).toBeUndefined();
  return r.body.data!.createProduct as { id: string; sku: string; price: { amount: string; currency: string }; stock: number; active: boolean };
}

describe('the public catalog', () => {
  it('lists the demo catalog to anyone, in pages, without stock levels', async () => {
    const first = await gql(anon, '{ products(first: 5) { totalCount edges { cursor node { id name price { amount currency } inStock category { slug } } } pageInfo { hasNextPage endCursor } } }');
    expect(first.body.errors).toBeUndefined();
    const page = first.body.data!.products;
    expect(page.totalCount).toBeGreaterThanOrEqual(12);
    expect(page.edges).toHaveLength(5);
    expect(page.pageInfo.hasNextPage).toBe(true);
    expect(page.edges[0].node.price.amount).toMatch(/^\d+\.\d{2}$/);
    const next = await gql(anon, 'query($a: String) { products(first: 5, after: $a) { edges { node { id } } } }', { a: page.pageInfo.endCursor });
    const seen = new Set(page.edges.map((e: { node: { id: string } }) => e.node.id));
    for (const e of next.body.data!.products.edges) expect(seen.has(e.node.id)).toBe(false);

    const cats = await gql(anon, '{ categories { slug children { slug } } }');
    expect(cats.body.data!.categories.map((c: { slug: string }) => c.slug)).toEqual(expect.arrayContaining(['electronics', 'books', 'home', 'outdoor']));

    const stock = await gql(anon, 'query($id: ID!) { product(id: $id) { name stock } }', { id: page.edges[0].node.id });
    expect(codes(stock)).toEqual(['UNAUTHENTICATED']);
    expect(codes(await gql(customer, 'query($id: ID!) { product(id: $id) { stock } }', { id: page.edges[0].node.id }))).toEqual(['FORBIDDEN']);
  });

  it('writes amounts as exact decimal strings', async () => {
    const p = await createProduct({ price: '299.9', currency: 'eur' });
    expect(p.price).toEqual({ amount: '299.90', currency: 'EUR' });
  });
});

describe('archived products', () => {
  it('hide from browsing but still resolve for past orders', async () => {
    const p = await createProduct();
    const archived = await gql(admin, 'mutation($id: ID!) { archiveProduct(id: $id) { active } }', { id: p.id });
    expect(archived.body.data!.archiveProduct.active).toBe(false);

    expect((await gql(anon, 'query($id: ID!) { product(id: $id) { id } }', { id: p.id })).body.data!.product).toBeNull();
    const listed = await gql(customer, '{ products(first: 100) { edges { node { id } } } }');
    expect(listed.body.data!.products.edges.map((e: { node: { id: string } }) => e.node.id)).not.toContain(p.id);
    expect(codes(await gql(customer, '{ products(filter: { includeInactive: true }) { totalCount } }'))).toEqual(['FORBIDDEN']);

    const managed = await gql(manager, '{ products(first: 100, filter: { includeInactive: true }) { edges { node { id active } } } }');
    expect(managed.body.data!.products.edges.map((e: { node: { id: string } }) => e.node.id)).toContain(p.id);

    const entity = await gql(customer, `{ _entities(representations: [{ __typename: "Product", id: "${p.id}" }]) { ... on Product { id name active } } }`);
    expect(entity.body.data!._entities).toEqual([{ id: p.id, name: 'Catalog item', active: false }]);
  });

  it('can be archived by an administrator only', async () => {
    const p = await createProduct();
    expect(codes(await gql(manager, 'mutation($id: ID!) { archiveProduct(id: $id) { id } }', { id: p.id }))).toEqual(['FORBIDDEN']);
    expect(codes(await gql(customer, 'mutation($id: ID!) { archiveProduct(id: $id) { id } }', { id: p.id }))).toEqual(['FORBIDDEN']);
  });
});

describe('catalog changes', () => {
  it('are refused to customers', async () => {
    const r = await gql(customer, 'mutation { createCategory(input: { name: "Nope", slug: "nope" }) { id } }');
    expect(codes(r)).toEqual(['FORBIDDEN']);
  });

  it('validate their input', async () => {
    const bad: Record<string, unknown>[] = [
      { sku: 'has space' },
      { sku: 'x'.repeat(65) },
      { name: '' },
      { name: 'n'.repeat(201) },
      { description: 'd'.repeat(5001) },
      { price: '19.999' },
      { price: '-1' },
      { price: '0.00' },
      { currency: 'US' },
      { initialStock: -1 },
      { categoryId: 'not-a-uuid' },
    ];
    for (const input of bad) {
      const r = await gql(manager, 'mutation($i: CreateProductInput!) { createProduct(input: $i) { id } }', {
        i: { sku: `V-${randomUUID().slice(0, 8)}`, name: 'Valid', description: '', price: '1.00', currency: 'USD', initialStock: 0, ...input },
      });
      expect(codes(r), JSON.stringify(input)).toEqual(['BAD_USER_INPUT']);
    }
  });

  it('commit together with their audit record, and a refused one records nothing', async () => {
    const slug = `cat-${randomUUID().slice(0, 8)}`;
    const cat = await gql(manager, 'mutation($s: String!) { createCategory(input: { name: "Audited", slug: $s }) { id } }', { s: slug });
    const categoryId = cat.body.data!.createCategory.id as string;
    expect(await auditFor(categoryId)).toEqual(['category.created']);
    expect(codes(await gql(manager, 'mutation($s: String!) { createCategory(input: { name: "Again", slug: $s }) { id } }', { s: slug }))).toEqual(['CONFLICT']);

    const p = await createProduct({ categoryId });
    await gql(manager, 'mutation($id: ID!) { updateProduct(id: $id, input: { price: "24.50" }) { id } }', { id: p.id });
    await gql(manager, 'mutation($id: ID!) { adjustStock(id: $id, delta: 3, reason: "recount") { stock } }', { id: p.id });
    expect(codes(await gql(manager, 'mutation($id: ID!) { adjustStock(id: $id, delta: -100, reason: "shrinkage") { stock } }', { id: p.id }))).toEqual(['OUT_OF_STOCK']);
    await gql(admin, 'mutation($id: ID!) { archiveProduct(id: $id) { id } }', { id: p.id });
    expect((await auditFor(p.id)).sort()).toEqual(['product.archived', 'product.created', 'product.stock_adjusted', 'product.updated']);
  });
});
