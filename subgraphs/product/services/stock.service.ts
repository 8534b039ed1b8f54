import { and, asc, eq, inArray, isNull, ne, sql } from 'drizzle-orm';
import type { Caller } from '@palisade/auth';
import { isUuid, type AuditWriter, type Db, type Tx } from '@palisade/kit';
import { products, stockMovements, stockReservations } from '../db/schema.ts';
import { noteLowStock } from './low-stock.ts';

export interface ReserveRequest {
  orderRef: string;
  items: { productId: string; quantity: number }[];
}

type ReservedItem = { productId: string; name: string; quantity: number; unitPriceCents: number; currency: string };
export type ReserveAnswer =
  | { ok: true; items: ReservedItem[] }
  | { ok: false; code: 'OUT_OF_STOCK' | 'NOT_FOUND' | 'BAD_USER_INPUT'; productId?: string; message: string };

/** Validates what the order subgraph sent; it is signed, but still input. */
export function parseReserveRequest(body: unknown): ReserveRequest | null {
  const b = body as Partial<ReserveRequest> | null;
  if (!b || typeof b.orderRef !== 'string' || !isUuid(b.orderRef) || !Array.isArray(b.items) || b.items.length < 1 || b.items.length > 50) return null;
  for (const i of b.items) if (!i || !isUuid(i.productId) || !Number.isInteger(i.quantity) || i.quantity < 1 || i.quantity > 1000) return null;
  return { orderRef: b.orderRef, items: b.items.map((i) => ({ productId: i.productId, quantity: i.quantity })) };
}

export const STOCK_MOVEMENT_KINDS = ['initial', 'adjustment', 'reservation', 'release', 'confirmation'] as const;
export type StockMovementKind = (typeof STOCK_MOVEMENT_KINDS)[number];

/** Records a stock change with its reason and the stock it left, in the transaction that made it: the ledger. */
export async function recordMovements(
  tx: Tx,
  rows: { productId: string; delta: number; kind: StockMovementKind; reason: string; stockAfter: number; orderRef?: string | null; actorId?: string | null }[],
) {
  if (rows.length) await tx.insert(stockMovements).values(rows.map((r) => ({ ...r, orderRef: r.orderRef ?? null, actorId: r.actorId ?? null })));
}

export interface StockDeps {
  db: Db;
  audit: AuditWriter;
  /** Told, once committed, of each product this left with no stock available (a stock-out). */
  onStockOut?: (productId: string) => void;
}

/**
 * Stock moves for orders: all items or none, and once per order however often the call is retried. A
 * reservation stays until the order subgraph confirms or releases it: only it knows whether the order was
 * written, and it settles every reservation it asked for (subgraphs/order/services/stock-holds.ts). Expiring
 * one here could give back the stock of an order whose confirmation is merely late, and sell it twice.
 */
export class StockService {
  constructor(private readonly d: StockDeps) {}

