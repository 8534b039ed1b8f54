import type { UserContext } from '../context.ts';
import { issuedTo } from '../issued-users.ts';

type Input<T> = { input: T };

export const authResolvers = {
  Mutation: {
    register: async (_: unknown, a: Input<{ email: string; password: string; displayName: string }>, ctx: UserContext) => issuedTo(await ctx.accounts.register(ctx.caller, a.input)),
    login: async (_: unknown, a: Input<{ email: string; password: string; totpCode?: string }>, ctx: UserContext) => issuedTo(await ctx.accounts.login(ctx.caller, a.input)),
    refreshSession: async (_: unknown, a: { refreshToken: string }, ctx: UserContext) =>
      issuedTo(await ctx.accounts.checkToken(ctx.caller, 'refresh', () => ctx.sessions.refresh(ctx.caller, a.refreshToken))),
    logout: (_: unknown, __: unknown, ctx: UserContext) => ctx.sessions.logout(ctx.caller),
    revokeSession: (_: unknown, a: { id: string }, ctx: UserContext) => ctx.sessions.revokeOwn(ctx.caller, a.id),
    changePassword: (_: unknown, a: Input<{ currentPassword: string; newPassword: string }>, ctx: UserContext) => ctx.accounts.changePassword(ctx.caller, a.input),
    requestPasswordReset: (_: unknown, a: { email: string }, ctx: UserContext) => ctx.recovery.requestReset(ctx.caller, a.email),
    resetPassword: (_: unknown, a: { token: string; newPassword: string }, ctx: UserContext) =>
      ctx.accounts.checkToken(ctx.caller, 'reset_password', () => ctx.recovery.resetPassword(ctx.caller, a.token, a.newPassword)),
    verifyEmail: (_: unknown, a: { token: string }, ctx: UserContext) => ctx.accounts.checkToken(ctx.caller, 'verify_email', () => ctx.recovery.verifyEmail(ctx.caller, a.token)),
    enrollTotp: async (_: unknown, __: unknown, ctx: UserContext) => ctx.totp.enroll(ctx.caller, await ctx.accounts.getById(ctx.caller.userId!)),
    confirmTotp: (_: unknown, a: { code: string }, ctx: UserContext) => ctx.accounts.confirmTotp(ctx.caller, a.code),
    disableTotp: (_: unknown, a: { code: string }, ctx: UserContext) => ctx.accounts.disableTotp(ctx.caller, a.code),
  },
};
