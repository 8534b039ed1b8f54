import { DateTimeScalar } from '@palisade/kit';
import { categoryResolvers } from './category.resolver.ts';
import { productResolvers } from './product.resolver.ts';

export const resolvers = {
  DateTime: DateTimeScalar,
  Query: { ...productResolvers.Query, ...categoryResolvers.Query },
  Mutation: { ...productResolvers.Mutation, ...categoryResolvers.Mutation },
  Product: productResolvers.Product,
  Category: categoryResolvers.Category,
};
