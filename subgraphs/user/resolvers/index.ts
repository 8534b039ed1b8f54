import { DateTimeScalar, JSONOutputScalar } from '@palisade/kit';
import type { Resolvers } from '../generated/resolvers.ts';
import { authResolvers } from './auth.resolver.ts';
import { userResolvers } from './user.resolver.ts';
import { dataRightsResolvers } from './data-rights.resolver.ts';

export const resolvers = {
  DateTime: DateTimeScalar,
  JSON: JSONOutputScalar,
  Query: { ...userResolvers.Query, ...dataRightsResolvers.Query },
  Mutation: { ...authResolvers.Mutation, ...userResolvers.Mutation, ...dataRightsResolvers.Mutation },
  User: userResolvers.User,
  Session: userResolvers.Session,
} satisfies Resolvers;
