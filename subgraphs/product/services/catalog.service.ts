import { and, asc, count as countRows, eq, gte, lte, gt, sql, type SQL } from 'drizzle-orm';
import { badInput, conflict, notFound, PublicError, ErrorCode, type Caller } from '@palisade/auth';
import { keysetPage, loadByIds, decodeCursor, POSITION_CURSOR, MAX_INT4, keysetOrder, pageSize, toConnection, type AuditWriter, type Connection, type Db } from '@palisade/kit';
import { categories, products, type CategoryRow, type ProductRow } from '../db/schema.ts';
import { parseCurrency, parsePrice } from './money.ts';
import * as v from './validation.ts';
import { recordMovements } from './stock.service.ts';

export interface ProductFilter {
  search?: string | null;
  categoryId?: string | null;
  minPrice?: string | null;
  maxPrice?: string | null;
  inStock?: boolean | null;
  includeInactive?: boolean | null;
}

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
   * Browsing pages by keyset over (created_at, id). Searching ranks by relevance (name above description)
   * and pages by position, with the same opaque cursor shape to the client.
   */
  async list(caller: Caller, filter: ProductFilter | null | undefined, first?: number | null, after?: string | null): Promise<Connection<ProductRow>> {
    const size = pageSize(first);
    const search = filter?.search?.trim() ? v.text(filter.search, 'search', 1, 100) : null;
    const where: SQL[] = [];
    // Who may set includeInactive is decided by its @requiresScopesToSet annotation, before this runs.
    if (!filter?.includeInactive) where.push(eq(products.active, true));
    const query = search ? sql`websearch_to_tsquery('english', ${search})` : null;
    if (query) where.push(sql`search @@ ${query}`);
    if (filter?.categoryId) {
      const root = v.id(filter.categoryId, 'categoryId');
      // The category and everything below it.
      where.push(sql`${products.categoryId} in (with recursive tree as (select id from products.categories where id = ${root}::uuid union all select c.id from products.categories c join tree on c.parent_id = tree.id) select id from tree)`);
    }
    if (filter?.minPrice) where.push(gte(products.priceCents, parsePrice(filter.minPrice, 'minPrice')));
    if (filter?.maxPrice) where.push(lte(products.priceCents, parsePrice(filter.maxPrice, 'maxPrice')));
    if (filter?.inStock === true) where.push(gt(products.stock, 0));
    if (filter?.inStock === false) where.push(eq(products.stock, 0));
    const base = where.length ? and(...where) : undefined;
    if (!query) return keysetPage(this.d.db, products, { where: base, first, after, direction: 'asc' });
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
    return toConnection(rows, size, total?.n ?? 0, (p) => [offset + rows.indexOf(p) + 1]);
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

  async createProduct(caller: Caller, input: { sku: string; name: string; description: string; price: string; currency: string; categoryId?: string | null; initialStock?: number | null }): Promise<ProductRow> {
    const values = {
      sku: v.sku(input.sku),
      name: v.text(input.name, 'name', 1, 200),
      description: v.text(input.description, 'description', 0, 5000),
      priceCents: parsePrice(input.price),
      currency: parseCurrency(input.currency),
      categoryId: input.categoryId ? v.id(input.categoryId, 'categoryId') : null,
      stock: v.count(input.initialStock ?? 0, 'initialStock', 0, 1_000_000),
    };
    return this.d.db.transaction(async (tx) => {
      if (values.categoryId && !(await tx.select({ id: categories.id }).from(categories).where(eq(categories.id, values.categoryId))).length)
        throw badInput('categoryId does not exist', 'categoryId');
      const [row] = await tx.insert(products).values(values).onConflictDoNothing().returning();
      if (!row) throw conflict('A product with that SKU already exists');
      if (row.stock > 0) await recordMovements(tx, [{ productId: row.id, delta: row.stock, reason: 'initial stock', actorId: caller.userId }]);
      await this.d.audit(tx, caller, { action: 'product.created', outcome: 'SUCCESS', resourceType: 'Product', resourceId: row.id, metadata: { sku: row.sku } });
      return row;
    });
  }

  async updateProduct(caller: Caller, id: string, input: { name?: string | null; description?: string | null; price?: string | null; currency?: string | null; categoryId?: string | null; active?: boolean | null }): Promise<ProductRow> {
    const pid = v.id(id, 'id');
    const changes: Partial<typeof products.$inferInsert> = {};
    if (input.name != null) changes.name = v.text(input.name, 'name', 1, 200);
    if (input.description != null) changes.description = v.text(input.description, 'description', 0, 5000);
    if (input.price != null) changes.priceCents = parsePrice(input.price);
    if (input.currency != null) changes.currency = parseCurrency(input.currency);
    if (input.categoryId !== undefined) changes.categoryId = input.categoryId ? v.id(input.categoryId, 'categoryId') : null;
    if (input.active != null) changes.active = input.active;
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
      await recordMovements(tx, [{ productId: pid, delta, reason: why, actorId: caller.userId }]);
      await this.d.audit(tx, caller, { action: 'product.stock_adjusted', outcome: 'SUCCESS', resourceType: 'Product', resourceId: pid, metadata: { delta, reason: why, stock: row.stock } });
      return row;
    });
    if (delta < 0 && adjusted.stock === 0) this.d.onStockOut?.(pid);
    return adjusted;
  }
}
