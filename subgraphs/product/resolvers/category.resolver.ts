import type { ProductContext } from '../context.ts';
import type { CategoryRow } from '../db/schema.ts';
import type { CategoryChanges } from '../services/category.service.ts';

export const categoryResolvers = {
  Query: {
    categories: (_: unknown, __: unknown, ctx: ProductContext) => ctx.catalog.listCategories(),
  },
  Mutation: {
    createCategory: (_: unknown, a: { input: { name: string; slug: string; parentId?: string | null } }, ctx: ProductContext) => ctx.catalog.createCategory(ctx.caller, a.input),
    updateCategory: (_: unknown, a: { id: string; input: CategoryChanges }, ctx: ProductContext) => ctx.categories.update(ctx.caller, a.id, a.input),
  },
  Category: {
    __resolveReference: (ref: { id: string }, ctx: ProductContext) => ctx.categoryById.load(ref.id),
    parent: (c: CategoryRow, _: unknown, ctx: ProductContext) => (c.parentId ? ctx.categoryById.load(c.parentId) : null),
    children: (c: CategoryRow, _: unknown, ctx: ProductContext) => ctx.catalog.childrenOf(c.id),
  },
};
