import { badInput } from '@palisade/auth';

import { isUuid } from '@palisade/kit';

export { isUuid };

export function text(value: string, field: string, min: number, max: number): string {
  const v = value.trim();
  if (v.length < min || v.length > max) throw badInput(`${field} must be ${min} to ${max} characters`, field);
  if (/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(v)) throw badInput(`${field} has control characters`, field);
  return v;
}

export function sku(value: string): string {
  const v = value.trim();
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(v)) throw badInput('sku must be 1 to 64 letters, digits, - or _', 'sku');
  return v.toUpperCase();
}

export function slug(value: string): string {
  const v = value.trim();
  if (!/^[a-z0-9]+(?:-[a-z0-9]+)*$/.test(v) || v.length > 64) throw badInput('slug must be lowercase words joined by -', 'slug');
  return v;
}

export function id(value: unknown, field: string): string {
  if (!isUuid(value)) throw badInput(`${field} is not a valid id`, field);
  return value;
}

export function count(value: number, field: string, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) throw badInput(`${field} must be an integer from ${min} to ${max}`, field);
  return value;
}
