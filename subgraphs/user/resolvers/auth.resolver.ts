import { scopesForRoles, type Role } from '@palisade/auth';
import type { UserContext } from '../context.ts';
import type { AuthPayload } from '../services/account.service.ts';

/** The rest of this response is read as the account that just signed in, as its next request would be. */
function actAs(ctx: UserContext, payload: AuthPayload): AuthPayload {
  const roles = payload.user.roles as Role[];
  ctx.caller = { ...ctx.caller, userId: payload.user.id, roles, scopes: scopesForRoles(roles) };
  return payload;
}

export const authResolvers = {
  Mutation: {
    register: async (_: unknown, args: { input: { email: string; password: string; displayName: string } }, ctx: UserContext) =>
      actAs(ctx, await ctx.accounts.register(ctx.caller, args.input)),
    login: async (_: unknown, args: { input: { email: string; password: string } }, ctx: UserContext) =>
      actAs(ctx, await ctx.accounts.login(ctx.caller, args.input)),
  },
};
