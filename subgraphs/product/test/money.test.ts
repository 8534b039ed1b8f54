import { describe, expect, it } from 'vitest';
import { formatCents, parseCurrency, parsePrice } from '../services/money.ts';

describe('money', () => {
  it('parses decimal strings into exact minor units', () => {
    expect(parsePrice('19.99')).toBe(1999);
    expect(parsePrice('19.9')).toBe(1990);
    expect(parsePrice('7')).toBe(700);
    expect(parsePrice('0.10')).toBe(10);
    expect(formatCents(1999)).toBe('19.99');
    expect(formatCents(700)).toBe('7.00');
  });

  it('refuses floats with more places, negatives, zero, exponents and junk', () => {
    for (const bad of ['19.999', '-1.00', '0', '0.00', '1e3', 'abc', '', '1,50']) expect(() => parsePrice(bad), bad).toThrow(/price/);
  });

  it('accepts ISO 4217-shaped currency codes only', () => {
    expect(parseCurrency('usd')).toBe('USD');
    expect(() => parseCurrency('US')).toThrow(/currency/);
    expect(() => parseCurrency('DOLLARS')).toThrow(/currency/);
  });
});
