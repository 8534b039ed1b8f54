import { DateTimeScalar } from '@palisade/kit';
import type { Resolvers } from '../generated/resolvers.ts';
import { authResolvers } from './auth.resolver.ts';
import { userResolvers } from './user.resolver.ts';

export const resolvers = {
  DateTime: DateTimeScalar,
  Query: userResolvers.Query,
  Mutation: { ...authResolvers.Mutation, ...userResolvers.Mutation },
  User: userResolvers.User,
  Session: userResolvers.Session,
} satisfies Resolvers;
