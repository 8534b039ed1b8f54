import { unauthenticated } from '@palisade/auth';
import type { UserContext } from '../context.ts';
import type { UserRow } from '../db/schema.ts';

export const userResolvers = {
  Query: {
    me: (_: unknown, __: unknown, ctx: UserContext) => {
      if (!ctx.caller.userId) throw unauthenticated();
      return ctx.userById.load(ctx.caller.userId);
    },
    user: (_: unknown, args: { id: string }, ctx: UserContext) => ctx.userById.load(args.id),
    users: (_: unknown, args: { first?: number; after?: string; search?: string }, ctx: UserContext) => ctx.accounts.list(args),
  },
  User: {
    __resolveReference: (ref: { id: string }, ctx: UserContext) => ctx.userById.load(ref.id),
    emailVerified: (u: UserRow) => u.emailVerified,
  },
};
