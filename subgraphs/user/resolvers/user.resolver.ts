import { unauthenticated } from '@palisade/auth';
import type { Resolvers } from '../generated/resolvers.ts';

export const userResolvers = {
  Query: {
    me: (_, __, ctx) => {
      if (!ctx.caller.userId) throw unauthenticated();
      return ctx.userById.load(ctx.caller.userId);
    },
    user: (_, a, ctx) => ctx.userById.load(a.id),
    users: (_, a, ctx) => ctx.accounts.list({ first: a.first, after: a.after, search: a.search }),
    mySessions: (_, __, ctx) => ctx.sessions.list(ctx.caller),
    myNotifications: (_, a, ctx) => ctx.notifications.mine(ctx.caller, a.first, a.after),
  },
  Mutation: {
    updateProfile: (_, a, ctx) => ctx.accounts.updateProfile(ctx.caller, a.input),
    setUserRoles: (_, a, ctx) => ctx.accounts.setRoles(ctx.caller, a.userId, a.roles),
    setUserActive: (_, a, ctx) => ctx.accounts.setActive(ctx.caller, a.userId, a.active),
    revokeUserSession: (_, a, ctx) => ctx.sessions.revokeFor(ctx.caller, a.userId, a.sessionId),
  },
  User: {
    __resolveReference: (ref, ctx) => ctx.userById.load(ref.id),
    totpEnabled: (u) => Boolean(u.totpSecret),
    sessions: (u, _, ctx) => ctx.sessions.listFor(u.id),
  },
  Session: {
    current: (s, _, ctx) => s.id === ctx.caller.sessionId,
  },
} satisfies Resolvers;
