import type { Quote } from './product-stock.ts';

/** Why a line cannot be bought as it stands; shown on the line, never a reason to drop it silently. */
export type CartProblem = 'unavailable' | 'out_of_stock' | 'short' | 'currency';

export interface CartLineView {
  productId: string;
  quantity: number;
  /** The catalog's price now (0 when the catalog no longer knows the product). */
  unitPriceCents: number;
  currency: string;
  problem: CartProblem | null;
  /** Stock available now, for the `short` problem's text. */
  available: number;
  name: string | null;
  /** The cart's currency, for the `currency` problem's text. */
  cartCurrency: string;
}

export interface CartView {
  lines: CartLineView[];
  /** Of the lines without a problem: what checkout would charge at today's prices. */
  subtotalCents: number;
  currency: string;
  updatedAt: Date;
  /** Moves on every change; checkout commits only the version it priced. */
  version: number;
}

export const PROBLEM_TEXT: Record<CartProblem, (l: CartLineView) => string> = {
  unavailable: () => 'This product is no longer sold',
  out_of_stock: () => 'Out of stock',
  short: (l) => `Only ${l.available} available`,
  currency: (l) => `Priced in ${l.currency}; this cart is in ${l.cartCurrency}`,
};

/**
 * A cart as the catalog sees it now: current prices, and each line that cannot be bought flagged with why. The
 * cart's currency is its oldest line's (a cart holds one), else the shop's.
 */
export function priceCart(
  lines: readonly { productId: string; quantity: number }[],
  quotes: ReadonlyMap<string, Quote>,
  meta: { updatedAt: Date; version: number; shopCurrency: string },
): CartView {
  const currency = lines.map((l) => quotes.get(l.productId)?.currency).find(Boolean) ?? meta.shopCurrency;
  const priced = lines.map((l): CartLineView => {
    const q = quotes.get(l.productId);
    const base = { productId: l.productId, quantity: l.quantity, available: q?.available ?? 0, name: q?.name ?? null, cartCurrency: currency };
    if (!q) return { ...base, unitPriceCents: 0, currency, problem: 'unavailable' };
    const problem: CartProblem | null = !q.active ? 'unavailable' : q.currency !== currency ? 'currency' : q.available <= 0 ? 'out_of_stock' : q.available < l.quantity ? 'short' : null;
    return { ...base, unitPriceCents: q.priceCents, currency: q.currency, problem };
  });
  const subtotalCents = priced.reduce((sum, l) => (l.problem ? sum : sum + l.unitPriceCents * l.quantity), 0);
  return { lines: priced, subtotalCents, currency, updatedAt: meta.updatedAt, version: meta.version };
}
