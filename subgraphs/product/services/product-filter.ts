import { and, eq, gt, gte, lte, sql, type SQL } from 'drizzle-orm';
import { products } from '../db/schema.ts';
import { parsePrice } from './money.ts';
import * as v from './validation.ts';

export interface ProductFilter {
  search?: string | null;
  categoryId?: string | null;
  minPrice?: string | null;
  maxPrice?: string | null;
  inStock?: boolean | null;
  includeInactive?: boolean | null;
}

/** A filter's conditions by dimension, so that a facet can leave out its own (see facets.ts). */
export interface ParsedFilter {
  /** The full-text query when searching: the list ranks by it unless sorted. */
  query: SQL | null;
  visibility: SQL[];
  category: SQL[];
  price: SQL[];
}

/** Validates the filter once, up front: a bad value is the caller's BAD_USER_INPUT whatever is asked for. */
export function parseFilter(filter: ProductFilter | null | undefined): ParsedFilter {
  const search = filter?.search?.trim() ? v.text(filter.search, 'search', 1, 100) : null;
  const query = search ? sql`websearch_to_tsquery('english', ${search})` : null;
  const visibility: SQL[] = [];
  // Who may set includeInactive is decided by its @requiresScopesToSet annotation, before this runs.
  if (!filter?.includeInactive) visibility.push(eq(products.active, true));
  if (query) visibility.push(sql`search @@ ${query}`);
  if (filter?.inStock === true) visibility.push(gt(products.stock, 0));
  if (filter?.inStock === false) visibility.push(eq(products.stock, 0));
  const category: SQL[] = [];
  if (filter?.categoryId) {
    const root = v.id(filter.categoryId, 'categoryId');
    // The category and everything below it.
    category.push(sql`${products.categoryId} in (with recursive tree as (select id from products.categories where id = ${root}::uuid union all select c.id from products.categories c join tree on c.parent_id = tree.id) select id from tree)`);
  }
  const price: SQL[] = [];
  if (filter?.minPrice) price.push(gte(products.priceCents, parsePrice(filter.minPrice, 'minPrice')));
  if (filter?.maxPrice) price.push(lte(products.priceCents, parsePrice(filter.maxPrice, 'maxPrice')));
  return { query, visibility, category, price };
}

/** The conditions of the dimensions asked for, as one WHERE (undefined when there are none). */
export function whereOf(f: ParsedFilter, dims: readonly ('visibility' | 'category' | 'price')[] = ['visibility', 'category', 'price']): SQL | undefined {
  const parts = dims.flatMap((d) => f[d]);
  return parts.length ? and(...parts) : undefined;
}
