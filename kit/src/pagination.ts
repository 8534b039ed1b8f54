import { and, count, getTableName, sql, type AnyColumn, type SQL } from 'drizzle-orm';
import { Kind, type GraphQLResolveInfo, type SelectionSetNode } from 'graphql';
import type { PgColumn, PgTable } from 'drizzle-orm/pg-core';
import type { Db } from './db.ts';
import { badInput } from '@palisade/auth';
import { isUuid } from './values.ts';

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;

/** Page size from `first`: absent → default; outside 0..100 is the caller's mistake, said plainly. */
export function pageSize(first: number | null | undefined): number {
  if (first === null || first === undefined) return DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(first) || first < 0 || first > MAX_PAGE_SIZE)
    throw badInput(`first must be between 0 and ${MAX_PAGE_SIZE}`, 'first');
  return first;
}

/** Cursors are opaque to clients: a keyset position, base64url-encoded. */
export function encodeCursor(position: readonly (string | number)[]): string {
  return Buffer.from(JSON.stringify(position)).toString('base64url');
}

/**
 * What each position of a cursor holds: `timestamp` a millisecond ISO instant as `toISOString` writes it,
 * `uuid` a row id, `position` a non-negative safe integer (an offset or a sequence number).
 */
export type CursorPart = 'timestamp' | 'uuid' | 'position';
/** Keyset pages over (created_at, id). */
export const KEYSET_CURSOR: readonly CursorPart[] = ['timestamp', 'uuid'];
/** Pages by a number: an offset into ranked results, or a sequence. */
export const POSITION_CURSOR: readonly CursorPart[] = ['position'];

/** Only the exact form we write: anything else (a 30th of February, year 0, ±275760) is not ours. */
export const isCursorTimestamp = (v: unknown): v is string =>
  typeof v === 'string' && v.length === 24 && !Number.isNaN(Date.parse(v)) && new Date(v).toISOString() === v && !v.startsWith('0000');

const validPart: Record<CursorPart, (v: unknown) => boolean> = {
  timestamp: isCursorTimestamp,
  uuid: isUuid,
  position: (v) => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0,
};

/**
 * A cursor is client input like any other: decodable base64 of the wrong shape, type or size must be
 * refused here, never handed to SQL to fail there.
 */
export function decodeCursor(cursor: string | null | undefined, shape: readonly CursorPart[]): (string | number)[] | null {
  if (cursor === null || cursor === undefined) return null;
  try {
    const v = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(v) && v.length === shape.length && shape.every((part, i) => validPart[part](v[i]))) return v as (string | number)[];
  } catch {}
  throw badInput('after is not a valid cursor', 'after');
}

