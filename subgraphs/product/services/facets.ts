import { and, isNotNull, sql } from 'drizzle-orm';
import type { Db } from '@palisade/kit';
import { products } from '../db/schema.ts';
import { formatCents } from './money.ts';
import { whereOf, type ParsedFilter } from './product-filter.ts';

/** Lower bounds of the price bands in cents (each up to the next, the last open): 0–10, 10–25, 25–50, 50–100, 100+. */
export const PRICE_BAND_BOUNDS_CENTS = [0, 1_000, 2_500, 5_000, 10_000] as const;

export interface ProductFacets {
  categories: { categoryId: string; count: number }[];
  priceBands: { min: string; max: string | null; count: number }[];
}

const bandOf = sql<string>`(case ${sql.join(
  PRICE_BAND_BOUNDS_CENTS.slice(1).map((upper, i) => sql.raw(`when price_cents < ${upper} then '${i}'`)),
  sql` `,
)} else '${sql.raw(String(PRICE_BAND_BOUNDS_CENTS.length - 1))}' end)`;

/**
 * Both facets in one statement (two aggregates joined by UNION ALL). Each ignores its own dimension's filter, so
 * a shopper sees the other categories (or bands) they could switch to: categories count the filtered set
 * without categoryId, price bands count it without minPrice/maxPrice. A category counts the products placed in
 * it directly; its parents are not credited.
 */
export async function productFacets(db: Db, f: ParsedFilter): Promise<ProductFacets> {
  const byCategory = db
    .select({ facet: sql<string>`'category'`.as('facet'), key: sql<string>`${products.categoryId}::text`.as('key'), n: sql<number>`count(*)::int`.as('n') })
    .from(products)
    .where(and(whereOf(f, ['visibility', 'price']), isNotNull(products.categoryId)))
    .groupBy(products.categoryId);
  const byBand = db
    .select({ facet: sql<string>`'band'`.as('facet'), key: bandOf.as('key'), n: sql<number>`count(*)::int`.as('n') })
    .from(products)
    .where(whereOf(f, ['visibility', 'category']))
    .groupBy(bandOf);
  const rows = await byCategory.unionAll(byBand);
  const bands = new Map(rows.filter((r) => r.facet === 'band').map((r) => [Number(r.key), Number(r.n)]));
  return {
    categories: rows
      .filter((r) => r.facet === 'category')
      .map((r) => ({ categoryId: r.key, count: Number(r.n) }))
      .sort((a, b) => b.count - a.count || a.categoryId.localeCompare(b.categoryId)),
    priceBands: PRICE_BAND_BOUNDS_CENTS.map((lower, i) => {
      const upper = PRICE_BAND_BOUNDS_CENTS[i + 1];
      return { min: formatCents(lower), max: upper === undefined ? null : formatCents(upper), count: bands.get(i) ?? 0 };
    }),
  };
}
