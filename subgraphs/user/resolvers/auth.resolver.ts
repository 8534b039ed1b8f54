import type { Resolvers } from '../generated/resolvers.ts';
import { issuedTo } from '../issued-users.ts';

export const authResolvers = {
  Mutation: {
    register: async (_, a, ctx) => issuedTo(await ctx.accounts.register(ctx.caller, a.input)),
    login: async (_, a, ctx) => issuedTo(await ctx.accounts.login(ctx.caller, a.input)),
    refreshSession: async (_, a, ctx) => issuedTo(await ctx.accounts.checkToken(ctx.caller, 'refresh', () => ctx.sessions.refresh(ctx.caller, a.refreshToken))),
    logout: (_, __, ctx) => ctx.sessions.logout(ctx.caller),
    revokeSession: (_, a, ctx) => ctx.sessions.revokeOwn(ctx.caller, a.id),
    changePassword: (_, a, ctx) => ctx.accounts.changePassword(ctx.caller, a.input),
    requestPasswordReset: (_, a, ctx) => ctx.recovery.requestReset(ctx.caller, a.email),
    resetPassword: (_, a, ctx) => ctx.accounts.checkToken(ctx.caller, 'reset_password', () => ctx.recovery.resetPassword(ctx.caller, a.token, a.newPassword)),
    verifyEmail: (_, a, ctx) => ctx.accounts.checkToken(ctx.caller, 'verify_email', () => ctx.recovery.verifyEmail(ctx.caller, a.token)),
    enrollTotp: async (_, __, ctx) => ctx.totp.enroll(ctx.caller, await ctx.accounts.getById(ctx.caller.userId!)),
    confirmTotp: (_, a, ctx) => ctx.accounts.confirmTotp(ctx.caller, a.code),
    disableTotp: (_, a, ctx) => ctx.accounts.disableTotp(ctx.caller, a.code),
  },
} satisfies Resolvers;