export interface Connection<T> {
  edges: { cursor: string; node: T }[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
  totalCount: number;
}

/** Builds a connection from rows fetched with limit size+1 (the extra row says whether more exist). */
export function toConnection<T>(rows: T[], size: number, totalCount: number, position: (row: T) => (string | number)[]): Connection<T> {
  const page = rows.slice(0, size);
  const edges = page.map((node) => ({ cursor: encodeCursor(position(node)), node }));
  return { edges, pageInfo: { hasNextPage: rows.length > size, endCursor: edges.at(-1)?.cursor ?? null }, totalCount };
}

/**
 * Whether the operation selects the connection's `totalCount` (directly, or through a fragment, under any
 * @include/@skip): a count is a statement of its own, which a page asked for without it need not send.
 */
export function asksTotalCount(info: Pick<GraphQLResolveInfo, 'fieldNodes' | 'fragments'>): boolean {
  const seen = new Set<string>();
  const asks = (set: SelectionSetNode | undefined): boolean =>
    (set?.selections ?? []).some((s) => {
      if (s.kind === Kind.FIELD) return s.name.value === 'totalCount';
      if (s.kind === Kind.INLINE_FRAGMENT) return asks(s.selectionSet);
      if (seen.has(s.name.value)) return false;
      seen.add(s.name.value);
      return asks(info.fragments[s.name.value]?.selectionSet);
    });
  return info.fieldNodes.some((f) => asks(f.selectionSet));
}

/**
 * Keyset pages over (created_at, id). Cursors carry milliseconds (what a JS date holds) while Postgres
 * keeps microseconds, so both the order and the comparison use the millisecond value; otherwise the
 * cursor's own row would come back on the next page. Parameters go as text: postgres.js will not guess
 * the type of a bare Date.
 */
export function keysetAfter(createdAt: AnyColumn, id: AnyColumn, cursor: (string | number)[], direction: 'asc' | 'desc'): SQL {
  const op = direction === 'asc' ? sql`>` : sql`<`;
  return sql`(date_trunc('milliseconds', ${createdAt}), ${id}) ${op} (${String(cursor[0])}::timestamptz, ${String(cursor[1])}::uuid)`;
}

export function keysetOrder(createdAt: AnyColumn, id: AnyColumn, direction: 'asc' | 'desc'): SQL[] {
  return direction === 'asc' ? [sql`date_trunc('milliseconds', ${createdAt}) asc`, sql`${id} asc`] : [sql`date_trunc('milliseconds', ${createdAt}) desc`, sql`${id} desc`];
}

/** A table paged by (created_at, id), newest or oldest first. */
export interface KeysetTable extends PgTable {
  createdAt: PgColumn;
  id: PgColumn;
}

/**
 * One keyset page: the rows after the cursor (one extra, to know whether more follow) and the filter's total,
 * in one round trip each, side by side. Every list of rows ordered by creation reads through here.
 * `count: false` (the operation does not select totalCount, see asksTotalCount) skips the total's statement;
 * totalCount is then 0, which nobody reads.
 */
export async function keysetPage<T extends KeysetTable>(
  db: Db,
  table: T,
  o: { where?: SQL; first?: number | null; after?: string | null; direction: 'asc' | 'desc'; count?: boolean },
): Promise<Connection<T['$inferSelect']>> {
  const size = pageSize(o.first);
  const cursor = decodeCursor(o.after, KEYSET_CURSOR);
  const paged = cursor ? and(o.where, keysetAfter(table.createdAt, table.id, cursor, o.direction)) : o.where;
  const [rows, [total]] = await Promise.all([
    db.select().from(table as PgTable).where(paged).orderBy(...keysetOrder(table.createdAt, table.id, o.direction)).limit(size + 1),
    o.count === false ? [] : db.select({ n: count() }).from(table as PgTable).where(o.where),
  ]);
  const typed = rows as T['$inferSelect'][];
  return toConnection(typed, size, total?.n ?? 0, (r) => [(r.createdAt as Date).toISOString(), r.id as string]);
}

/**
 * keysetPage over the rows whose `column` equals one value (a customer's orders, a user's notifications), its
 * statements (first page, page after a cursor, count) prepared once per database: the pages every request of
 * a storefront reads, without drizzle building their SQL each time. Same pages, cursors and totals as
 * keysetPage with `where: eq(column, value)`.
 */
export function keysetPageBy<T extends KeysetTable>(table: T, column: PgColumn, direction: 'asc' | 'desc') {
  type Prepared = { execute(values: Record<string, unknown>): Promise<unknown[]> };
  const statements = new WeakMap<Db, { first: Prepared; after: Prepared; count: Prepared }>();
  const name = `${getTableName(table)}_by_${column.name}_${direction}`;
  const prepare = (db: Db) => {
    const is = sql`${column} = ${sql.placeholder('value')}`;
    const op = direction === 'asc' ? sql`>` : sql`<`;
    const after = sql`(date_trunc('milliseconds', ${table.createdAt}), ${table.id}) ${op} (${sql.placeholder('at')}::timestamptz, ${sql.placeholder('id')}::uuid)`;
    const page = (where: SQL) => db.select().from(table as PgTable).where(where).orderBy(...keysetOrder(table.createdAt, table.id, direction)).limit(sql.placeholder('limit'));
    return {
      first: page(is).prepare(`${name}_first`) as Prepared,
      after: page(and(is, after)!).prepare(`${name}_after`) as Prepared,
      count: db.select({ n: count() }).from(table as PgTable).where(is).prepare(`${name}_count`) as Prepared,
    };
  };
  return async (db: Db, value: unknown, o: { first?: number | null; after?: string | null; count?: boolean }): Promise<Connection<T['$inferSelect']>> => {
    const size = pageSize(o.first);
    const cursor = decodeCursor(o.after, KEYSET_CURSOR);
    let q = statements.get(db);
    if (!q) statements.set(db, (q = prepare(db)));
    const [rows, [total]] = await Promise.all([
      cursor ? q.after.execute({ value, at: String(cursor[0]), id: String(cursor[1]), limit: size + 1 }) : q.first.execute({ value, limit: size + 1 }),
      o.count === false ? [] : (q.count.execute({ value }) as Promise<{ n: number }[]>),
    ]);
    const typed = rows as T['$inferSelect'][];
    return toConnection(typed, size, total?.n ?? 0, (r) => [(r.createdAt as Date).toISOString(), r.id as string]);
  };
}

/**
 * Rows by id in the order asked, null where there is none: a DataLoader's batch in one statement. Ids that are
 * not UUIDs never reach Postgres (a uuid column would refuse the whole batch for one bad id).
 */
export async function loadByIds<T extends PgTable & { id: PgColumn }>(db: Db, table: T, ids: readonly string[]): Promise<(T['$inferSelect'] | null)[]> {
  const valid = ids.filter(isUuid);
  const rows = (valid.length ? await byIdsQuery(db, table).execute({ ids: valid }) : []) as T['$inferSelect'][];
  const byId = new Map(rows.map((r) => [r.id as string, r]));
  return ids.map((id) => byId.get(id) ?? null);
}

type ByIds = { execute(values: { ids: string[] }): Promise<unknown[]> };
const byIdsQueries = new WeakMap<Db, WeakMap<PgTable, ByIds>>();

/**
 * loadByIds' statement, built once per database (or transaction) and table: every entity fetch of every
 * request reads through it, and drizzle's building of the SQL text showed in the subgraphs' profiles beside
 * the query itself. The ids go as one array parameter, so one statement serves any number of them.
 */
function byIdsQuery(db: Db, table: PgTable & { id: PgColumn }): ByIds {
  let tables = byIdsQueries.get(db);
  if (!tables) byIdsQueries.set(db, (tables = new WeakMap()));
  let q = tables.get(table);
  if (!q) {
    const idType = sql.raw(`${table.id.getSQLType()}[]`);
    q = db.select().from(table).where(sql`${table.id} = any(${sql.placeholder('ids')}::${idType})`).prepare(`by_ids_${getTableName(table)}`) as ByIds;
    tables.set(table, q);
  }
  return q;
}
