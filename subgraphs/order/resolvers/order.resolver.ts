import type { Resolvers } from '../generated/resolvers.ts';
import { asksTotalCount } from '@palisade/kit';
import { money } from '../services/money.ts';

export const orderResolvers = {
  Query: {
    order: (_, a, ctx) => ctx.orderById.load(a.id),
    orders: (_, a, ctx, info) => ctx.orders.list(a.filter, a.first, a.after, asksTotalCount(info)),
  },
  Mutation: {
    placeOrder: (_, a, ctx) => ctx.orders.place(ctx.caller, a.input),
    cancelOrder: (_, a, ctx) => ctx.orders.cancel(ctx.caller, a.id),
    updateOrderStatus: (_, a, ctx) => ctx.orders.updateStatus(ctx.caller, a.id, a.status),
  },
  Order: {
    __resolveReference: (ref, ctx) => ctx.orderById.load(ref.id),
    customer: (o) => ({ __typename: 'User', id: o.customerId }),
    items: (o, _, ctx) => ctx.itemsByOrder.load(o.id),
    total: (o) => money(o.totalCents, o.currency),
    shippingAddress: (o) => o.shippingAddress,
  },
  OrderItem: {
    product: (i) => ({ __typename: 'Product', id: i.productId }),
    unitPrice: (i) => money(i.unitPriceCents, i.currency),
    lineTotal: (i) => money(i.unitPriceCents * i.quantity, i.currency),
  },
  User: {
    __resolveReference: (ref) => ({ id: ref.id }),
    orders: (u, a, ctx, info) => ctx.orders.forCustomer(u.id, a.first, a.after, asksTotalCount(info)),
  },
} satisfies Resolvers;
