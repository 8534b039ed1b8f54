import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { StartedSubgraph } from '@palisade/kit';
import { signedSubgraphRequest, suiteDatabase, testCaller, testConfig } from '@palisade/kit/testing/index';
import { categories, products, type ProductRow } from '../db/schema.ts';
import { startProductSubgraph } from '../index.ts';
import { CatalogService } from '../services/catalog.service.ts';
import type { ProductSort } from '../services/product-sort.ts';

let sg: StartedSubgraph;
let db: Awaited<ReturnType<typeof suiteDatabase>>;
let catalog: CatalogService;
const anon = testCaller();

beforeAll(async () => {
  db = await suiteDatabase();
  sg = await startProductSubgraph({ config: testConfig(), port: 0, databaseUrl: db.url, pgliteDir: null, peers: { security: 'http://127.0.0.1:9', order: 'http://127.0.0.1:9' } });
  catalog = new CatalogService({ db: sg.database.db, audit: async () => {} });
});
afterAll(async () => {
  await sg?.stop();
  await db?.drop();
});

const SORTS: ProductSort[] = (['PRICE', 'NAME', 'NEWEST'] as const).flatMap((field) => (['ASC', 'DESC'] as const).map((direction) => ({ field, direction })));
const EPOCH = Date.parse('2030-01-01T00:00:00.000Z');

// Few distinct values, so that ties (broken by id) and case variants are the rule rather than the exception.
const arbProduct = fc.record({
  name: fc.constantFrom('apple', 'Apple', 'APPLE', 'apple pie', 'b', 'B', 'banana', 'Zebra', 'zebra', '_under', 'ünïcode'),
  priceCents: fc.constantFrom(100, 250, 999, 1000, 4200),
  createdMs: fc.integer({ min: 0, max: 3 }),
});
type Generated = { name: string; priceCents: number; createdMs: number };

async function insert(categoryId: string, rows: Generated[]) {
  if (!rows.length) return;
  await sg.database.db.insert(products).values(
    rows.map((r) => ({ sku: `S-${randomUUID()}`, name: r.name, description: '', priceCents: r.priceCents, currency: 'USD', categoryId, stock: 1, createdAt: new Date(EPOCH + r.createdMs) })),
  );
}

/** The order each sort promises, computed here: lower-cased names compared by code point, ties by id. */
function keyOf(sort: ProductSort, p: ProductRow): string | number {
  return sort.field === 'PRICE' ? p.priceCents : sort.field === 'NAME' ? p.name.toLowerCase() : p.createdAt.getTime();
}
function before(sort: ProductSort, a: ProductRow, b: ProductRow): boolean {
  const [ka, kb] = [keyOf(sort, a), keyOf(sort, b)];
  const asc = ka < kb || (ka === kb && a.id < b.id);
  return sort.direction === 'DESC' ? !asc && a.id !== b.id : asc;
}

/** Every page of one category under a sort, inserting the next batch after each page. */
async function walk(categoryId: string, sort: ProductSort, size: number, inserts: Generated[][]): Promise<ProductRow[]> {
  const seen: ProductRow[] = [];
  let after: string | null = null;
  for (let step = 0; step < 500; step++) {
    const page = await catalog.list(anon, { categoryId }, size, after, sort);
    seen.push(...page.edges.map((e) => e.node));
    if (!page.pageInfo.hasNextPage) return seen;
    after = page.pageInfo.endCursor;
    await insert(categoryId, inserts[step] ?? []);
  }
  throw new Error('paging did not end');
}

async function freshCategory(): Promise<string> {
  const [c] = await sg.database.db.insert(categories).values({ name: 'Sorted', slug: `sorted-${randomUUID()}` }).returning();
  return c!.id;
}

