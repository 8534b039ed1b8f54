import { definePolicies, userSelf } from '@palisade/auth';
import type { OrderContext } from './context.ts';

const ownedBy = (order: { customerId?: string } | null | undefined, userId: string | null) => Boolean(userId) && order?.customerId === userId;

// Ownership is decided here, where orders live, for root fields and _entities alike. Services decide none of it.
export const policies = definePolicies<OrderContext>({
  'order:owner': (ctx, parent) => ownedBy(parent as { customerId?: string } | null, ctx.caller.userId),
  'user:self': userSelf,
  /**
   * The customer of the order the `id` argument names may cancel it. An unknown id is refused like
   * someone else's order, so the answer says nothing about which orders exist. Which states can still be
   * cancelled is the order's business (BAD_USER_INPUT from the service), not who is asking.
   */
  'order:cancel:own': async (ctx, _parent, args) => typeof args.id === 'string' && ownedBy(await ctx.orderById.load(args.id), ctx.caller.userId),
});
