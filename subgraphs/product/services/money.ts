import { badInput } from '@palisade/auth';
import { formatCents, MAX_CENTS } from '@palisade/kit';

const DECIMAL = /^\d{1,9}(\.\d{1,2})?$/;
const CURRENCY = /^[A-Z]{3}$/;

/** "19.9" → 1990. Strings in, integers stored: no float ever touches a price. */
export function parsePrice(value: string, field = 'price'): number {
  const v = value.trim();
  if (!DECIMAL.test(v)) throw badInput(`${field} must be a positive decimal with at most two places`, field);
  const [whole, frac = ''] = v.split('.');
  const cents = Number(whole) * 100 + Number(frac.padEnd(2, '0'));
  if (cents <= 0) throw badInput(`${field} must be greater than zero`, field);
  if (cents > MAX_CENTS) throw badInput(`${field} must be at most ${formatCents(MAX_CENTS)}`, field);
  return cents;
}

export function parseCurrency(value: string): string {
  const c = value.trim().toUpperCase();
  if (!CURRENCY.test(c)) throw badInput('currency must be an ISO 4217 code such as USD', 'currency');
  return c;
}

export { formatCents, money } from '@palisade/kit';
