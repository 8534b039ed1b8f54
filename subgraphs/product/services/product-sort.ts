import { and, count, sql, type SQL } from 'drizzle-orm';
import { badInput } from '@palisade/auth';
import { encodeCursor, isCursorTimestamp, isUuid, keysetAfter, keysetOrder, MAX_INT4, pageSize, type Connection, type Db } from '@palisade/kit';
import { products, type ProductRow } from '../db/schema.ts';

export type ProductSortField = 'PRICE' | 'NAME' | 'NEWEST';
export type SortDirection = 'ASC' | 'DESC';
export interface ProductSort {
  field: ProductSortField;
  direction?: SortDirection | null;
}

const MAX_NAME_KEY = 1000;

/**
 * Each sort pages by keyset over (its key, id): a row inserted between two fetches lands before or after the
 * cursor, never shifting what is left to read. NAME compares lower(name) byte by byte (collation "C"), so the
 * order does not depend on the database's locale. Cursors name the sort they were made for.
 */
const KEYS: Record<ProductSortField, { expr: SQL; valid: (v: unknown) => boolean }> = {
  // Within the column's integer range: a bigger number would fail the ::integer cast in Postgres.
  PRICE: { expr: sql`${products.priceCents}`, valid: (v) => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 && v <= MAX_INT4 },
  // Postgres text cannot hold NUL: the comparison would fail there instead of here.
  NAME: { expr: sql`lower(${products.name}) collate "C"`, valid: (v) => typeof v === 'string' && v.length <= MAX_NAME_KEY && !v.includes('\u0000') },
  // Milliseconds, as kit's keyset over created_at: the form a cursor can carry back exactly.
  NEWEST: { expr: sql`date_trunc('milliseconds', ${products.createdAt})`, valid: isCursorTimestamp },
};

const tagOf = (s: ProductSort) => `${s.field}:${s.direction ?? 'ASC'}`;

function decodeSortCursor(after: string | null | undefined, sort: ProductSort): [unknown, string] | null {
  if (after === null || after === undefined) return null;
  let v: unknown;
  try {
    v = JSON.parse(Buffer.from(after, 'base64url').toString('utf8'));
  } catch {}
  if (!Array.isArray(v) || v.length !== 3 || typeof v[0] !== 'string' || !isUuid(v[2])) throw badInput('after is not a valid cursor', 'after');
  if (v[0] !== tagOf(sort)) throw badInput('after was made for another sort; start again without it', 'after');
  if (!KEYS[sort.field].valid(v[1])) throw badInput('after is not a valid cursor', 'after');
  return [v[1], v[2] as string];
}

function afterCondition(sort: ProductSort, key: unknown, id: string): SQL {
  const asc = (sort.direction ?? 'ASC') === 'ASC';
  if (sort.field === 'NEWEST') return keysetAfter(products.createdAt, products.id, [String(key), id], asc ? 'asc' : 'desc');
  const op = asc ? sql`>` : sql`<`;
  const value = sort.field === 'PRICE' ? sql`${Number(key)}::integer` : sql`${String(key)}::text collate "C"`;
  return sql`(${KEYS[sort.field].expr}, ${products.id}) ${op} (${value}, ${id}::uuid)`;
}

function orderOf(sort: ProductSort): SQL[] {
  const asc = (sort.direction ?? 'ASC') === 'ASC';
  if (sort.field === 'NEWEST') return keysetOrder(products.createdAt, products.id, asc ? 'asc' : 'desc');
  return asc ? [sql`${KEYS[sort.field].expr} asc`, sql`${products.id} asc`] : [sql`${KEYS[sort.field].expr} desc`, sql`${products.id} desc`];
}

/** The key a cursor carries, read from the row as Postgres computed it (lower() follows the database, not JS). */
const cursorKey = (sort: ProductSort, row: ProductRow, nameKey: string): string | number =>
  sort.field === 'PRICE' ? row.priceCents : sort.field === 'NAME' ? nameKey : row.createdAt.toISOString();

/** One page of the filtered products in the given order, and the filter's total, side by side. */
export async function sortedPage(db: Db, where: SQL | undefined, sort: ProductSort, first?: number | null, after?: string | null): Promise<Connection<ProductRow>> {
  const size = pageSize(first);
  const cursor = decodeSortCursor(after, sort);
  const paged = cursor ? and(where, afterCondition(sort, cursor[0], cursor[1])) : where;
  const [rows, [total]] = await Promise.all([
    db.select({ row: products, nameKey: sql<string>`lower(${products.name})` }).from(products).where(paged).orderBy(...orderOf(sort)).limit(size + 1),
    db.select({ n: count() }).from(products).where(where),
  ]);
  const page = rows.slice(0, size);
  const edges = page.map(({ row, nameKey }) => ({ cursor: encodeCursor([tagOf(sort), cursorKey(sort, row, nameKey), row.id]), node: row }));
  return { edges, pageInfo: { hasNextPage: rows.length > size, endCursor: edges.at(-1)?.cursor ?? null }, totalCount: total?.n ?? 0 };
}
