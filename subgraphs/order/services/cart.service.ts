import { createHash } from 'node:crypto';
import { and, asc, eq, sql } from 'drizzle-orm';
import { badInput, conflict, notFound, PublicError, ErrorCode, stableStringify, type Caller } from '@palisade/auth';
import type { AuditWriter, Db, Tx } from '@palisade/kit';
import { cartLines, carts, type OrderRow } from '../db/schema.ts';
import { priceCart, PROBLEM_TEXT, type CartView } from './cart-view.ts';
import type { OrderService } from './order.service.ts';
import type { ProductStock, Quote } from './product-stock.ts';
import * as v from './validation.ts';

export const MAX_CART_LINES = 50;
export const MAX_LINE_QUANTITY = 100;

export interface CartDeps {
  db: Db;
  audit: AuditWriter;
  stock: ProductStock;
  orders: OrderService;
  shopCurrency: string;
}

type Line = { productId: string; quantity: number };

function productIdOf(id: string): string {
  if (!v.isUuid(id)) throw badInput('productId is not a valid id', 'productId');
  return id;
}
function quantityOf(q: number, min: number): number {
  if (!Number.isInteger(q) || q < min || q > MAX_LINE_QUANTITY) throw badInput(`quantity must be ${min} to ${MAX_LINE_QUANTITY}`, 'quantity');
  return q;
}

/**
 * The products a change to this line must quote. A full cart's new product is left out: the catalog quotes at
 * most MAX_CART_LINES ids a call (a 51st is a malformed request, a 500), and check() refuses it as one too many.
 */
function quotedIds(lines: readonly Line[], productId: string): string[] {
  const ids = lines.map((l) => l.productId);
  return ids.includes(productId) || ids.length >= MAX_CART_LINES ? ids : [...ids, productId];
}

/**
 * A signed-in customer's cart. It keeps only products and quantities: names, prices and stock are the
 * catalog's, asked for (one call per cart) whenever the cart is shown or changed, so a cart never shows a
 * stale price and checkout charges what the catalog says at that moment. Every change takes the cart row's
 * lock and moves its version, so concurrent changes queue and a checkout commits only the cart it priced.
 */
export class CartService {
  constructor(private readonly d: CartDeps) {}

  private customer(caller: Caller): string {
    // The schema admits only signed-in callers here; a cart without a customer is a wiring bug.
    if (!caller.userId) throw new Error('cart reached without a signed-in caller');
    return caller.userId;
  }

  private async load(db: Db | Tx, customerId: string) {
    const [cart] = await db.select().from(carts).where(eq(carts.customerId, customerId));
    const lines = cart ? await db.select({ productId: cartLines.productId, quantity: cartLines.quantity }).from(cartLines).where(eq(cartLines.customerId, customerId)).orderBy(asc(cartLines.addedAt), asc(cartLines.productId)) : [];
    // A cart never changed is, as of now, empty.
    return { lines, version: cart?.version ?? 0, updatedAt: cart?.updatedAt ?? new Date() };
  }

  private price(lines: Line[], quotes: Map<string, Quote>, meta: { version: number; updatedAt: Date }): CartView {
    return priceCart(lines, quotes, { ...meta, shopCurrency: this.d.shopCurrency });
  }

  async view(caller: Caller): Promise<CartView> {
    const cart = await this.load(this.d.db, this.customer(caller));
    return this.price(cart.lines, await this.d.stock.quote(caller, cart.lines.map((l) => l.productId)), cart);
  }

  addToCart(caller: Caller, productId: string, quantity: number): Promise<CartView> {
    const id = productIdOf(productId);
    const add = quantityOf(quantity, 1);
    return this.change(caller, id, (current) => {
      if (current + add > MAX_LINE_QUANTITY) throw badInput(`a cart holds at most ${MAX_LINE_QUANTITY} of one product`, 'quantity');
      return current + add;
    });
  }

  /** 0 removes the line. */
  setQuantity(caller: Caller, productId: string, quantity: number): Promise<CartView> {
    const id = productIdOf(productId);
    const to = quantityOf(quantity, 0);
    return this.change(caller, id, () => to);
  }

  async clear(caller: Caller): Promise<CartView> {
    const customerId = this.customer(caller);
    const meta = await this.d.db.transaction(async (tx) => {
      const bumped = await this.bump(tx, customerId);
      await tx.delete(cartLines).where(eq(cartLines.customerId, customerId));
      return bumped;
    });
    return this.price([], new Map(), meta);
  }

  /** Locks the cart row (creating it the first time) and moves its version: changes to one cart queue here. */
  private async bump(tx: Tx, customerId: string) {
    const [row] = await tx
      .insert(carts)
      .values({ customerId, version: 1 })
      .onConflictDoUpdate({ target: carts.customerId, set: { version: sql`${carts.version} + 1`, updatedAt: sql`now()` } })
      .returning();
    return { version: row!.version, updatedAt: row!.updatedAt };
  }

