import { eq, sql } from 'drizzle-orm';
import { badInput, conflict, notFound, type Caller } from '@palisade/auth';
import { queryRows, type AuditWriter, type Db } from '@palisade/kit';
import { categories, type CategoryRow } from '../db/schema.ts';
import * as v from './validation.ts';

export interface CategoryChanges {
  name?: string | null;
  slug?: string | null;
  /** Absent: stays where it is; null: moves to the top level; an id: moves under that category. */
  parentId?: string | null;
}

/** The category tree: renaming and moving, never into a cycle. */
export class CategoryService {
  constructor(private readonly d: { db: Db; audit: AuditWriter }) {}

  async update(caller: Caller, id: string, input: CategoryChanges): Promise<CategoryRow> {
    const cid = v.id(id, 'id');
    const changes: Partial<Pick<CategoryRow, 'name' | 'slug' | 'parentId'>> = {};
    if (input.name != null) changes.name = v.text(input.name, 'name', 1, 100);
    if (input.slug != null) changes.slug = v.slug(input.slug);
    const moving = Object.prototype.hasOwnProperty.call(input, 'parentId');
    if (moving) changes.parentId = input.parentId ? v.id(input.parentId, 'parentId') : null;
    if (!Object.keys(changes).length) throw badInput('Nothing to change', 'input');
    return this.d.db.transaction(async (tx) => {
      // Moves are serialised: two concurrent moves (A under B, B under A) could each pass the cycle check alone.
      if (moving) await tx.execute(sql`select pg_advisory_xact_lock(hashtext('products.categories.tree'))`);
      const [current] = await tx.select().from(categories).where(eq(categories.id, cid)).for('update');
      if (!current) throw notFound('No such category');
      if (moving && changes.parentId) {
        const [hit] = await queryRows<{ bad: boolean; found: boolean }>(
          tx,
          sql`with recursive below as (select id from products.categories where id = ${cid}::uuid union all select c.id from products.categories c join below on c.parent_id = below.id)
              select exists(select 1 from below where id = ${changes.parentId}::uuid) as bad, exists(select 1 from products.categories where id = ${changes.parentId}::uuid) as found`,
        );
        if (!hit?.found) throw badInput('parentId does not exist', 'parentId');
        if (hit?.bad) throw badInput('A category cannot move under itself or its own subcategory', 'parentId');
      }
      let row: CategoryRow | undefined;
      try {
        [row] = await tx.update(categories).set(changes).where(eq(categories.id, cid)).returning();
      } catch (err) {
        if ((err as { code?: string; cause?: { code?: string } }).cause?.code === '23505' || (err as { code?: string }).code === '23505') throw conflict('A category with that slug already exists');
        throw err;
      }
      await this.d.audit(tx, caller, { action: 'category.updated', outcome: 'SUCCESS', resourceType: 'Category', resourceId: cid, metadata: { fields: Object.keys(changes) } });
      return row!;
    });
  }
}
