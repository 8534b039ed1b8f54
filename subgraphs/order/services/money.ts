import { badInput } from '@palisade/auth';
import { formatCents, MAX_CENTS } from '@palisade/kit';

export { money } from '@palisade/kit';

/**
 * An order's total in minor units. The total is stored in an integer column; a basket worth more than
 * it holds (50 lines of 100 at the highest price would be) is the caller's to split, said plainly.
 */
export function orderTotalCents(items: readonly { unitPriceCents: number; quantity: number }[]): number {
  const total = items.reduce((sum, i) => sum + i.unitPriceCents * i.quantity, 0);
  if (total > MAX_CENTS) throw badInput(`an order's total must be at most ${formatCents(MAX_CENTS)}`, 'input.items');
  return total;
}
