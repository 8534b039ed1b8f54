import type { PolicyTable } from '@palisade/auth';

// Ownership is decided here, where orders live, for root fields and _entities alike.
export const policies: PolicyTable = {
  'order:owner': (ctx, parent) => Boolean(ctx.caller.userId) && (parent as { customerId?: string } | null)?.customerId === ctx.caller.userId,
  'user:self': (ctx, parent) => Boolean(ctx.caller.userId) && (parent as { id?: string } | null)?.id === ctx.caller.userId,
};