  /**
   * One line's change, checked against the catalog: the product must be sold, in the cart's currency, with
   * the stock asked for available now. Lines the change does not touch keep their problems, shown not dropped.
   */
  private async change(caller: Caller, productId: string, next: (current: number) => number): Promise<CartView> {
    const customerId = this.customer(caller);
    const before = await this.load(this.d.db, customerId);
    let quotes = await this.d.stock.quote(caller, quotedIds(before.lines, productId));
    return this.d.db.transaction(async (tx) => {
      const meta = await this.bump(tx, customerId);
      const { lines } = await this.load(tx, customerId);
      // A line added by a concurrent change since the quote: ask again, under the lock.
      if (lines.some((l) => !quotes.has(l.productId))) quotes = await this.d.stock.quote(caller, quotedIds(lines, productId));
      const current = lines.find((l) => l.productId === productId)?.quantity ?? 0;
      const quantity = next(current);
      let after: Line[];
      if (quantity === 0) {
        await tx.delete(cartLines).where(and(eq(cartLines.customerId, customerId), eq(cartLines.productId, productId)));
        after = lines.filter((l) => l.productId !== productId);
      } else {
        this.check(productId, quantity, current === 0 ? lines.length : lines.length - 1, quotes, priceCart(lines, quotes, { ...meta, shopCurrency: this.d.shopCurrency }).currency, lines.length > 0);
        await tx
          .insert(cartLines)
          .values({ customerId, productId, quantity })
          .onConflictDoUpdate({ target: [cartLines.customerId, cartLines.productId], set: { quantity } });
        after = current === 0 ? [...lines, { productId, quantity }] : lines.map((l) => (l.productId === productId ? { productId, quantity } : l));
      }
      return this.price(after, quotes, meta);
    });
  }

  private check(productId: string, quantity: number, otherLines: number, quotes: Map<string, Quote>, cartCurrency: string, cartHasLines: boolean) {
    if (otherLines >= MAX_CART_LINES) throw badInput(`a cart holds at most ${MAX_CART_LINES} products`, 'productId');
    const q = quotes.get(productId);
    // Unknown and archived look alike: the catalog's unsold products are not revealed through the cart.
    if (!q || !q.active) throw notFound('Product not found');
    if (cartHasLines && q.currency !== cartCurrency) throw badInput(`This product is priced in ${q.currency}; this cart is in ${cartCurrency}`, 'productId');
    if (q.available < quantity) throw new PublicError(ErrorCode.OUT_OF_STOCK, q.available > 0 ? `Only ${q.available} of ${q.name} available` : `${q.name} is out of stock`, { field: 'quantity' });
  }

  /**
   * The cart becomes an order through placeOrder's own path (reservation, holds, idempotency). The order's
   * transaction empties the cart only if it is still the version priced here: a second checkout of the same
   * cart, or a change made meanwhile, finds the version moved and places nothing (its stock goes back).
   */
  async checkout(caller: Caller, input: { shippingAddress: Parameters<typeof v.address>[0]; idempotencyKey: string }): Promise<OrderRow> {
    const customerId = this.customer(caller);
    const key = v.idempotencyKey(input.idempotencyKey);
    if (!key) throw badInput('idempotencyKey is required', 'idempotencyKey');
    const shippingAddress = v.address(input.shippingAddress);
    // A retry with the key is the same checkout whatever the cart holds by then; the address must agree.
    const requestHash = createHash('sha256').update(stableStringify({ checkout: true, shippingAddress })).digest('base64url');
    const replayed = await this.d.orders.replayByKey(customerId, key, requestHash);
    if (replayed) return replayed;
    const cart = await this.load(this.d.db, customerId);
    if (!cart.lines.length) throw badInput('The cart is empty', 'cart');
    const priced = this.price(cart.lines, await this.d.stock.quote(caller, cart.lines.map((l) => l.productId)), cart);
    const blocked = priced.lines.find((l) => l.problem);
    if (blocked) {
      const text = `${blocked.name ?? 'A product'}: ${PROBLEM_TEXT[blocked.problem!](blocked)}`;
      throw blocked.problem === 'out_of_stock' || blocked.problem === 'short' ? new PublicError(ErrorCode.OUT_OF_STOCK, text, { field: 'cart' }) : badInput(text, 'cart');
    }
    // A price is its amount and its currency: 2.00 USD shown is not 2.00 EUR charged.
    const shown = new Map(priced.lines.map((l) => [l.productId, `${l.unitPriceCents} ${l.currency}`]));
    return this.d.orders.place(caller, { items: cart.lines, shippingAddress, idempotencyKey: key }, {
      requestHash,
      inTransaction: async (tx, order, reserved) => {
        // The price reserved is the one checked a moment ago; a change in between is the customer's to see first.
        if (reserved.some((r) => shown.get(r.productId) !== `${r.unitPriceCents} ${r.currency}`)) throw conflict('A price in the cart changed during checkout; review the cart and try again');
        const [moved] = await tx
          .update(carts)
          .set({ version: sql`${carts.version} + 1`, updatedAt: sql`now()` })
          .where(and(eq(carts.customerId, customerId), eq(carts.version, cart.version)))
          .returning({ version: carts.version });
        if (!moved) throw conflict('The cart changed during checkout; review it and try again');
        await tx.delete(cartLines).where(eq(cartLines.customerId, customerId));
        await this.d.audit(tx, caller, { action: 'cart.checked_out', outcome: 'SUCCESS', resourceType: 'Order', resourceId: order.id, metadata: { lines: cart.lines.length, totalCents: order.totalCents } });
      },
    });
  }
}
