import type { ProductContext } from '../context.ts';
import type { ProductRow } from '../db/schema.ts';
import type { ProductFilter } from '../services/catalog.service.ts';
import { money } from '../services/money.ts';

type Args<T> = T;

export const productResolvers = {
  Query: {
    product: (_: unknown, a: Args<{ id: string }>, ctx: ProductContext) => ctx.catalog.product(ctx.caller, a.id),
    products: (_: unknown, a: Args<{ filter?: ProductFilter; first?: number; after?: string }>, ctx: ProductContext) => ctx.catalog.list(ctx.caller, a.filter, a.first, a.after),
  },
  Mutation: {
    createProduct: (_: unknown, a: Args<{ input: Parameters<ProductContext['catalog']['createProduct']>[1] }>, ctx: ProductContext) => ctx.catalog.createProduct(ctx.caller, a.input),
    updateProduct: (_: unknown, a: Args<{ id: string; input: Parameters<ProductContext['catalog']['updateProduct']>[2] }>, ctx: ProductContext) => ctx.catalog.updateProduct(ctx.caller, a.id, a.input),
    archiveProduct: (_: unknown, a: Args<{ id: string }>, ctx: ProductContext) => ctx.catalog.archiveProduct(ctx.caller, a.id),
    adjustStock: (_: unknown, a: Args<{ id: string; delta: number; reason: string }>, ctx: ProductContext) => ctx.catalog.adjustStock(ctx.caller, a.id, a.delta, a.reason),
  },
  Product: {
    // Archived products still resolve here: past orders must keep showing what was bought.
    __resolveReference: (ref: { id: string }, ctx: ProductContext) => ctx.productById.load(ref.id),
    price: (p: ProductRow) => money(p.priceCents, p.currency),
    inStock: (p: ProductRow) => p.stock > 0,
    category: (p: ProductRow, _: unknown, ctx: ProductContext) => (p.categoryId ? ctx.categoryById.load(p.categoryId) : null),
  },
};
