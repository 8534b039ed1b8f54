import type { PolicyTable } from '@palisade/auth';

// Ownership decided here, where the data lives; scopes named in @policy are checked by auth/.
export const policies: PolicyTable = {
  'user:self': (ctx, parent) => Boolean(ctx.caller.userId) && (parent as { id?: string } | null)?.id === ctx.caller.userId,
};
