import { and, asc, desc, eq, inArray, or, sql } from 'drizzle-orm';
import { badInput } from '@palisade/auth';
import { isUuid, queryRows, type Db } from '@palisade/kit';
import { auditOutbox, cartLines, carts, erasedCustomers, orderItems, orders, type AddressValue } from '../db/schema.ts';

/** Paths of the internal routes the user subgraph calls for its customers' data rights. */
export const CUSTOMER_EXPORT_PATH = '/internal/data-rights/export';
export const CUSTOMER_ERASE_PATH = '/internal/data-rights/erase';

/**
 * What an erased customer's orders keep of their address: the country (tax law asks where goods went), nothing
 * that finds the person. The Address type's required lines hold a marker rather than going null.
 */
export const ERASED = '[erased]';
const anonymisedLines = { line1: ERASED, line2: null, city: ERASED, region: null, postalCode: ERASED };
const anonymised = (a: AddressValue): AddressValue => ({ ...anonymisedLines, country: a.country });

const customerOf = (payload: unknown): string => {
  const id = (payload as { userId?: unknown } | null)?.userId;
  if (!isUuid(id)) throw badInput('userId must be a UUID', 'userId');
  return id;
};

/** A customer's orders (newest first, at most `limit`, with their items) and cart; `capped` says there were more orders. */
export async function exportCustomer(db: Db, payload: unknown) {
  const customerId = customerOf(payload);
  // A whole number: a fraction would reach the LIMIT parameter and fail there as a database error.
  const limit = Math.min(Math.max(Math.trunc(Number((payload as { limit?: unknown }).limit)) || 100, 1), 1000);
  const rows = await db.select().from(orders).where(eq(orders.customerId, customerId)).orderBy(desc(orders.createdAt), desc(orders.id)).limit(limit + 1);
  const kept = rows.slice(0, limit);
  const items = kept.length ? await db.select().from(orderItems).where(inArray(orderItems.orderId, kept.map((o) => o.id))).orderBy(asc(orderItems.productName)) : [];
  const cart = await db.select({ productId: cartLines.productId, quantity: cartLines.quantity, addedAt: cartLines.addedAt }).from(cartLines).where(eq(cartLines.customerId, customerId)).orderBy(asc(cartLines.addedAt));
  return {
    orders: kept.map((o) => ({
      id: o.id,
      customerId: o.customerId,
      status: o.status,
      total: { cents: o.totalCents, currency: o.currency },
      shippingAddress: o.shippingAddress,
      createdAt: o.createdAt,
      updatedAt: o.updatedAt,
      items: items.filter((i) => i.orderId === o.id).map((i) => ({ productId: i.productId, productName: i.productName, quantity: i.quantity, unitPriceCents: i.unitPriceCents, currency: i.currency })),
    })),
    capped: rows.length > limit,
    cart: { lines: cart },
  };
}

/**
 * Erases a customer's personal data here: their orders' shipping addresses are anonymised (amounts, currency,
 * dates, status and items stay: the financial facts law requires) and their cart is deleted. Idempotent.
 */
export async function eraseCustomer(db: Db, payload: unknown) {
  const customerId = customerOf(payload);
  return db.transaction(async (tx) => {
    // The lock every write of their orders and carts takes (migration 0005): one under way commits before
    // this (and is erased below) or after it, finding them in erased_customers.
    await queryRows(tx, sql`select orders.erasure_lock(${customerId}::uuid)`);
    await tx.insert(erasedCustomers).values({ customerId }).onConflictDoNothing();
    const mine = await tx
      .select({ id: orders.id, shippingAddress: orders.shippingAddress })
      .from(orders)
      // Done means the whole address is the marker's, not its first line: a customer may type the marker there.
      .where(and(eq(orders.customerId, customerId), sql`${orders.shippingAddress} - 'country' is distinct from ${JSON.stringify(anonymisedLines)}::jsonb`))
      .for('update');
    for (const o of mine) await tx.update(orders).set({ shippingAddress: anonymised(o.shippingAddress) }).where(eq(orders.id, o.id));
    await tx.delete(carts).where(eq(carts.customerId, customerId)); // its lines go with it (on delete cascade)
    // Audit records kept here are copies of what the security subgraph erases, delivered or not: one not yet
    // sent would otherwise keep the address here for good once sent (delivered copies stay).
    await tx
      .update(auditOutbox)
      .set({ record: sql`${auditOutbox.record} || '{"ip":null,"userAgent":null,"metadata":null}'::jsonb` })
      .where(or(sql`${auditOutbox.record}->>'actorId' = ${customerId}`, sql`${auditOutbox.record}->>'resourceId' = ${customerId}`));
    return { erased: true, orders: mine.length };
  });
}
