import { PUBLIC_CACHE_VERSION_KEY, type Store } from '@palisade/kit';

/** One cached answer: the result's JSON, when it was computed and under which catalog version. */
export interface Entry {
  /** The catalog version read before the answer was computed. */
  version: string;
  storedAt: number;
  body: string;
}

export interface Lookup {
  /** The catalog version now; null while the product subgraph has not announced one (caching is off then). */
  version: string | null;
  /** A live entry of that version, if any. */
  entry: Entry | null;
  /** An entry was there but computed under an older version: a change since made it stale. */
  stale: boolean;
}

/**
 * Where answers live: in the store's Redis (shared by every router replica) or, without Redis, in this
 * process, bounded by `maxEntries` (least recently stored first out). The version is always read from the
 * store, where the product subgraph bumps it after each committed change; reading both in one turn lets
 * ioredis's auto-pipelining send them in one round trip.
 */
export function cacheEntries(store: Store, o: { maxEntries: number }) {
  const memory = store.redis ? null : new Map<string, { entry: Entry; expiresAt: number }>();
  const keyOf = (key: string) => `public-cache:entry:${key}`;

  async function read(key: string): Promise<Entry | null> {
    if (!memory) {
      const raw = await store.get(keyOf(key));
      return raw ? (JSON.parse(raw) as Entry) : null;
    }
    const e = memory.get(key);
    if (!e) return null;
    if (e.expiresAt > Date.now()) return e.entry;
    memory.delete(key);
    return null;
  }

  return {
    async lookup(key: string): Promise<Lookup> {
      const [version, entry] = await Promise.all([store.get(PUBLIC_CACHE_VERSION_KEY), read(key)]);
      if (!version || !entry) return { version, entry: null, stale: false };
      return entry.version === version ? { version, entry, stale: false } : { version, entry: null, stale: true };
    },
    async save(key: string, entry: Entry, ttlSeconds: number): Promise<void> {
      if (!memory) return store.set(keyOf(key), JSON.stringify(entry), ttlSeconds);
      memory.delete(key);
      memory.set(key, { entry, expiresAt: Date.now() + ttlSeconds * 1000 });
      // Maps iterate in insertion order: the first key is the oldest stored.
      while (memory.size > o.maxEntries) memory.delete(memory.keys().next().value!);
    },
  };
}
