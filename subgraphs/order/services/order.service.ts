import { createHash, randomUUID } from 'node:crypto';
import { and, asc, count, eq, inArray, isNotNull, lte, type SQL } from 'drizzle-orm';
import { badInput, conflict, notFound, PublicError, ErrorCode, stableStringify, type Caller } from '@palisade/auth';
import { decodeCursor, KEYSET_CURSOR, every, keysetAfter, keysetOrder, pageSize, postSigned, ServiceCallError, toConnection, type AuditWriter, type Connection, type Db, type InternalKeys, type Logger } from '@palisade/kit';
import { orderItems, orders, type AddressValue, type OrderItemRow, type OrderRow } from '../db/schema.ts';
import * as v from './validation.ts';
import { orderTotalCents } from './money.ts';

export type OrderStatus = 'PENDING' | 'CONFIRMED' | 'SHIPPED' | 'DELIVERED' | 'CANCELLED';
const TRANSITIONS: Record<OrderStatus, OrderStatus[]> = {
  PENDING: ['CONFIRMED', 'CANCELLED'],
  CONFIRMED: ['SHIPPED', 'CANCELLED'],
  SHIPPED: ['DELIVERED'],
  DELIVERED: [],
  CANCELLED: [],
};

type ReserveAnswer =
  | { ok: true; items: { productId: string; name: string; quantity: number; unitPriceCents: number; currency: string }[] }
  | { ok: false; code: string; productId?: string; message: string };

export interface OrderDeps {
  db: Db;
  audit: AuditWriter;
  keys: InternalKeys;
  productBase: () => string;
  log: Logger;
}

export class OrderService {
  constructor(private readonly d: OrderDeps) {}

  private stock<T>(caller: Caller | null, path: string, payload: unknown): Promise<T> {
    return postSigned<T>(this.d.keys.signer, 'product', `${this.d.productBase()}${path}`, payload, { caller, timeoutMs: 5_000 });
  }

  async place(caller: Caller, input: { items: v.OrderLine[]; shippingAddress: Partial<AddressValue>; idempotencyKey?: string | null }): Promise<OrderRow> {
    // The schema admits only signed-in callers (order:place); an order without a customer is a wiring bug.
    if (!caller.userId) throw new Error('placeOrder reached without a signed-in caller');
    const lines = v.orderLines(input.items);
    const shippingAddress = v.address(input.shippingAddress);
    const key = v.idempotencyKey(input.idempotencyKey);
    const requestHash = createHash('sha256').update(stableStringify({ lines, shippingAddress })).digest('base64url');
    if (key) {
      const existing = await this.byIdempotencyKey(caller.userId, key);
      if (existing) return this.replay(existing, requestHash);
    }
    const orderId = randomUUID();
    let answer: ReserveAnswer;
    try {
      answer = await this.stock<ReserveAnswer>(caller, '/internal/stock/reserve', { orderRef: orderId, items: lines });
    } catch (err) {
      // The reservation may have landed before the failure; releasing an unknown one is a no-op.
      await this.release(caller, orderId);
      if (err instanceof ServiceCallError && err.status === 400) throw badInput('The order could not be reserved');
      throw err;
    }
    if (!answer.ok) {
      const code = answer.code === 'OUT_OF_STOCK' ? ErrorCode.OUT_OF_STOCK : answer.code === 'NOT_FOUND' ? ErrorCode.NOT_FOUND : ErrorCode.BAD_USER_INPUT;
      throw new PublicError(code, answer.message, answer.productId ? { field: 'items.productId' } : {});
    }
    const currencies = new Set(answer.items.map((i) => i.currency));
    if (currencies.size !== 1) {
      await this.release(caller, orderId);
      throw badInput('All items in one order must share a currency', 'items');
    }
    let totalCents: number;
    try {
      totalCents = orderTotalCents(answer.items);
    } catch (err) {
      await this.release(caller, orderId);
      throw err;
    }
    try {
      const placed = await this.d.db.transaction(async (tx) => {
        const [order] = await tx
          .insert(orders)
          .values({ id: orderId, customerId: caller.userId!, totalCents, currency: [...currencies][0]!, shippingAddress, idempotencyKey: key, requestHash })
          .returning();
        await tx.insert(orderItems).values(answer.items.map((i) => ({ orderId, productId: i.productId, productName: i.name, quantity: i.quantity, unitPriceCents: i.unitPriceCents, currency: i.currency })));
        await this.d.audit(tx, caller, { action: 'order.placed', outcome: 'SUCCESS', resourceType: 'Order', resourceId: orderId, metadata: { totalCents, items: lines.length } });
        return order!;
      });
      // Best effort: an unconfirmed reservation is settled later by asking us whether the order exists.
      await this.stock(caller, '/internal/stock/confirm', { orderRef: orderId }).catch(() => {});
      return placed;
    } catch (err) {
      await this.release(caller, orderId);
      // A concurrent retry with the same key won the race: answer with its order.
      if (key) {
        const existing = await this.byIdempotencyKey(caller.userId, key);
        if (existing) return this.replay(existing, requestHash);
      }
      throw err;
    }
  }

  private replay(existing: OrderRow, requestHash: string): OrderRow {
    if (existing.requestHash !== requestHash) throw conflict('idempotencyKey was already used for a different order');
    return existing;
  }

  private async byIdempotencyKey(customerId: string, key: string): Promise<OrderRow | undefined> {
    const [row] = await this.d.db.select().from(orders).where(and(eq(orders.customerId, customerId), eq(orders.idempotencyKey, key)));
    return row;
  }

