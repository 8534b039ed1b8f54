import { inArray } from 'drizzle-orm';
import { isUuid, type Db } from '@palisade/kit';
import { products } from '../db/schema.ts';

/** What a cart needs to show a line: the catalog's name, current price, stock available now, and whether it is sold. */
export interface Quote {
  productId: string;
  name: string;
  priceCents: number;
  currency: string;
  available: number;
  active: boolean;
}

export const MAX_QUOTED = 50;

/** Validates what the order subgraph sent; it is signed, but still input. */
export function parseQuoteRequest(body: unknown): string[] | null {
  const ids = (body as { productIds?: unknown } | null)?.productIds;
  if (!Array.isArray(ids) || ids.length > MAX_QUOTED || !ids.every(isUuid)) return null;
  return [...new Set(ids as string[])];
}

/** One statement for the whole cart; an id the catalog does not know is left out of the answer. */
export async function quoteProducts(db: Db, ids: string[]): Promise<{ quotes: Quote[] }> {
  if (!ids.length) return { quotes: [] };
  const rows = await db
    .select({ productId: products.id, name: products.name, priceCents: products.priceCents, currency: products.currency, available: products.stock, active: products.active })
    .from(products)
    .where(inArray(products.id, ids));
  return { quotes: rows };
}
