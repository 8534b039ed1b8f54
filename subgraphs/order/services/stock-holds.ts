import { and, asc, eq, inArray, lt, sql } from 'drizzle-orm';
import { serviceUnavailable, type Caller } from '@palisade/auth';
import { every, type Db, type Logger, type Tx } from '@palisade/kit';
import { orders, stockHolds, type OrderRow } from '../db/schema.ts';
import type { ProductStock } from './product-stock.ts';

/** How long finished holds wait to be deleted together: one statement for the holds of this many ms of orders. */
export const DONE_BATCH_MS = 50;
const DONE_BATCH_MAX = 200;

/** Postgres refused a null id (drizzle wraps the driver's error; postgres.js and PGlite name the column differently). */
function isNullId(err: unknown): boolean {
  const e = ((err as { cause?: unknown }).cause ?? err) as { code?: string; column_name?: string; column?: string };
  return e.code === '23502' && (e.column_name ?? e.column) === 'id';
}

/**
 * Settling stock reservations is this subgraph's job; the product subgraph never asks anyone.
 *
 * A reservation is made before its order is written, so either step can be lost: the confirmation after a
 * written order (the order keeps its stock), or the order itself (the stock must come back). Only this
 * subgraph knows which, so it keeps a hold for each reservation it asks for:
 *  1. `open`, committed before the reservation is asked for: no reservation of ours is ever unknown to us;
 *  2. `placed`, in the very transaction that writes the order, and only if still open;
 *  3. deleted once product has confirmed (placed) or released (abandoned) it.
 * The settle job abandons holds still open after `olderThanSeconds` and settles every old hold with product.
 * Abandoning and placing are one conditional UPDATE each on the same row, so exactly one wins: a placement
 * that comes back after its hold was abandoned writes no order (and its stock is released), so stock given
 * back never belongs to an order, and nothing is oversold whatever the clocks or delays. Every reservation
 * has a hold that the job retries until product answers, so no stock is held forever while this subgraph
 * runs. (Product's own expiry could do neither: it cannot tell a lost order from a late confirmation.)
 *
 * Round trips: placing is one statement with the order's row, and finished holds are deleted in batches (a
 * hold deleted late is one the settle job would find still placed and confirm again, which product answers
 * as already confirmed: lateness costs nothing but that).
 */
export class StockHolds {
  private batch: { ids: string[] } | null = null;
  /** Every placement opens a hold: the statement is built once. */
  private readonly opening;

  constructor(private readonly d: { db: Db; stock: ProductStock; log: Logger }) {
    this.opening = d.db.insert(stockHolds).values({ orderId: sql.placeholder('orderId') }).prepare('stock_hold_open');
  }

  async open(orderId: string): Promise<void> {
    await this.opening.execute({ orderId });
  }

  /**
   * In the order's transaction, one statement: marks the hold placed and writes the order's row, only if the
   * hold is still open. Throws when it was abandoned (its stock is going back; no order is written): the row's
   * id comes from the hold's UPDATE ... RETURNING, so without that row the id is null and the insert fails.
   */
  async placeOrder(tx: Tx, row: typeof orders.$inferInsert & { id: string }): Promise<OrderRow> {
    const hold = tx
      .$with('placed_hold')
      .as(tx.update(stockHolds).set({ state: 'placed' }).where(and(eq(stockHolds.orderId, row.id), eq(stockHolds.state, 'open'))).returning({ orderId: stockHolds.orderId }));
    try {
      const [order] = await tx.with(hold).insert(orders).values({ ...row, id: sql`(select ${hold.orderId} from ${hold})` }).returning();
      return order!;
    } catch (err) {
      // not_null_violation on the id: the settle job abandoned the hold first (the UPDATE matched nothing).
      // Nothing was ordered and the stock is going back: the client may retry (with its key, safely).
      if (isNullId(err)) throw serviceUnavailable('Placing the order took too long; nothing was ordered, retry shortly');
      throw err;
    }
  }

  /** Product holds nothing more for the order than it will keep: the hold has done its work. */
  async done(orderId: string): Promise<void> {
    await this.d.db.delete(stockHolds).where(eq(stockHolds.orderId, orderId));
  }

  /**
   * Product has confirmed the order's stock: its hold goes, with those of the orders confirmed within
   * DONE_BATCH_MS of it, in one statement. Nobody waits for it: a hold not deleted (the statement failed, the
   * process stopped) is confirmed again by the settle job, which product answers as already confirmed.
   */
  confirmed(orderId: string): void {
    if (!this.batch) {
      const batch = { ids: [] as string[] };
      setTimeout(() => void this.deleteBatch(batch.ids), DONE_BATCH_MS);
      this.batch = batch;
    }
    this.batch.ids.push(orderId);
    if (this.batch.ids.length >= DONE_BATCH_MAX) this.batch = null;
  }

  private async deleteBatch(ids: string[]): Promise<void> {
    if (this.batch?.ids === ids) this.batch = null;
    try {
      await this.d.db.delete(stockHolds).where(ids.length === 1 ? eq(stockHolds.orderId, ids[0]!) : inArray(stockHolds.orderId, ids));
    } catch (err) {
      this.d.log.warn({ holds: ids.length, err }, 'could not delete confirmed stock holds; the settle job will');
    }
  }

  /** The order will not be written: its stock goes back now, or from the settle job if product is away. */
  async abandon(caller: Caller | null, orderId: string): Promise<void> {
    await this.d.db
      .update(stockHolds)
      .set({ state: 'abandoned' })
      .where(and(eq(stockHolds.orderId, orderId), eq(stockHolds.state, 'open')));
    if (await this.d.stock.release(caller, orderId)) await this.done(orderId);
  }

  /** Abandons holds open longer than `olderThanSeconds`, then confirms or releases every hold that old. */
  async settle(olderThanSeconds: number): Promise<{ confirmed: number; released: number; pending: number }> {
    // The database's clock alone decides age: holds are written and judged against the same now().
    const old = lt(stockHolds.createdAt, sql`now() - ${olderThanSeconds}::int * interval '1 second'`);
    await this.d.db.update(stockHolds).set({ state: 'abandoned' }).where(and(eq(stockHolds.state, 'open'), old));
    const due = await this.d.db.select().from(stockHolds).where(old).orderBy(asc(stockHolds.createdAt)).limit(100);
    let confirmed = 0;
    let released = 0;
    for (const h of due) {
      // An open one aged between the two statements: the next run abandons it first.
      if (h.state === 'open') continue;
      const placed = h.state === 'placed';
      if (!(await (placed ? this.d.stock.confirm(null, h.orderId) : this.d.stock.release(null, h.orderId)))) continue;
      await this.done(h.orderId);
      if (placed) confirmed++;
      else released++;
    }
    return { confirmed, released, pending: due.length - confirmed - released };
  }

  startSettling(intervalMs: number, olderThanSeconds: number) {
    return every(intervalMs, this.d.log, {
      run: () => this.settle(olderThanSeconds),
      worthTelling: (r) => r.confirmed + r.released + r.pending > 0,
      done: 'settled stock reservations with the product subgraph',
      failed: 'could not settle stock reservations; will try again',
    });
  }
}
