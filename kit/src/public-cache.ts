import { randomUUID } from 'node:crypto';
import type { Store } from './store.ts';

/**
 * The catalog's version, in the store: the router's public cache serves an entry only if it was computed under
 * the version that is current. The product subgraph sets a fresh one at start and after every committed change
 * of a product, its stock or a category; until one is set the router caches nothing (a router whose store is
 * not the product subgraph's never hears of changes, so it must not cache).
 */
export const PUBLIC_CACHE_VERSION_KEY = 'public-cache:version:catalog';

/** Far longer than any entry lives (PUBLIC_CACHE_MAX_AGE_SECONDS is at most an hour); the store needs a TTL. */
const VERSION_TTL_SECONDS = 365 * 86_400;

/**
 * A random value rather than a counter: a counter that expired or was lost with Redis would start again and
 * could match entries stored before; a new random value never matches an old entry.
 */
export async function announceCatalogChange(store: Store): Promise<void> {
  await store.set(PUBLIC_CACHE_VERSION_KEY, randomUUID(), VERSION_TTL_SECONDS);
}