  async reserve(caller: Caller | null, req: ReserveRequest): Promise<ReserveAnswer> {
    const emptied: string[] = [];
    const answer = await this.d.db.transaction(async (tx): Promise<ReserveAnswer> => {
      const [done] = await tx.select().from(stockReservations).where(eq(stockReservations.orderRef, req.orderRef));
      if (done) return done.status === 'released' ? { ok: false, code: 'BAD_USER_INPUT', message: 'Reservation was released' } : { ok: true, items: done.items };
      const ids = [...new Set(req.items.map((i) => i.productId))].sort();
      // Locked in id order so two orders touching the same products cannot deadlock.
      const rows = await tx.select().from(products).where(inArray(products.id, ids)).orderBy(asc(products.id)).for('update');
      const byId = new Map(rows.map((r) => [r.id, r]));
      const wanted = new Map<string, number>();
      for (const i of req.items) wanted.set(i.productId, (wanted.get(i.productId) ?? 0) + i.quantity);
      for (const [productId, quantity] of wanted) {
        const p = byId.get(productId);
        if (!p || !p.active) return { ok: false, code: 'NOT_FOUND', productId, message: 'Product not available' };
        if (p.stock < quantity) return { ok: false, code: 'OUT_OF_STOCK', productId, message: `Not enough stock for ${p.name}` };
      }
      const items: ReservedItem[] = [];
      const left = new Map<string, number>();
      for (const [productId, quantity] of wanted) {
        const p = byId.get(productId)!;
        const [row] = await tx.update(products).set({ stock: sql`${products.stock} - ${quantity}`, updatedAt: new Date() }).where(eq(products.id, productId)).returning({ stock: products.stock });
        if (row?.stock === 0) emptied.push(productId);
        left.set(productId, row?.stock ?? p.stock - quantity);
        await noteLowStock(tx, p, p.stock, row?.stock ?? p.stock - quantity);
        items.push({ productId, name: p.name, quantity, unitPriceCents: p.priceCents, currency: p.currency });
      }
      await tx.insert(stockReservations).values({ orderRef: req.orderRef, items });
      await recordMovements(
        tx,
        items.map((i) => ({ productId: i.productId, delta: -i.quantity, kind: 'reservation', reason: 'order reserved', stockAfter: left.get(i.productId)!, orderRef: req.orderRef, actorId: caller?.userId })),
      );
      await this.d.audit(tx, caller, { action: 'product.stock_adjusted', outcome: 'SUCCESS', resourceType: 'Order', resourceId: req.orderRef, metadata: { reason: 'order reserved', items: items.map((i) => ({ productId: i.productId, delta: -i.quantity })) } });
      return { ok: true, items };
    });
    for (const productId of emptied) this.d.onStockOut?.(productId);
    return answer;
  }

  /** The order is stored: its reservation no longer expires. The ledger notes it (no stock moves). */
  async confirm(orderRef: string): Promise<{ confirmed: boolean }> {
    return this.d.db.transaction(async (tx) => {
      const [row] = await tx
        .update(stockReservations)
        .set({ status: 'confirmed' })
        .where(and(eq(stockReservations.orderRef, orderRef), eq(stockReservations.status, 'pending')))
        .returning({ items: stockReservations.items });
      if (!row) return { confirmed: false };
      const stocks = await tx.select({ id: products.id, stock: products.stock }).from(products).where(inArray(products.id, row.items.map((i) => i.productId)));
      await recordMovements(tx, stocks.map((p) => ({ productId: p.id, delta: 0, kind: 'confirmation', reason: 'order confirmed', stockAfter: p.stock, orderRef })));
      return { confirmed: true };
    });
  }

  /** Puts an order's stock back; a second release of the same order changes nothing. */
  async release(caller: Caller | null, orderRef: string, reason = 'order released'): Promise<{ released: boolean }> {
    return this.d.db.transaction(async (tx) => {
      const [res] = await tx
        .update(stockReservations)
        .set({ status: 'released', releasedAt: new Date() })
        .where(and(eq(stockReservations.orderRef, orderRef), ne(stockReservations.status, 'released'), isNull(stockReservations.releasedAt)))
        .returning();
      if (!res) return { released: false };
      const moved = [];
      for (const i of res.items) {
        const [row] = await tx.update(products).set({ stock: sql`${products.stock} + ${i.quantity}`, updatedAt: new Date() }).where(eq(products.id, i.productId)).returning({ stock: products.stock });
        if (row) moved.push({ productId: i.productId, delta: i.quantity, kind: 'release' as const, reason, stockAfter: row.stock, orderRef, actorId: caller?.userId });
      }
      await recordMovements(tx, moved);
      await this.d.audit(tx, caller, { action: 'product.stock_adjusted', outcome: 'SUCCESS', resourceType: 'Order', resourceId: orderRef, metadata: { reason, items: res.items.map((i) => ({ productId: i.productId, delta: i.quantity })) } });
      return { released: true };
    });
  }
}
