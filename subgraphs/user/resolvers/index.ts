import { DateTimeScalar } from '@palisade/kit';
import { authResolvers } from './auth.resolver.ts';
import { userResolvers } from './user.resolver.ts';

export const resolvers = {
  DateTime: DateTimeScalar,
  Query: { ...userResolvers.Query },
  Mutation: { ...authResolvers.Mutation },
  User: userResolvers.User,
};
