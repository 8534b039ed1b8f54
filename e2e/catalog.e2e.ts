import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { createTestEnvironment, type TestEnvironment } from './harness/supergraph.ts';
import { codesOf, type GraphQLClient } from './harness/client.ts';

let env: TestEnvironment;
let admin: GraphQLClient;
const tag = randomBytes(3).toString('hex');
beforeAll(async () => {
  env = await createTestEnvironment();
  admin = await env.asAdmin();
});
afterAll(async () => env?.stop());

const category = async (name: string, parentId?: string) =>
  (await admin.ok<{ createCategory: { id: string } }>('mutation($i: CreateCategoryInput!) { createCategory(input: $i) { id } }', { i: { name, slug: `${name.toLowerCase()}-${tag}`, parentId } })).createCategory.id;
const product = async (name: string, description: string, price: string, o: { categoryId?: string; stock?: number } = {}) =>
  (await admin.ok<{ createProduct: { id: string } }>('mutation($i: CreateProductInput!) { createProduct(input: $i) { id } }', { i: { sku: `S-${randomBytes(4).toString('hex')}`, name, description, price, currency: 'USD', categoryId: o.categoryId, initialStock: o.stock ?? 5 } })).createProduct.id;
const names = async (filter: Record<string, unknown>, client: GraphQLClient = env.asAnonymous()) =>
  (await client.ok<{ products: { edges: { node: { name: string } }[] } }>('query($f: ProductFilter) { products(filter: $f, first: 50) { edges { node { name } } } }', { f: filter })).products.edges.map((e) => e.node.name);

describe('finding products', () => {
  it('ranks full-text matches in the name above matches in the description', async () => {
    await product(`Plain box ${tag}`, `holds a zeppelin${tag} model`, '3.00');
    await product(`Zeppelin${tag} kit`, 'a model airship', '30.00');
    expect(await names({ search: `zeppelin${tag}` })).toEqual([`Zeppelin${tag} kit`, `Plain box ${tag}`]);
    expect(await names({ search: `airships` })).toContain(`Zeppelin${tag} kit`); // stemmed
  });

  it('filters by a category and everything below it, by price and by stock', async () => {
    const outdoor = await category('Trail');
    const tents = await category('Shelter', outdoor);
    await product(`Ridge tent ${tag}`, 'two person', '250.00', { categoryId: tents });
    await product(`Trail map ${tag}`, 'paper', '12.00', { categoryId: outdoor, stock: 0 });
    expect((await names({ categoryId: outdoor })).sort()).toEqual([`Ridge tent ${tag}`, `Trail map ${tag}`]);
    expect(await names({ categoryId: tents })).toEqual([`Ridge tent ${tag}`]);
    expect(await names({ categoryId: outdoor, minPrice: '100', maxPrice: '300' })).toEqual([`Ridge tent ${tag}`]);
    expect(await names({ categoryId: outdoor, inStock: false })).toEqual([`Trail map ${tag}`]);
    expect(codesOf(await env.asAnonymous().request('{ products(filter: { minPrice: "1.999" }) { totalCount } }'))).toEqual(['BAD_USER_INPUT']);
  });

  it('pages through search results without repeats', async () => {
    for (let i = 0; i < 5; i++) await product(`Lamp${tag} ${i}`, 'warm light', `${10 + i}.00`);
    const seen: string[] = [];
    let after: string | null = null;
    for (let page = 0; page < 10; page++) {
      const r: { products: { pageInfo: { hasNextPage: boolean; endCursor: string }; edges: { node: { name: string } }[]; totalCount: number } } = await env.asAnonymous().ok(
        'query($after: String, $s: String) { products(filter: { search: $s }, first: 2, after: $after) { totalCount pageInfo { hasNextPage endCursor } edges { node { name } } } }',
        { after, s: `lamp${tag}` },
      );
      seen.push(...r.products.edges.map((e) => e.node.name));
      expect(r.products.totalCount).toBe(5);
      if (!r.products.pageInfo.hasNextPage) break;
      after = r.products.pageInfo.endCursor;
    }
    expect(new Set(seen).size).toBe(5);
  });

  it('hides archived products from the public but keeps them inside old orders', async () => {
    const id = await product(`Vintage ${tag}`, 'last of its kind', '99.00');
    const customer = await env.asCustomer('Collector');
    const order = (await customer.ok<{ placeOrder: { id: string } }>('mutation($i: PlaceOrderInput!) { placeOrder(input: $i) { id } }', { i: { items: [{ productId: id, quantity: 1 }], shippingAddress: { line1: '1 Old St', city: 'Past', postalCode: '1', country: 'GB' } } })).placeOrder.id;
    await admin.ok('mutation($id: ID!) { archiveProduct(id: $id) { active } }', { id });
    expect(await names({ search: `vintage ${tag}` })).toEqual([]);
    expect((await env.asAnonymous().ok<{ product: unknown }>('query($id: ID!) { product(id: $id) { id } }', { id })).product).toBeNull();
    expect(await names({ search: `vintage ${tag}`, includeInactive: true }, admin)).toEqual([`Vintage ${tag}`]);
    expect(codesOf(await env.asAnonymous().request('{ products(filter: { includeInactive: true }) { totalCount } }'))).toEqual(['UNAUTHENTICATED']);
    const past = await customer.ok<{ order: { items: { product: { name: string; active: boolean } }[] } }>('query($id: ID!) { order(id: $id) { items { product { name active } } } }', { id: order });
    expect(past.order.items[0]!.product).toEqual({ name: `Vintage ${tag}`, active: false });
    // and it can no longer be ordered
    const again = await customer.request('mutation($i: PlaceOrderInput!) { placeOrder(input: $i) { id } }', { i: { items: [{ productId: id, quantity: 1 }], shippingAddress: { line1: '1 Old St', city: 'Past', postalCode: '1', country: 'GB' } } });
    expect(codesOf(again)).toEqual(['NOT_FOUND']);
  });

  it('validates catalog input and keeps slugs and SKUs unique', async () => {
    const bad = await admin.request('mutation { createProduct(input: { sku: "ok-1", name: "X", description: "", price: "-5", currency: "USD" }) { id } }');
    expect(codesOf(bad)).toEqual(['BAD_USER_INPUT']);
    const slug = `dup-${tag}`;
    await admin.ok('mutation($s: String!) { createCategory(input: { name: "Dup", slug: $s }) { id } }', { s: slug });
    expect(codesOf(await admin.request('mutation($s: String!) { createCategory(input: { name: "Dup", slug: $s }) { id } }', { s: slug }))).toEqual(['CONFLICT']);
  });
});
