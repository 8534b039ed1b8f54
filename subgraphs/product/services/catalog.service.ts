import { and, asc, count as countRows, eq, gte, lte, sql } from 'drizzle-orm';
import { badInput, conflict, notFound, PublicError, ErrorCode, type Caller } from '@palisade/auth';
import { keysetPage, loadByIds, decodeCursor, POSITION_CURSOR, MAX_INT4, keysetOrder, pageSize, toConnection, type AuditWriter, type Connection, type Db } from '@palisade/kit';
import { categories, products, type CategoryRow, type ProductRow, type StockMovementRow } from '../db/schema.ts';
import { productFacets, type ProductFacets } from './facets.ts';
import { parseFilter, whereOf, type ParsedFilter, type ProductFilter } from './product-filter.ts';
import * as details from './product-details.ts';
import { sortedPage, type ProductSort } from './product-sort.ts';
import { stockMovementsOf } from './stock-ledger.ts';
import { parseCurrency, parsePrice } from './money.ts';
import * as v from './validation.ts';
import { recordMovements } from './stock.service.ts';
import { noteLowStock } from './low-stock.ts';

export type { ProductFilter } from './product-filter.ts';

/** A page of products that remembers its filter, for the facets a client may ask of it. */
export type ProductPage = Connection<ProductRow> & { filter: ParsedFilter };

type ProductDetailsInput = { brand?: string | null; attributes?: readonly { name: string; value: string }[] | null; imageUrls?: readonly string[] | null };

export class CatalogService {
  /** onStockOut: told, once committed, that an adjustment left a product with no stock (as StockService does). */
  constructor(private readonly d: { db: Db; audit: AuditWriter; onStockOut?: (productId: string) => void }) {}

  productsByIds(ids: readonly string[]): Promise<(ProductRow | null)[]> {
    return loadByIds(this.d.db, products, ids);
  }

  categoriesByIds(ids: readonly string[]): Promise<(CategoryRow | null)[]> {
    return loadByIds(this.d.db, categories, ids);
  }

  /** Who may set includeInactive is decided by its @requiresScopesToSet annotation, before this runs. */
  async product(id: string, includeInactive?: boolean | null): Promise<ProductRow | null> {
    if (!v.isUuid(id)) return null;
    const [row] = await this.productsByIds([id]);
    return row && (row.active || includeInactive) ? row : null;
  }

  /**
   * Browsing pages by keyset over (created_at, id) unless sorted (product-sort.ts: keyset over the sort's key
   * and id). Searching ranks by relevance (name above description) and pages by position unless sorted, with
   * the same opaque cursor shape to the client.
   */
  async list(caller: Caller, filter: ProductFilter | null | undefined, first?: number | null, after?: string | null, sort?: ProductSort | null): Promise<ProductPage> {
    const size = pageSize(first);
    const parsed = parseFilter(filter);
    const base = whereOf(parsed);
    const query = parsed.query;
    if (sort) return { ...(await sortedPage(this.d.db, base, sort, first, after)), filter: parsed };
    if (!query) return { ...(await keysetPage(this.d.db, products, { where: base, first, after, direction: 'asc' })), filter: parsed };
    const [total] = await this.d.db.select({ n: countRows() }).from(products).where(base);
    const offset = Number(decodeCursor(after, POSITION_CURSOR)?.[0] ?? 0);
    if (!Number.isInteger(offset) || offset < 0) throw badInput('after is not a valid cursor', 'after');
    const rows = await this.d.db
      .select()
      .from(products)
      .where(base)
      .orderBy(sql`ts_rank(search, ${query}) desc`, ...keysetOrder(products.createdAt, products.id, 'asc'))
      .limit(size + 1)
      .offset(offset);
    return { ...toConnection(rows, size, total?.n ?? 0, (p) => [offset + rows.indexOf(p) + 1]), filter: parsed };
  }

  /** Counts per category and price band for a page's filter, in one statement (facets.ts). */
  facets(page: ProductPage): Promise<ProductFacets> {
    return productFacets(this.d.db, page.filter);
  }

  stockMovements(productId: string, first?: number | null, after?: string | null): Promise<Connection<StockMovementRow>> {
    return stockMovementsOf(this.d.db, productId, first, after);
  }

  listCategories(): Promise<CategoryRow[]> {
    return this.d.db.select().from(categories).orderBy(asc(categories.name));
  }

  childrenOf(parentId: string): Promise<CategoryRow[]> {
    return this.d.db.select().from(categories).where(eq(categories.parentId, parentId)).orderBy(asc(categories.name));
  }

  async createCategory(caller: Caller, input: { name: string; slug: string; parentId?: string | null }): Promise<CategoryRow> {
    const name = v.text(input.name, 'name', 1, 100);
    const slug = v.slug(input.slug);
    const parentId = input.parentId ? v.id(input.parentId, 'parentId') : null;
    return this.d.db.transaction(async (tx) => {
      if (parentId && !(await tx.select({ id: categories.id }).from(categories).where(eq(categories.id, parentId))).length) throw badInput('parentId does not exist', 'parentId');
      const [row] = await tx.insert(categories).values({ name, slug, parentId }).onConflictDoNothing().returning();
      if (!row) throw conflict('A category with that slug already exists');
      await this.d.audit(tx, caller, { action: 'category.created', outcome: 'SUCCESS', resourceType: 'Category', resourceId: row.id, metadata: { slug } });
      return row;
    });
  }

