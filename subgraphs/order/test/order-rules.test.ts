import { describe, expect, it } from 'vitest';
import { address, orderLines } from '../services/validation.ts';

const P1 = '00000000-0000-4000-8000-000000000001';
const P2 = '00000000-0000-4000-8000-000000000002';

describe('order input', () => {
  it('merges repeated products into one line in a stable order', () => {
    expect(orderLines([{ productId: P2, quantity: 1 }, { productId: P1, quantity: 2 }, { productId: P2, quantity: 3 }])).toEqual([
      { productId: P1, quantity: 2 },
      { productId: P2, quantity: 4 },
    ]);
  });

  it('refuses empty baskets, bad ids and silly quantities', () => {
    expect(() => orderLines([])).toThrow(/1 to 50 items/);
    expect(() => orderLines([{ productId: 'x', quantity: 1 }])).toThrow(/productId/);
    expect(() => orderLines([{ productId: P1, quantity: 0 }])).toThrow(/quantity/);
    expect(() => orderLines([{ productId: P1, quantity: 1.5 }])).toThrow(/quantity/);
    expect(() => orderLines([{ productId: P1, quantity: 60 }, { productId: P1, quantity: 60 }])).toThrow(/quantity/);
  });

  it('validates the shipping address and normalises the country', () => {
    expect(address({ line1: ' 1 Main St ', city: 'Springfield', postalCode: '12345', country: 'us' })).toEqual({
      line1: '1 Main St', line2: null, city: 'Springfield', region: null, postalCode: '12345', country: 'US',
    });
    expect(() => address({ line1: '1 Main St', city: 'X', postalCode: '1', country: 'USA' })).toThrow(/country/);
    expect(() => address({ line1: '', city: 'X', postalCode: '1', country: 'US' })).toThrow(/line1/);
  });
});
