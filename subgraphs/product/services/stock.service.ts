import { and, asc, eq, inArray, isNull, sql } from 'drizzle-orm';
import type { Caller } from '@palisade/auth';
import type { AuditWriter, Db } from '@palisade/kit';
import { products, stockReservations } from '../db/schema.ts';
import { isUuid } from './validation.ts';

export interface ReserveRequest {
  orderRef: string;
  items: { productId: string; quantity: number }[];
}

export type ReserveAnswer =
  | { ok: true; items: { productId: string; name: string; quantity: number; unitPriceCents: number; currency: string }[] }
  | { ok: false; code: 'OUT_OF_STOCK' | 'NOT_FOUND' | 'BAD_USER_INPUT'; productId?: string; message: string };

/** Validates what the order subgraph sent; it is signed, but still input. */
export function parseReserveRequest(body: unknown): ReserveRequest | null {
  const b = body as Partial<ReserveRequest> | null;
  if (!b || typeof b.orderRef !== 'string' || !isUuid(b.orderRef) || !Array.isArray(b.items) || b.items.length < 1 || b.items.length > 50) return null;
  for (const i of b.items) if (!i || !isUuid(i.productId) || !Number.isInteger(i.quantity) || i.quantity < 1 || i.quantity > 1000) return null;
  return { orderRef: b.orderRef, items: b.items.map((i) => ({ productId: i.productId, quantity: i.quantity })) };
}

/** Stock moves for orders: all items or none, and once per order however often the call is retried. */
export class StockService {
  constructor(private readonly d: { db: Db; audit: AuditWriter }) {}

  async reserve(caller: Caller | null, req: ReserveRequest): Promise<ReserveAnswer> {
    return this.d.db.transaction(async (tx) => {
      const [done] = await tx.select().from(stockReservations).where(eq(stockReservations.orderRef, req.orderRef));
      if (done) return done.releasedAt ? { ok: false, code: 'BAD_USER_INPUT', message: 'Reservation was released' } : { ok: true, items: done.items };
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
      const items = [];
      for (const [productId, quantity] of wanted) {
        const p = byId.get(productId)!;
        await tx.update(products).set({ stock: sql`${products.stock} - ${quantity}`, updatedAt: new Date() }).where(eq(products.id, productId));
        items.push({ productId, name: p.name, quantity, unitPriceCents: p.priceCents, currency: p.currency });
      }
      await tx.insert(stockReservations).values({ orderRef: req.orderRef, items });
      await this.d.audit(tx, caller, { action: 'product.stock_adjusted', outcome: 'SUCCESS', resourceType: 'Order', resourceId: req.orderRef, metadata: { reason: 'order reserved', items: items.map((i) => ({ productId: i.productId, delta: -i.quantity })) } });
      return { ok: true, items };
    });
  }

  /** Puts an order's stock back; a second release of the same order changes nothing. */
  async release(caller: Caller | null, orderRef: string): Promise<{ released: boolean }> {
    return this.d.db.transaction(async (tx) => {
      const [res] = await tx
        .update(stockReservations)
        .set({ releasedAt: new Date() })
        .where(and(eq(stockReservations.orderRef, orderRef), isNull(stockReservations.releasedAt)))
        .returning();
      if (!res) return { released: false };
      for (const i of res.items) await tx.update(products).set({ stock: sql`${products.stock} + ${i.quantity}`, updatedAt: new Date() }).where(eq(products.id, i.productId));
      await this.d.audit(tx, caller, { action: 'product.stock_adjusted', outcome: 'SUCCESS', resourceType: 'Order', resourceId: orderRef, metadata: { reason: 'order released', items: res.items.map((i) => ({ productId: i.productId, delta: i.quantity })) } });
      return { released: true };
    });
  }
}