  async createProduct(caller: Caller, input: { sku: string; name: string; description: string; price: string; currency: string; categoryId?: string | null; initialStock?: number | null } & ProductDetailsInput): Promise<ProductRow> {
    const values = {
      sku: v.sku(input.sku),
      name: v.text(input.name, 'name', 1, 200),
      description: v.text(input.description, 'description', 0, 5000),
      priceCents: parsePrice(input.price),
      currency: parseCurrency(input.currency),
      categoryId: input.categoryId ? v.id(input.categoryId, 'categoryId') : null,
      stock: v.count(input.initialStock ?? 0, 'initialStock', 0, 1_000_000),
      brand: input.brand != null ? details.brand(input.brand) : null,
      attributes: input.attributes ? details.attributes(input.attributes) : [],
      imageUrls: input.imageUrls ? details.imageUrls(input.imageUrls) : [],
    };
    return this.d.db.transaction(async (tx) => {
      if (values.categoryId && !(await tx.select({ id: categories.id }).from(categories).where(eq(categories.id, values.categoryId))).length)
        throw badInput('categoryId does not exist', 'categoryId');
      const [row] = await tx.insert(products).values(values).onConflictDoNothing().returning();
      if (!row) throw conflict('A product with that SKU already exists');
      if (row.stock > 0) await recordMovements(tx, [{ productId: row.id, delta: row.stock, kind: 'initial', reason: 'initial stock', stockAfter: row.stock, actorId: caller.userId }]);
      await this.d.audit(tx, caller, { action: 'product.created', outcome: 'SUCCESS', resourceType: 'Product', resourceId: row.id, metadata: { sku: row.sku } });
      return row;
    });
  }

  async updateProduct(caller: Caller, id: string, input: { name?: string | null; description?: string | null; price?: string | null; currency?: string | null; categoryId?: string | null; active?: boolean | null; reorderPoint?: number | null } & ProductDetailsInput): Promise<ProductRow> {
    const pid = v.id(id, 'id');
    const changes: Partial<typeof products.$inferInsert> = {};
    if (input.name != null) changes.name = v.text(input.name, 'name', 1, 200);
    if (input.description != null) changes.description = v.text(input.description, 'description', 0, 5000);
    if (input.price != null) changes.priceCents = parsePrice(input.price);
    if (input.currency != null) changes.currency = parseCurrency(input.currency);
    if (input.categoryId !== undefined) changes.categoryId = input.categoryId ? v.id(input.categoryId, 'categoryId') : null;
    if (input.active != null) changes.active = input.active;
    if (input.brand != null) changes.brand = details.brand(input.brand);
    if (input.attributes != null) changes.attributes = details.attributes(input.attributes);
    if (input.imageUrls != null) changes.imageUrls = details.imageUrls(input.imageUrls);
    if (input.reorderPoint != null) changes.reorderPoint = v.count(input.reorderPoint, 'input.reorderPoint', 0, 1_000_000);
    if (Object.keys(changes).length === 0) throw badInput('input changes nothing');
    return this.d.db.transaction(async (tx) => {
      try {
        const [row] = await tx.update(products).set({ ...changes, updatedAt: new Date() }).where(eq(products.id, pid)).returning();
        if (!row) throw notFound('Product not found');
        await this.d.audit(tx, caller, { action: 'product.updated', outcome: 'SUCCESS', resourceType: 'Product', resourceId: pid, metadata: { fields: Object.keys(changes) } });
        return row;
      } catch (err) {
        if ((err as { code?: string; cause?: { code?: string } }).cause?.code === '23503' || (err as { code?: string }).code === '23503') throw badInput('categoryId does not exist', 'categoryId');
        throw err;
      }
    });
  }

  async archiveProduct(caller: Caller, id: string): Promise<ProductRow> {
    const pid = v.id(id, 'id');
    return this.d.db.transaction(async (tx) => {
      const [row] = await tx.update(products).set({ active: false, updatedAt: new Date() }).where(eq(products.id, pid)).returning();
      if (!row) throw notFound('Product not found');
      await this.d.audit(tx, caller, { action: 'product.archived', outcome: 'SUCCESS', resourceType: 'Product', resourceId: pid });
      return row;
    });
  }

  async adjustStock(caller: Caller, id: string, delta: number, reason: string): Promise<ProductRow> {
    const pid = v.id(id, 'id');
    v.count(delta, 'delta', -1_000_000, 1_000_000);
    if (delta === 0) throw badInput('delta must not be zero', 'delta');
    const why = v.text(reason, 'reason', 1, 500);
    const adjusted = await this.d.db.transaction(async (tx) => {
      // The guard in WHERE makes "never below zero" (and never past what the column holds) atomic: no
      // read-then-write window. The sum is taken as bigint so that checking it cannot overflow.
      const after = sql`${products.stock}::bigint + ${delta}`;
      const [row] = await tx
        .update(products)
        .set({ stock: sql`${products.stock} + ${delta}`, updatedAt: new Date() })
        .where(and(eq(products.id, pid), gte(after, 0), lte(after, MAX_INT4)))
        .returning();
      if (!row) {
        const [exists] = await tx.select({ stock: products.stock }).from(products).where(eq(products.id, pid));
        if (!exists) throw notFound('Product not found');
        if (delta > 0) throw badInput(`stock cannot exceed ${MAX_INT4}`, 'delta');
        throw new PublicError(ErrorCode.OUT_OF_STOCK, `Only ${exists.stock} in stock; cannot remove ${-delta}`);
      }
      await recordMovements(tx, [{ productId: pid, delta, kind: 'adjustment', reason: why, stockAfter: row.stock, actorId: caller.userId }]);
      await noteLowStock(tx, row, row.stock - delta, row.stock);
      await this.d.audit(tx, caller, { action: 'product.stock_adjusted', outcome: 'SUCCESS', resourceType: 'Product', resourceId: pid, metadata: { delta, reason: why, stock: row.stock } });
      return row;
    });
    if (delta < 0 && adjusted.stock === 0) this.d.onStockOut?.(pid);
    return adjusted;
  }
}
