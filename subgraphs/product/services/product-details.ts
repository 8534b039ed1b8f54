import { badInput } from '@palisade/auth';
import type { ProductAttribute } from '../db/schema.ts';

export const MAX_BRAND = 100;
export const MAX_ATTRIBUTES = 30;
export const MAX_ATTRIBUTE_NAME = 50;
export const MAX_ATTRIBUTE_VALUE = 200;
export const MAX_IMAGE_URLS = 10;
export const MAX_IMAGE_URL = 2048;

// Whitespace and control characters anywhere: URL parsers silently drop some of them, so what we checked would
// not be what a browser fetches.
const UNSAFE_CHARS = /[\s\u0000-\u001f\u007f-\u009f]/;

function plain(value: string, path: string, min: number, max: number): string {
  const v = value.trim();
  if (v.length < min || v.length > max) throw badInput(`${path} must be ${min} to ${max} characters`, path);
  if (/[\u0000-\u001f\u007f-\u009f]/.test(v)) throw badInput(`${path} has control characters`, path);
  return v;
}

/** An empty brand is no brand. */
export function brand(value: string): string | null {
  return plain(value, 'input.brand', 0, MAX_BRAND) || null;
}

/** Names are unique case-insensitively: "Colour" and "colour" would show as one fact with two values. */
export function attributes(list: readonly { name: string; value: string }[]): ProductAttribute[] {
  if (list.length > MAX_ATTRIBUTES) throw badInput(`input.attributes holds at most ${MAX_ATTRIBUTES}`, 'input.attributes');
  const seen = new Set<string>();
  return list.map((a, i) => {
    const name = plain(a.name, `input.attributes.${i}.name`, 1, MAX_ATTRIBUTE_NAME);
    const value = plain(a.value, `input.attributes.${i}.value`, 1, MAX_ATTRIBUTE_VALUE);
    const key = name.toLowerCase();
    if (seen.has(key)) throw badInput(`input.attributes.${i}.name repeats an earlier name`, `input.attributes.${i}.name`);
    seen.add(key);
    return { name, value };
  });
}

/**
 * Only absolute https URLs with a host, as written (no "https:host" or backslash forms the WHATWG parser
 * repairs), without user or password: an image URL is shown to everyone and must not carry credentials or run
 * anything (javascript:, data: and every other scheme are refused). Stored in the parser's normal form.
 */
export function imageUrl(value: string, path: string): string {
  const bad = (why: string) => badInput(`${path} ${why}`, path);
  if (value.length > MAX_IMAGE_URL) throw bad(`must be at most ${MAX_IMAGE_URL} characters`);
  if (UNSAFE_CHARS.test(value)) throw bad('must not contain spaces or control characters');
  if (!/^https:\/\/[^/\\?#]/i.test(value)) throw bad('must be an https URL');
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw bad('is not a valid URL');
  }
  if (url.protocol !== 'https:' || !url.hostname) throw bad('must be an https URL');
  if (url.username || url.password || /^https:\/\/[^/?#]*@/i.test(value)) throw bad('must not contain a user or password');
  if (url.href.length > MAX_IMAGE_URL) throw bad(`must be at most ${MAX_IMAGE_URL} characters`);
  return url.href;
}

export function imageUrls(list: readonly string[]): string[] {
  if (list.length > MAX_IMAGE_URLS) throw badInput(`input.imageUrls holds at most ${MAX_IMAGE_URLS}`, 'input.imageUrls');
  return list.map((u, i) => imageUrl(u, `input.imageUrls.${i}`));
}
