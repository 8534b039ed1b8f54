// Small value rules every subgraph applies the same way.
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const isUuid = (s: unknown): s is string => typeof s === 'string' && UUID.test(s);

/** What an integer (int4) column holds: prices, totals and stock are kept in such columns. */
export const MAX_INT4 = 2_147_483_647;
/** The largest amount of money, in minor units, a price or an order total may be: 21,474,836.47. */
export const MAX_CENTS = MAX_INT4;

/** Minor units to the contract's Money: amount is a decimal string, never a float. */
export const formatCents = (cents: number) => `${cents < 0 ? '-' : ''}${Math.trunc(Math.abs(cents) / 100)}.${String(Math.abs(cents) % 100).padStart(2, '0')}`;
export const money = (cents: number, currency: string) => ({ amount: formatCents(cents), currency });
