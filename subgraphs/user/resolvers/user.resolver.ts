import { unauthenticated } from '@palisade/auth';
import type { UserContext } from '../context.ts';
import type { SessionRow, UserRow } from '../db/schema.ts';

export const userResolvers = {
  Query: {
    me: (_: unknown, __: unknown, ctx: UserContext) => {
      if (!ctx.caller.userId) throw unauthenticated();
      return ctx.userById.load(ctx.caller.userId);
    },
    user: (_: unknown, args: { id: string }, ctx: UserContext) => ctx.userById.load(args.id),
    users: (_: unknown, args: { first?: number; after?: string; search?: string }, ctx: UserContext) => ctx.accounts.list(args),
    mySessions: (_: unknown, __: unknown, ctx: UserContext) => ctx.sessions.list(ctx.caller),
  },
  Mutation: {
    updateProfile: (_: unknown, a: { input: { displayName?: string } }, ctx: UserContext) => ctx.accounts.updateProfile(ctx.caller, a.input),
    setUserRoles: (_: unknown, a: { userId: string; roles: string[] }, ctx: UserContext) => ctx.accounts.setRoles(ctx.caller, a.userId, a.roles),
    setUserActive: (_: unknown, a: { userId: string; active: boolean }, ctx: UserContext) => ctx.accounts.setActive(ctx.caller, a.userId, a.active),
    revokeUserSession: (_: unknown, a: { userId: string; sessionId: string }, ctx: UserContext) => ctx.sessions.revokeFor(ctx.caller, a.userId, a.sessionId),
  },
  User: {
    __resolveReference: (ref: { id: string }, ctx: UserContext) => ctx.userById.load(ref.id),
    totpEnabled: (u: UserRow) => Boolean(u.totpSecret),
    sessions: (u: UserRow, _: unknown, ctx: UserContext) => ctx.sessions.listFor(u.id),
  },
  Session: {
    current: (s: SessionRow, _: unknown, ctx: UserContext) => s.id === ctx.caller.sessionId,
  },
};
