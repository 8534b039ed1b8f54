import type { Resolvers } from '../generated/resolvers.ts';
import { money } from '../services/money.ts';

export const productResolvers = {
  Query: {
    product: (_, a, ctx) => ctx.catalog.product(a.id, a.includeInactive),
    products: (_, a, ctx) => ctx.catalog.list(ctx.caller, a.filter, a.first, a.after, a.sort),
    stockMovements: (_, a, ctx) => ctx.catalog.stockMovements(a.productId, a.first, a.after),
  },
  Mutation: {
    createProduct: (_, a, ctx) => ctx.catalog.createProduct(ctx.caller, a.input),
    updateProduct: (_, a, ctx) => ctx.catalog.updateProduct(ctx.caller, a.id, a.input),
    archiveProduct: (_, a, ctx) => ctx.catalog.archiveProduct(ctx.caller, a.id),
    adjustStock: (_, a, ctx) => ctx.catalog.adjustStock(ctx.caller, a.id, a.delta, a.reason),
  },
  Product: {
    // Archived products still resolve here: past orders must keep showing what was bought.
    __resolveReference: (ref, ctx) => ctx.productById.load(ref.id),
    price: (p) => money(p.priceCents, p.currency),
    inStock: (p) => p.stock > 0,
    category: (p, _, ctx) => (p.categoryId ? ctx.categoryById.load(p.categoryId) : null),
  },
  // Only when the client selects facets: the page keeps its parsed filter for this.
  ProductConnection: {
    facets: (page, _, ctx) => ctx.catalog.facets(page),
  },
  CategoryFacet: {
    category: async (f, _, ctx) => {
      const row = await ctx.categoryById.load(f.categoryId);
      // Categories are never deleted and products reference them by foreign key.
      if (!row) throw new Error(`category ${f.categoryId} of a facet is missing`);
      return row;
    },
  },
  StockMovement: {
    quantity: (m) => m.delta,
  },
} satisfies Resolvers;
