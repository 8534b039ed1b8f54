import type { Resolvers } from '../generated/resolvers.ts';
import { PROBLEM_TEXT, type CartView } from '../services/cart-view.ts';
import { money } from '../services/money.ts';

// One cart view per request: each alias of myCart would otherwise load the cart and ask the catalog again,
// 30 catalog calls of up to 50 products for one request. A query changes nothing, so they all see the same.
const viewed = new WeakMap<object, Promise<CartView>>();

export const cartResolvers = {
  Query: {
    myCart: (_, __, ctx) => {
      let view = viewed.get(ctx);
      if (!view) viewed.set(ctx, (view = ctx.carts.view(ctx.caller)));
      return view;
    },
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