  /** True once the product subgraph holds no stock for the order (released now, or never/already). */
  private async release(caller: Caller | null, orderId: string): Promise<boolean> {
    try {
      await this.stock(caller, '/internal/stock/release', { orderRef: orderId });
      return true;
    } catch (err) {
      this.d.log.warn({ orderId, err: (err as Error).message }, 'could not release stock reservation');
      return false;
    }
  }

  /** Gives a cancelled order's stock back; until that succeeds, restock_due_at keeps it on the retry list. */
  private async restock(caller: Caller | null, orderId: string): Promise<boolean> {
    if (!(await this.release(caller, orderId))) return false;
    await this.d.db.update(orders).set({ restockDueAt: null }).where(eq(orders.id, orderId));
    return true;
  }

  /** Retries restocks that failed when their order was cancelled; releases are idempotent, so overlap is harmless. */
  async retryRestocks(olderThanMs: number): Promise<{ restocked: number; pending: number }> {
    const due = await this.d.db
      .select({ id: orders.id })
      .from(orders)
      .where(and(isNotNull(orders.restockDueAt), lte(orders.restockDueAt, new Date(Date.now() - olderThanMs))))
      .limit(100);
    let restocked = 0;
    for (const { id } of due) restocked += Number(await this.restock(null, id));
    return { restocked, pending: due.length - restocked };
  }

  startRestockRetries(intervalMs: number) {
    return every(intervalMs, this.d.log, {
      run: () => this.retryRestocks(intervalMs),
      worthTelling: (r) => r.restocked + r.pending > 0,
      done: 'retried restocks of cancelled orders',
      failed: 'could not retry restocks; will try again',
    });
  }

  /** Who may cancel is the schema's `cancelOrder` policy, decided before this runs; here only what state allows. */
  async cancel(caller: Caller, id: string): Promise<OrderRow> {
    const updated = await this.transition(caller, id, 'CANCELLED', 'order.cancelled');
    await this.restock(caller, updated.id);
    return updated;
  }

  updateStatus(caller: Caller, id: string, status: OrderStatus): Promise<OrderRow> {
    return this.transition(caller, v.isUuid(id) ? id : '', status, status === 'CANCELLED' ? 'order.cancelled' : 'order.status_changed').then(async (o) => {
      if (status === 'CANCELLED') await this.restock(caller, o.id);
      return o;
    });
  }

  /** A legal move from the status it has now; the WHERE re-checks it, so a concurrent change loses cleanly. */
  private async transition(caller: Caller, id: string, to: OrderStatus, action: string): Promise<OrderRow> {
    if (!v.isUuid(id)) throw notFound('Order not found');
    return this.d.db.transaction(async (tx) => {
      const [current] = await tx.select().from(orders).where(eq(orders.id, id));
      if (!current) throw notFound('Order not found');
      const from = current.status as OrderStatus;
      if (!TRANSITIONS[from].includes(to)) throw badInput(`An order cannot go from ${from} to ${to}`, 'status');
      const now = new Date();
      const [updated] = await tx
        .update(orders)
        .set({ status: to, updatedAt: now, ...(to === 'CANCELLED' ? { restockDueAt: now } : {}) })
        .where(and(eq(orders.id, id), eq(orders.status, from)))
        .returning();
      if (!updated) throw badInput(`The order changed while this was decided; it is no longer ${from}`, 'status');
      await this.d.audit(tx, caller, { action, outcome: 'SUCCESS', resourceType: 'Order', resourceId: id, metadata: { from, to } });
      return updated;
    });
  }

  async byIds(ids: readonly string[]): Promise<(OrderRow | null)[]> {
    const valid = ids.filter(v.isUuid);
    const rows = valid.length ? await this.d.db.select().from(orders).where(inArray(orders.id, valid)) : [];
    const byId = new Map(rows.map((r) => [r.id, r]));
    return ids.map((id) => byId.get(id) ?? null);
  }

  async itemsFor(orderIds: readonly string[]): Promise<OrderItemRow[][]> {
    const rows = orderIds.length ? await this.d.db.select().from(orderItems).where(inArray(orderItems.orderId, [...orderIds])).orderBy(asc(orderItems.productName)) : [];
    return orderIds.map((id) => rows.filter((r) => r.orderId === id));
  }

  async list(filter: { status?: OrderStatus | null; customerId?: string | null } | null | undefined, first?: number | null, after?: string | null): Promise<Connection<OrderRow>> {
    const where: SQL[] = [];
    if (filter?.status) where.push(eq(orders.status, filter.status));
    if (filter?.customerId) {
      if (!v.isUuid(filter.customerId)) throw badInput('customerId is not a valid id', 'customerId');
      where.push(eq(orders.customerId, filter.customerId));
    }
    return this.page(where, first, after);
  }

  forCustomer(customerId: string, first?: number | null, after?: string | null): Promise<Connection<OrderRow>> {
    return this.page([eq(orders.customerId, customerId)], first, after);
  }

  private async page(where: SQL[], first?: number | null, after?: string | null): Promise<Connection<OrderRow>> {
    const size = pageSize(first);
    const cursor = decodeCursor(after, KEYSET_CURSOR);
    const base = where.length ? and(...where) : undefined;
    // Newest first, keyset-paginated.
    const paged = cursor ? and(base, keysetAfter(orders.createdAt, orders.id, cursor, 'desc')) : base;
    const [rows, [total]] = await Promise.all([
      this.d.db.select().from(orders).where(paged).orderBy(...keysetOrder(orders.createdAt, orders.id, 'desc')).limit(size + 1),
      this.d.db.select({ n: count() }).from(orders).where(base),
    ]);
    return toConnection(rows, size, total?.n ?? 0, (o) => [o.createdAt.toISOString(), o.id]);
  }
}
