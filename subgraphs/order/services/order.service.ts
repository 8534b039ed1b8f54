import { createHash, randomUUID } from 'node:crypto';
import { and, asc, eq, isNotNull, lte, sql, type SQL } from 'drizzle-orm';
import { badInput, conflict, notFound, PublicError, ErrorCode, serviceUnavailable, stableStringify, type Caller } from '@palisade/auth';
import { every, keysetPage, keysetPageBy, loadByIds, ServiceCallError, type AuditWriter, type Connection, type Db, type Logger, type ServiceClient, type Tx } from '@palisade/kit';
import { orderItems, orders, type AddressValue, type OrderItemRow, type OrderRow } from '../db/schema.ts';
import * as v from './validation.ts';
import { orderTotalCents } from './money.ts';
import { ProductStock, type ReserveAnswer, type ReservedItem } from './product-stock.ts';
import { StockHolds } from './stock-holds.ts';
import { writeOrderEvent } from './order-events.ts';

/** A customer's orders, newest first: every storefront request reads this page (statements prepared once). */
const customerPage = keysetPageBy(orders, orders.customerId, 'desc');

export type OrderStatus = 'PENDING' | 'CONFIRMED' | 'SHIPPED' | 'DELIVERED' | 'CANCELLED';
const TRANSITIONS: Record<OrderStatus, OrderStatus[]> = {
  PENDING: ['CONFIRMED', 'CANCELLED'],
  CONFIRMED: ['SHIPPED', 'CANCELLED'],
  SHIPPED: ['DELIVERED'],
  DELIVERED: [],
  CANCELLED: [],
};

/** What happened to an order, as the KPIs count it: its placing, then each status it moved to. */
export type OrderEvent = 'placed' | 'confirmed' | 'shipped' | 'delivered' | 'cancelled';
const EVENT_OF: Record<OrderStatus, OrderEvent | null> = { PENDING: null, CONFIRMED: 'confirmed', SHIPPED: 'shipped', DELIVERED: 'delivered', CANCELLED: 'cancelled' };

/** What a checkout adds to placing an order (cart.service.ts). */
export interface PlaceHooks {
  /** Ties the idempotency key to this instead of the lines and address. */
  requestHash?: string;
  /** Runs in the transaction that writes the order: a throw rolls the order back and releases its stock. */
  inTransaction?: (tx: Tx, order: OrderRow, reserved: ReservedItem[]) => Promise<void>;
}

export interface OrderDeps {
  db: Db;
  audit: AuditWriter;
  /** Signed calls to the product subgraph's stock routes. */
  peers: ServiceClient;
  log: Logger;
  /** Told once the change is committed (never for one rolled back, nor for an idempotent replay). */
  onOrder?: (event: OrderEvent, order: OrderRow) => void;
}

export class OrderService {
  private readonly stock: ProductStock;
  private readonly holds: StockHolds;
  private itemsOf: { execute(values: { ids: string[] }): Promise<unknown[]> } | undefined;

  constructor(private readonly d: OrderDeps) {
    this.stock = new ProductStock({ peers: d.peers, log: d.log });
    this.holds = new StockHolds({ db: d.db, stock: this.stock, log: d.log });
  }

  async place(caller: Caller, input: { items: v.OrderLine[]; shippingAddress: Partial<AddressValue>; idempotencyKey?: string | null }, hooks: PlaceHooks = {}): Promise<OrderRow> {
    // The schema admits only signed-in callers (order:place); an order without a customer is a wiring bug.
    if (!caller.userId) throw new Error('placeOrder reached without a signed-in caller');
    const lines = v.orderLines(input.items);
    const shippingAddress = v.address(input.shippingAddress);
    const key = v.idempotencyKey(input.idempotencyKey);
    const requestHash = hooks.requestHash ?? createHash('sha256').update(stableStringify({ lines, shippingAddress })).digest('base64url');
    if (key) {
      const existing = await this.byIdempotencyKey(caller.userId, key);
      if (existing) return this.replay(existing, requestHash);
    }
    const orderId = randomUUID();
    // Before the reservation exists, so that none of ours is ever unknown to us (stock-holds.ts).
    await this.holds.open(orderId);
    let answer: ReserveAnswer;
    try {
      answer = await this.stock.reserve(caller, orderId, lines);
    } catch (err) {
      // The reservation may have landed before the failure; releasing an unknown one is a no-op.
      await this.holds.abandon(caller, orderId);
      if (err instanceof ServiceCallError && err.status === 400) throw badInput('The order could not be reserved');
      // Product down, slow or its circuit open: nothing was ordered, and the client may simply retry.
      if (err instanceof ServiceCallError) throw serviceUnavailable('The catalog could not reserve the items right now; nothing was ordered, retry shortly');
      throw err;
    }
    if (!answer.ok) {
      // Refused whole: product reserved nothing, so there is nothing to give back.
      await this.holds.done(orderId);
      const code = answer.code === 'OUT_OF_STOCK' ? ErrorCode.OUT_OF_STOCK : answer.code === 'NOT_FOUND' ? ErrorCode.NOT_FOUND : ErrorCode.BAD_USER_INPUT;
      throw new PublicError(code, answer.message, answer.productId ? { field: 'items.productId' } : {});
    }
    const currencies = new Set(answer.items.map((i) => i.currency));
    if (currencies.size !== 1) {
      await this.holds.abandon(caller, orderId);
      throw badInput('All items in one order must share a currency', 'items');
    }
    let totalCents: number;
    try {
      totalCents = orderTotalCents(answer.items);
    } catch (err) {
      await this.holds.abandon(caller, orderId);
      throw err;
    }
    try {
      const placed = await this.d.db.transaction(async (tx) => {
        // Throws when lost to the settle job (this placement took too long): its stock is going back, so no order.
        const order = await this.holds.placeOrder(tx, { id: orderId, customerId: caller.userId!, totalCents, currency: [...currencies][0]!, shippingAddress, idempotencyKey: key, requestHash });
        await tx.insert(orderItems).values(answer.items.map((i) => ({ orderId, productId: i.productId, productName: i.name, quantity: i.quantity, unitPriceCents: i.unitPriceCents, currency: i.currency })));
        await this.d.audit(tx, caller, { action: 'order.placed', outcome: 'SUCCESS', resourceType: 'Order', resourceId: orderId, metadata: { totalCents, items: lines.length } });
        await writeOrderEvent(tx, 'placed', order, null);
        await hooks.inTransaction?.(tx, order, answer.items);
        return order;
      });
      this.d.onOrder?.('placed', placed);
      // Best effort: a confirmation lost here is made by the settle job, from the hold left placed.
      if (await this.stock.confirm(caller, orderId)) this.holds.confirmed(orderId);
      return placed;
    } catch (err) {
      await this.holds.abandon(caller, orderId);
      // A concurrent retry with the same key won the race: answer with its order.
      if (key) {
        const existing = await this.byIdempotencyKey(caller.userId, key);
        if (existing) return this.replay(existing, requestHash);
      }
      throw err;
    }
  }

