import { DateTimeScalar, type SubgraphResolvers } from '@palisade/kit';
import type { ProductContext } from '../context.ts';
import type { Resolvers } from '../generated/resolvers.ts';
import { categoryResolvers } from './category.resolver.ts';
import { productResolvers } from './product.resolver.ts';

const typed: Resolvers = {
  DateTime: DateTimeScalar,
  Query: { ...productResolvers.Query, ...categoryResolvers.Query },
  Mutation: { ...productResolvers.Mutation, ...categoryResolvers.Mutation },
  Product: productResolvers.Product,
  Category: categoryResolvers.Category,
  ProductConnection: productResolvers.ProductConnection,
  CategoryFacet: productResolvers.CategoryFacet,
  StockMovement: productResolvers.StockMovement,
};

// Checked against the SDL above; buildSubgraphSchema's map has no shape for __resolveReference(reference, context).
export const resolvers = typed as SubgraphResolvers<ProductContext>;
