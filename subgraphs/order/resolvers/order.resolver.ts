import type { OrderContext } from '../context.ts';
import type { OrderItemRow, OrderRow } from '../db/schema.ts';
import type { OrderStatus } from '../services/order.service.ts';
import { money } from '../services/money.ts';

export const orderResolvers = {
  Query: {
    order: (_: unknown, a: { id: string }, ctx: OrderContext) => ctx.orderById.load(a.id),
    orders: (_: unknown, a: { filter?: { status?: OrderStatus; customerId?: string }; first?: number; after?: string }, ctx: OrderContext) =>
      ctx.orders.list(a.filter, a.first, a.after),
  },
  Mutation: {
    placeOrder: (_: unknown, a: { input: Parameters<OrderContext['orders']['place']>[1] }, ctx: OrderContext) => ctx.orders.place(ctx.caller, a.input),
    cancelOrder: (_: unknown, a: { id: string }, ctx: OrderContext) => ctx.orders.cancel(ctx.caller, a.id),
    updateOrderStatus: (_: unknown, a: { id: string; status: OrderStatus }, ctx: OrderContext) => ctx.orders.updateStatus(ctx.caller, a.id, a.status),
  },
  Order: {
    __resolveReference: (ref: { id: string }, ctx: OrderContext) => ctx.orderById.load(ref.id),
    customer: (o: OrderRow) => ({ __typename: 'User', id: o.customerId }),
    items: (o: OrderRow, _: unknown, ctx: OrderContext) => ctx.itemsByOrder.load(o.id),
    total: (o: OrderRow) => money(o.totalCents, o.currency),
    shippingAddress: (o: OrderRow) => o.shippingAddress,
  },
  OrderItem: {
    product: (i: OrderItemRow) => ({ __typename: 'Product', id: i.productId }),
    unitPrice: (i: OrderItemRow) => money(i.unitPriceCents, i.currency),
    lineTotal: (i: OrderItemRow) => money(i.unitPriceCents * i.quantity, i.currency),
  },
  User: {
    __resolveReference: (ref: { id: string }) => ({ id: ref.id }),
    orders: (u: { id: string }, a: { first?: number; after?: string }, ctx: OrderContext) => ctx.orders.forCustomer(u.id, a.first, a.after),
  },
};
