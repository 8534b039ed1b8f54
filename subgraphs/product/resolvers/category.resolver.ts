import type { Resolvers } from '../generated/resolvers.ts';

export const categoryResolvers = {
  Query: {
    categories: (_, __, ctx) => ctx.catalog.listCategories(),
  },
  Mutation: {
    createCategory: (_, a, ctx) => ctx.catalog.createCategory(ctx.caller, a.input),
    updateCategory: (_, a, ctx) => ctx.categories.update(ctx.caller, a.id, a.input),
  },
  Category: {
    __resolveReference: (ref, ctx) => ctx.categoryById.load(ref.id),
    parent: (c, _, ctx) => (c.parentId ? ctx.categoryById.load(c.parentId) : null),
    children: (c, _, ctx) => ctx.catalog.childrenOf(c.id),
  },
} satisfies Resolvers;
