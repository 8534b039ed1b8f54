import { DateTimeScalar } from '@palisade/kit';
import type { Resolvers } from '../generated/resolvers.ts';
import { cartResolvers } from './cart.resolver.ts';
import { orderResolvers } from './order.resolver.ts';

export const resolvers = {
  DateTime: DateTimeScalar,
  ...orderResolvers,
  Query: { ...orderResolvers.Query, ...cartResolvers.Query },
  Mutation: { ...orderResolvers.Mutation, ...cartResolvers.Mutation },
  Cart: cartResolvers.Cart,
  CartLine: cartResolvers.CartLine,
} satisfies Resolvers;
