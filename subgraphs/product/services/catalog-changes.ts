import type { AuditWriter, Db, Logger } from '@palisade/kit';

/**
 * Tells the router's public cache that the catalog changed, after the change is committed: every change of a
 * product, its stock or a category writes its audit record in its transaction, so a transaction that wrote one
 * announces once it has committed. Announcing before the commit would let a router cache the old answer under
 * the new version. A failed announcement is logged; cached answers then live at most PUBLIC_CACHE_MAX_AGE_SECONDS.
 */
export function announcingChanges(d: { db: Db; audit: AuditWriter; announce: () => Promise<void>; log: Logger }): { db: Db; audit: AuditWriter } {
  const changed = new WeakSet<object>();
  const announce = () => d.announce().catch((err: Error) => d.log.warn({ err: err.message }, 'catalog change not announced to the public cache'));
  const audit: AuditWriter = async (tx, caller, input) => {
    await d.audit(tx, caller, input);
    // Outside a transaction the write is already committed.
    if (tx === d.db) await announce();
    else changed.add(tx);
  };
  const transaction: Db['transaction'] = async (run, config) => {
    let seen: object | null = null;
    const result = await d.db.transaction((tx) => {
      seen = tx;
      return run(tx);
    }, config);
    if (seen && changed.has(seen)) await announce();
    return result;
  };
  const db = new Proxy(d.db, {
    get(target, prop) {
      if (prop === 'transaction') return transaction;
      const value = Reflect.get(target, prop, target) as unknown;
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return { db, audit };
}
