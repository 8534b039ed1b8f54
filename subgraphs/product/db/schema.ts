import { sql } from 'drizzle-orm';
import { boolean, check, foreignKey, index, integer, jsonb, pgSchema, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { auditOutboxTable, eventOutboxTable } from '@palisade/kit';

export const productsSchema = pgSchema('products');

export const categories = productsSchema.table(
  'categories',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    name: text('name').notNull(),
    slug: text('slug').notNull(),
    parentId: uuid('parent_id'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex('categories_slug_key').on(t.slug), foreignKey({ columns: [t.parentId], foreignColumns: [t.id] })],
);

export interface ProductAttribute {
  name: string;
  value: string;
}

export const products = productsSchema.table(
  'products',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    sku: text('sku').notNull(),
    name: text('name').notNull(),
    description: text('description').notNull(),
    // Money in minor units: integers add up exactly, floats do not.
    priceCents: integer('price_cents').notNull(),
    currency: text('currency').notNull(),
    categoryId: uuid('category_id').references(() => categories.id),
    stock: integer('stock').notNull().default(0),
    // Available stock at or below this is low: crossing down to it sends managers one alert (product.low_stock).
    reorderPoint: integer('reorder_point').notNull().default(5),
    active: boolean('active').notNull().default(true),
    brand: text('brand'),
    attributes: jsonb('attributes').$type<ProductAttribute[]>().notNull().default([]),
    imageUrls: text('image_urls').array().notNull().default(sql`'{}'::text[]`),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('products_sku_key').on(t.sku),
    index('products_created_idx').on(t.createdAt, t.id),
    // The keysets of the PRICE and NAME sorts (services/product-sort.ts).
    index('products_price_idx').on(t.priceCents, t.id),
    index('products_name_idx').on(sql`lower(${t.name}) collate "C"`, t.id),
    check('products_stock_nonnegative', sql`${t.stock} >= 0`),
    check('products_price_positive', sql`${t.priceCents} > 0`),
  ],
);

/**
 * One row per order's reservation, so a retried reserve or release moves stock once. A reservation stays
 * pending until the order subgraph confirms it; one left pending past its expiry is settled by asking the
 * order subgraph whether the order exists (released if not).
 */
export const stockReservations = productsSchema.table(
  'stock_reservations',
  {
    orderRef: text('order_ref').primaryKey(),
    items: jsonb('items').$type<{ productId: string; quantity: number; name: string; unitPriceCents: number; currency: string }[]>().notNull(),
    status: text('status').notNull().default('pending'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull().defaultNow(),
    releasedAt: timestamp('released_at', { withTimezone: true }),
  },
  (t) => [index('stock_reservations_pending_idx').on(t.expiresAt).where(sql`${t.status} = 'pending'`)],
);

/** Every change to stock and why: an order, a cancellation, or a manager's count. */
export const stockMovements = productsSchema.table(
  'stock_movements',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    productId: uuid('product_id').notNull().references(() => products.id),
    delta: integer('delta').notNull(),
    /** initial, adjustment, reservation, release or confirmation (STOCK_MOVEMENT_KINDS). */
    kind: text('kind').notNull().default('adjustment'),
    reason: text('reason').notNull(),
    /** The product's stock once this movement was made; null on movements recorded before it was kept. */
    stockAfter: integer('stock_after'),
    orderRef: text('order_ref'),
    actorId: uuid('actor_id'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('stock_movements_product_idx').on(t.productId, t.createdAt)],
);

export const auditOutbox = auditOutboxTable(productsSchema);

/** Catalog events (product.low_stock), written with the stock change and relayed to the catalog stream. */
export const eventOutbox = eventOutboxTable(productsSchema);

export type ProductRow = typeof products.$inferSelect;
export type CategoryRow = typeof categories.$inferSelect;
export type StockMovementRow = typeof stockMovements.$inferSelect;
