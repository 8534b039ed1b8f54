import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { StartedSubgraph } from '@palisade/kit';
import { signedSubgraphRequest, suiteDatabase, testCaller, testConfig } from '@palisade/kit/testing/index';
import { categories, products } from '../db/schema.ts';
import { startProductSubgraph } from '../index.ts';
import { CatalogService } from '../services/catalog.service.ts';
import { PRICE_BAND_BOUNDS_CENTS } from '../services/facets.ts';
import type { ProductFilter } from '../services/product-filter.ts';

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

/** A word of letters only, so that full-text search finds exactly this run's products. */
const token = () => `facet${randomUUID().replace(/[^a-f]/g, '')}`;

/** A parent, its child and an unrelated category, fresh for each run. */
async function tree(): Promise<[string, string, string]> {
  const insert = async (parentId: string | null) => (await sg.database.db.insert(categories).values({ name: 'Facet', slug: `facet-${randomUUID()}`, parentId }).returning())[0]!.id;
  const parent = await insert(null);
  return [parent, await insert(parent), await insert(null)];
}

const arbProduct = fc.record({
  category: fc.constantFrom(0, 1, 2, null),
  // Both sides of every band edge.
  priceCents: fc.constantFrom(1, 999, 1_000, 2_499, 2_500, 4_999, 5_000, 9_999, 10_000, 123_456),
  stock: fc.constantFrom(0, 3),
  active: fc.boolean(),
});
const arbFilter = fc.record(
  {
    category: fc.constantFrom(0, 1, 2),
    minPrice: fc.constantFrom('0.01', '10.00', '25', '99.99'),
    maxPrice: fc.constantFrom('9.99', '50.00', '1000'),
    inStock: fc.boolean(),
    includeInactive: fc.boolean(),
  },
  { requiredKeys: [] },
);

const bandIndex = (cents: number) => PRICE_BAND_BOUNDS_CENTS.findLastIndex((lower) => cents >= lower);
const cents = (decimal: string) => Math.round(Number(decimal) * 100);

describe('product facets', () => {
  it('count what a brute-force count of the same filter finds, each facet ignoring its own dimension', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(arbProduct, { maxLength: 30 }), arbFilter, async (generated, f) => {
        const cats = await tree();
        const search = token();
        if (generated.length)
          await sg.database.db.insert(products).values(
            generated.map((p) => ({ sku: `F-${randomUUID()}`, name: `Item ${search}`, description: '', priceCents: p.priceCents, currency: 'USD', categoryId: p.category === null ? null : cats[p.category]!, stock: p.stock, active: p.active })),
          );
        const filter: ProductFilter = { search, ...f, categoryId: f.category === undefined ? undefined : cats[f.category] };
        const facets = await catalog.facets(await catalog.list(anon, filter, 1));

        const visible = generated.filter((p) => (f.includeInactive || p.active) && (f.inStock === undefined || (f.inStock ? p.stock > 0 : p.stock === 0)));
        const inCategory = (p: (typeof generated)[number]) => f.category === undefined || p.category === f.category || (f.category === 0 && p.category === 1);
        const inPrice = (p: (typeof generated)[number]) => (f.minPrice === undefined || p.priceCents >= cents(f.minPrice)) && (f.maxPrice === undefined || p.priceCents <= cents(f.maxPrice));
        const expectedCategories = new Map<string, number>();
        for (const p of visible.filter(inPrice)) if (p.category !== null) expectedCategories.set(cats[p.category]!, (expectedCategories.get(cats[p.category]!) ?? 0) + 1);
        const expectedBands = PRICE_BAND_BOUNDS_CENTS.map((_, i) => visible.filter(inCategory).filter((p) => bandIndex(p.priceCents) === i).length);

        expect(new Map(facets.categories.map((c) => [c.categoryId, c.count]))).toEqual(expectedCategories);
        expect(facets.priceBands.map((b) => b.count)).toEqual(expectedBands);
      }),
      { numRuns: 40 },
    );
  });

  it('are one statement, run only when a client selects them', async () => {
    const search = token();
    const [cat] = await tree();
    await sg.database.db.insert(products).values([5_00, 15_00, 150_00].map((priceCents) => ({ sku: `F-${randomUUID()}`, name: `Lamp ${search}`, description: '', priceCents, currency: 'USD', categoryId: cat, stock: 1 })));
    const statements: string[] = [];
    // The outbox relay polls the same database in the background; its statements are not the facets'.
    const stop = sg.database.observe((q) => void (/audit_outbox|pg_try_advisory_xact_lock/.test(q) || statements.push(q)));
    const page = await catalog.list(anon, { search }, 1);
    statements.length = 0;
    const facets = await catalog.facets(page);
    stop();
    expect(statements).toHaveLength(1);
    expect(facets.priceBands).toEqual([
      { min: '0.00', max: '10.00', count: 1 },
      { min: '10.00', max: '25.00', count: 1 },
      { min: '25.00', max: '50.00', count: 0 },
      { min: '50.00', max: '100.00', count: 0 },
      { min: '100.00', max: null, count: 1 },
    ]);

    const aggregate = (sql: string) => /union all/i.test(sql);
    const seen: string[] = [];
    const watch = sg.database.observe((q) => void seen.push(q));
    const without = await signedSubgraphRequest(sg.url, 'product', anon, 'query($s: String) { products(filter: { search: $s }) { totalCount } }', { s: search });
    expect(without.body.data!.products.totalCount).toBe(3);
    expect(seen.filter(aggregate)).toHaveLength(0);
    const withFacets = await signedSubgraphRequest(sg.url, 'product', anon, 'query($s: String) { products(filter: { search: $s }) { facets { categories { category { id } count } priceBands { min max count } } } }', { s: search });
    watch();
    expect(seen.filter(aggregate)).toHaveLength(1);
    expect(withFacets.body.data!.products.facets.categories).toEqual([{ category: { id: cat }, count: 3 }]);
  });
});
