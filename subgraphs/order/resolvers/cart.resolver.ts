import type { Resolvers } from '../generated/resolvers.ts';
import { PROBLEM_TEXT } from '../services/cart-view.ts';
import { money } from '../services/money.ts';

export const cartResolvers = {
  Query: {
    myCart: (_, __, ctx) => ctx.carts.view(ctx.caller),
  },
  Mutation: {
    addToCart: (_, a, ctx) => ctx.carts.addToCart(ctx.caller, a.productId, a.quantity),
    setCartQuantity: (_, a, ctx) => ctx.carts.setQuantity(ctx.caller, a.productId, a.quantity),
    clearCart: (_, __, ctx) => ctx.carts.clear(ctx.caller),
    checkout: (_, a, ctx) => ctx.carts.checkout(ctx.caller, a.input),
  },
  Cart: {
    subtotal: (c) => money(c.subtotalCents, c.currency),
  },
  CartLine: {
    product: (l) => ({ __typename: 'Product', id: l.productId }),
    unitPrice: (l) => money(l.unitPriceCents, l.currency),
    lineTotal: (l) => money(l.unitPriceCents * l.quantity, l.currency),
    problem: (l) => (l.problem ? PROBLEM_TEXT[l.problem](l) : null),
  },
} satisfies Resolvers;
