import { sql } from 'drizzle-orm';
import { check, index, integer, jsonb, pgSchema, primaryKey, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { auditOutboxTable, eventOutboxTable } from '@palisade/kit';

export const ordersSchema = pgSchema('orders');

export interface AddressValue {
  line1: string;
  line2: string | null;
  city: string;
  region: string | null;
  postalCode: string;
  country: string;
}

export const orders = ordersSchema.table(
  'orders',
  {
    id: uuid('id').primaryKey(),
    customerId: uuid('customer_id').notNull(),
    status: text('status').notNull().default('PENDING'),
    totalCents: integer('total_cents').notNull(),
    currency: text('currency').notNull(),
    shippingAddress: jsonb('shipping_address').$type<AddressValue>().notNull(),
    idempotencyKey: text('idempotency_key'),
    // What the key was first used for; the same key with another payload is a conflict.
    requestHash: text('request_hash'),
    // Set in the transaction that cancels the order, cleared once the product subgraph has its stock back:
    // a cancellation made while the product subgraph is unreachable is restocked when it returns.
    restockDueAt: timestamp('restock_due_at', { withTimezone: true }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('orders_idempotency_key').on(t.customerId, t.idempotencyKey),
    index('orders_restock_due_idx').on(t.restockDueAt).where(sql`${t.restockDueAt} is not null`),
    index('orders_customer_idx').on(t.customerId, t.createdAt, t.id),
    index('orders_created_idx').on(t.createdAt, t.id),
    check('orders_status_known', sql`${t.status} in ('PENDING','CONFIRMED','SHIPPED','DELIVERED','CANCELLED')`),
  ],
);

export const orderItems = ordersSchema.table(
  'order_items',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    orderId: uuid('order_id').notNull().references(() => orders.id),
    productId: uuid('product_id').notNull(),
    productName: text('product_name').notNull(),
    quantity: integer('quantity').notNull(),
    unitPriceCents: integer('unit_price_cents').notNull(),
    currency: text('currency').notNull(),
  },
  (t) => [index('order_items_order_idx').on(t.orderId), check('order_items_quantity_positive', sql`${t.quantity} > 0`)],
);

/**
 * Each stock reservation this subgraph asked the product subgraph for and has not yet seen settled there
 * (services/stock-holds.ts): written before the reservation is asked for, marked placed in the transaction
 * that writes its order, deleted once product has confirmed or released it.
 */
export const stockHolds = ordersSchema.table(
  'stock_holds',
  {
    orderId: uuid('order_id').primaryKey(),
    state: text('state').notNull().default('open'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('stock_holds_created_idx').on(t.createdAt), check('stock_holds_state_known', sql`${t.state} in ('open','placed','abandoned')`)],
);

/**
 * A signed-in customer's cart: one row per customer, kept across sign-out and sign-in. `version` moves on
 * every change, so a checkout commits only the cart it priced (services/cart.service.ts).
 */
export const carts = ordersSchema.table('carts', {
  customerId: uuid('customer_id').primaryKey(),
  version: integer('version').notNull().default(0),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
});

/** What is in a cart: a product and how many, nothing else; names and prices are the catalog's, read when shown. */
export const cartLines = ordersSchema.table(
  'cart_lines',
  {
    customerId: uuid('customer_id').notNull().references(() => carts.customerId, { onDelete: 'cascade' }),
    productId: uuid('product_id').notNull(),
    quantity: integer('quantity').notNull(),
    addedAt: timestamp('added_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.customerId, t.productId] }), check('cart_lines_quantity_range', sql`${t.quantity} between 1 and 100`)],
);

/**
 * Customers whose data was erased (services/customer-data.ts). Triggers (migration 0005) keep them erased: an
 * order written for one after the erasure, by a request already under way, keeps only its country, and a cart
 * line is not written at all.
 */
export const erasedCustomers = ordersSchema.table('erased_customers', {
  customerId: uuid('customer_id').primaryKey(),
  erasedAt: timestamp('erased_at', { withTimezone: true }).notNull().defaultNow(),
});

export const auditOutbox = auditOutboxTable(ordersSchema);

/** Order events (placed, confirmed, ...), written with the transition and relayed to the orders stream. */
export const eventOutbox = eventOutboxTable(ordersSchema);

export type OrderRow = typeof orders.$inferSelect;
export type OrderItemRow = typeof orderItems.$inferSelect;
export type CartLineRow = typeof cartLines.$inferSelect;
