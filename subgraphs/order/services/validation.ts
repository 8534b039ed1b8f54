import { badInput } from '@palisade/auth';
import type { AddressValue } from '../db/schema.ts';

import { isUuid } from '@palisade/kit';

export { isUuid };

const CONTROL = /[\u0000-\u001f\u007f]/;
function line(value: string | null | undefined, field: string, required: boolean, max = 200): string | null {
  const v = value?.trim() ?? '';
  if (!v) {
    if (required) throw badInput(`shippingAddress.${field} is required`, `shippingAddress.${field}`);
    return null;
  }
  if (v.length > max || CONTROL.test(v)) throw badInput(`shippingAddress.${field} must be at most ${max} printable characters`, `shippingAddress.${field}`);
  return v;
}

export function address(input: Partial<AddressValue>): AddressValue {
  const country = (input.country ?? '').trim().toUpperCase();
  if (!/^[A-Z]{2}$/.test(country)) throw badInput('shippingAddress.country must be an ISO 3166-1 alpha-2 code', 'shippingAddress.country');
  return {
    line1: line(input.line1, 'line1', true)!,
    line2: line(input.line2, 'line2', false),
    city: line(input.city, 'city', true, 100)!,
    region: line(input.region, 'region', false, 100),
    postalCode: line(input.postalCode, 'postalCode', true, 20)!,
    country,
  };
}

export interface OrderLine {
  productId: string;
  quantity: number;
}

/** Same product twice becomes one line; sorted so the same basket always hashes the same. */
export function orderLines(items: OrderLine[]): OrderLine[] {
  if (!Array.isArray(items) || items.length < 1 || items.length > 50) throw badInput('an order has 1 to 50 items', 'items');
  const merged = new Map<string, number>();
  for (const i of items) {
    if (!isUuid(i.productId)) throw badInput('productId is not a valid id', 'items.productId');
    if (!Number.isInteger(i.quantity) || i.quantity < 1 || i.quantity > 100) throw badInput('quantity must be 1 to 100', 'items.quantity');
    merged.set(i.productId, (merged.get(i.productId) ?? 0) + i.quantity);
  }
  for (const q of merged.values()) if (q > 100) throw badInput('quantity must be 1 to 100 per product', 'items.quantity');
  return [...merged].map(([productId, quantity]) => ({ productId, quantity })).sort((a, b) => a.productId.localeCompare(b.productId));
}

export function idempotencyKey(key: string | null | undefined): string | null {
  if (key === null || key === undefined) return null;
  const k = key.trim();
  if (!k || k.length > 100 || CONTROL.test(k)) throw badInput('idempotencyKey must be 1 to 100 printable characters', 'idempotencyKey');
  return k;
}