describe('sorted product pages', () => {
  it('walk every matching product exactly once, in order, under every sort, also with inserts between fetches', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(arbProduct, { maxLength: 25 }), fc.integer({ min: 1, max: 7 }), fc.array(fc.array(arbProduct, { maxLength: 3 }), { maxLength: 6 }), async (initial, size, inserts) => {
        for (const sort of SORTS) {
          const categoryId = await freshCategory();
          await insert(categoryId, initial);
          const originals = (await catalog.list(anon, { categoryId }, 100)).edges.map((e) => e.node.id);
          const seen = await walk(categoryId, sort, size, inserts);
          const ids = seen.map((p) => p.id);
          expect(new Set(ids).size, `${sort.field} ${sort.direction}: no duplicates`).toBe(ids.length);
          expect(ids, `${sort.field} ${sort.direction}: every product`).toEqual(expect.arrayContaining(originals));
          for (let i = 1; i < seen.length; i++) expect(before(sort, seen[i - 1]!, seen[i]!), `${sort.field} ${sort.direction}: in order at ${i}`).toBe(true);
        }
      }),
      { numRuns: 12 },
    );
  });

  it('answers every forged cursor of the right sort with data or BAD_USER_INPUT, never an internal error', async () => {
    const q = 'query($s: ProductSort, $a: String) { products(sort: $s, first: 1, after: $a) { totalCount } }';
    const key = fc.oneof(
      fc.integer({ min: -1, max: 2 ** 53 }),
      fc.constantFrom(2 ** 31, 2 ** 31 - 1, 1e300, -0, 0.5, '0000-01-01T00:00:00.000Z', '-000001-01-01T00:00:00.000Z', '2030-01-01T00:00:00.000Z', 'a\u0000b', '\ud800'),
      fc.string({ maxLength: 30 }),
      fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
    );
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...SORTS), key, fc.uuid(), async (sort, k, id) => {
        const a = Buffer.from(JSON.stringify([`${sort.field}:${sort.direction}`, k, id])).toString('base64url');
        const r = await signedSubgraphRequest(sg.url, 'product', anon, q, { s: sort, a });
        const codes = r.body.errors?.map((e) => e.extensions?.code) ?? [];
        expect(codes.filter((c) => c !== 'BAD_USER_INPUT'), `${sort.field} ${JSON.stringify(k)}`).toEqual([]);
      }),
      { numRuns: 200 },
    );
  });

  it('refuses a cursor made for another sort or for the default order, and sorts a search when asked', async () => {
    const categoryId = await freshCategory();
    const tag = `sortq${randomUUID().replace(/[^a-f]/g, '')}`;
    await insert(categoryId, [
      { name: `${tag} cheap`, priceCents: 100, createdMs: 0 },
      { name: `${tag} dear`, priceCents: 9000, createdMs: 1 },
      { name: `${tag} mid`, priceCents: 500, createdMs: 2 },
    ]);
    const q = 'query($f: ProductFilter, $s: ProductSort, $a: String) { products(filter: $f, sort: $s, first: 1, after: $a) { pageInfo { endCursor } edges { node { name } } } }';
    const run = (s: unknown, a?: string | null) => signedSubgraphRequest(sg.url, 'product', anon, q, { f: { categoryId }, s, a });
    const byPrice = (await run({ field: 'PRICE', direction: 'DESC' })).body.data!.products.pageInfo.endCursor as string;
    const plain = (await run(null)).body.data!.products.pageInfo.endCursor as string;
    for (const [s, a] of [[{ field: 'PRICE', direction: 'ASC' }, byPrice], [{ field: 'NAME' }, byPrice], [null, byPrice], [{ field: 'NEWEST' }, plain]] as const) {
      const r = await run(s, a);
      expect(r.body.errors?.map((e) => e.extensions?.code), JSON.stringify(s)).toEqual(['BAD_USER_INPUT']);
    }
    const search = await signedSubgraphRequest(sg.url, 'product', anon, 'query($s: String) { products(filter: { search: $s }, sort: { field: PRICE, direction: DESC }) { edges { node { name } } } }', { s: tag });
    expect(search.body.data!.products.edges.map((e: { node: { name: string } }) => e.node.name)).toEqual([`${tag} dear`, `${tag} mid`, `${tag} cheap`]);
  });
});
