import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { MAX_CENTS } from '@palisade/kit';
import { orderTotalCents } from '../services/money.ts';

describe('order totals', () => {
  it('are taken exactly when the integer column holds them, and refused as BAD_USER_INPUT otherwise', () => {
    // What the API accepts: up to 50 lines of 1 to 100 units, each price up to the column's maximum.
    const line = fc.record({ unitPriceCents: fc.oneof(fc.integer({ min: 1, max: MAX_CENTS }), fc.integer({ min: 1, max: 100_000 })), quantity: fc.integer({ min: 1, max: 100 }) });
    fc.assert(
      fc.property(fc.array(line, { minLength: 1, maxLength: 50 }), (items) => {
        const exact = items.reduce((sum, i) => sum + BigInt(i.unitPriceCents) * BigInt(i.quantity), 0n);
        if (exact <= BigInt(MAX_CENTS)) expect(orderTotalCents(items)).toBe(Number(exact));
        else expect(() => orderTotalCents(items)).toThrow(expect.objectContaining({ extensions: { code: 'BAD_USER_INPUT', field: 'input.items' } }));
      }),
      { seed: 20261126, numRuns: 1000 },
    );
  });
});
