import type { Resolvers } from '../generated/resolvers.ts';

// Whose data is always the caller's: neither field takes a user id, so no argument can point them elsewhere.
export const dataRightsResolvers = {
  Query: {
    exportMyData: (_, __, ctx) => ctx.dataRights.exportFor(ctx.caller),
  },
  Mutation: {
    deleteMyAccount: (_, a, ctx) => ctx.dataRights.deleteAccount(ctx.caller, a.input),
  },
} satisfies Resolvers;