  /** The order a key already placed, if any (CONFLICT when it was placed for something else). */
  async replayByKey(customerId: string, key: string, requestHash: string): Promise<OrderRow | undefined> {
    const existing = await this.byIdempotencyKey(customerId, key);
    return existing && this.replay(existing, requestHash);
  }

  private replay(existing: OrderRow, requestHash: string): OrderRow {
    if (existing.requestHash !== requestHash) throw conflict('idempotencyKey was already used for a different order');
    return existing;
  }

  private async byIdempotencyKey(customerId: string, key: string): Promise<OrderRow | undefined> {
    const [row] = await this.d.db.select().from(orders).where(and(eq(orders.customerId, customerId), eq(orders.idempotencyKey, key)));
    return row;
  }

  /** Gives a cancelled order's stock back; until that succeeds, restock_due_at keeps it on the retry list. */
  private async restock(caller: Caller | null, orderId: string): Promise<boolean> {
    if (!(await this.stock.release(caller, orderId))) return false;
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

  /** Confirms or releases, with the product subgraph, every reservation older than this (stock-holds.ts). */
  settleReservations(olderThanSeconds: number) {
    return this.holds.settle(olderThanSeconds);
  }

  startReservationSettling(intervalMs: number, olderThanSeconds: number) {
    return this.holds.startSettling(intervalMs, olderThanSeconds);
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
    const changed = await this.d.db.transaction(async (tx) => {
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
      if (EVENT_OF[to]) await writeOrderEvent(tx, EVENT_OF[to], updated, from);
      return updated;
    });
    const event = EVENT_OF[to];
    if (event) this.d.onOrder?.(event, changed);
    return changed;
  }

  byIds(ids: readonly string[]): Promise<(OrderRow | null)[]> {
    return loadByIds(this.d.db, orders, ids);
  }

  async itemsFor(orderIds: readonly string[]): Promise<OrderItemRow[][]> {
    // Every storefront request reads its orders' items: the statement is built once, the ids are one array.
    this.itemsOf ??= this.d.db
      .select()
      .from(orderItems)
      .where(sql`${orderItems.orderId} = any(${sql.placeholder('ids')}::uuid[])`)
      .orderBy(asc(orderItems.productName))
      .prepare('order_items_of');
    const rows = orderIds.length ? ((await this.itemsOf.execute({ ids: [...orderIds] })) as OrderItemRow[]) : [];
    return orderIds.map((id) => rows.filter((r) => r.orderId === id));
  }

  /** `count: false` when the operation does not ask for totalCount (kit's asksTotalCount): one statement fewer. */
  async list(filter: { status?: OrderStatus | null; customerId?: string | null } | null | undefined, first?: number | null, after?: string | null, count = true): Promise<Connection<OrderRow>> {
    const where: SQL[] = [];
    if (filter?.status) where.push(eq(orders.status, filter.status));
    if (filter?.customerId) {
      if (!v.isUuid(filter.customerId)) throw badInput('customerId is not a valid id', 'customerId');
      where.push(eq(orders.customerId, filter.customerId));
    }
    return this.page(where, first, after, count);
  }

  forCustomer(customerId: string, first?: number | null, after?: string | null, count = true): Promise<Connection<OrderRow>> {
    return customerPage(this.d.db, customerId, { first, after, count });
  }

  /** Newest first. */
  private page(where: SQL[], first: number | null | undefined, after: string | null | undefined, count: boolean): Promise<Connection<OrderRow>> {
    return keysetPage(this.d.db, orders, { where: where.length ? and(...where) : undefined, first, after, direction: 'desc', count });
  }
}
