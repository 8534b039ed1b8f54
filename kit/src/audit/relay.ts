import { asc, inArray, isNull, sql } from 'drizzle-orm';
import type { ContextSigner } from '@palisade/auth';
import { queryRows, type Db } from '../db.ts';
import type { Logger } from '../logger.ts';
import { postSigned } from '../service-client.ts';
import type { AuditOutboxTable } from './record.ts';

export const AUDIT_INGEST_PATH = '/internal/audit';
const BATCH = 200;

export interface RelayOptions {
  service: string;
  db: Db;
  table: AuditOutboxTable;
  signer: ContextSigner;
  securityUrl: string; // the security subgraph's base URL
  log: Logger;
  intervalMs?: number;
}

/**
 * Delivers outbox rows to the security subgraph in order, at least once; the receiver stores each id once.
 * One relay per database at a time (advisory lock), so replicas do not reorder each other's batches.
 */
export function startAuditRelay(o: RelayOptions) {
  let stopped = false;
  let running: Promise<void> | null = null;
  let timer: NodeJS.Timeout | null = null;
  let failures = 0;

  const tick = async (): Promise<number> => {
    return o.db.transaction(async (tx) => {
      const [lock] = await queryRows<{ ok: boolean }>(tx, sql`select pg_try_advisory_xact_lock(hashtext(${'palisade-outbox:' + o.service})) as ok`);
      if (!lock?.ok) return 0;
      const rows = await tx.select({ seq: o.table.seq, record: o.table.record }).from(o.table).where(isNull(o.table.deliveredAt)).orderBy(asc(o.table.seq)).limit(BATCH);
      if (rows.length === 0) return 0;
      await postSigned(o.signer, 'security', o.securityUrl + AUDIT_INGEST_PATH, { events: rows.map((r) => r.record) });
      await tx.update(o.table).set({ deliveredAt: new Date() }).where(inArray(o.table.seq, rows.map((r) => r.seq)));
      return rows.length;
    });
  };

  const loop = async () => {
    if (stopped) return;
    let delivered = 0;
    try {
      delivered = await tick();
      if (failures) o.log.info({ service: o.service }, 'audit relay recovered');
      failures = 0;
    } catch (err) {
      if (failures++ % 20 === 0) o.log.warn({ err: (err as Error).message }, 'audit relay could not deliver; will retry');
    }
    if (stopped) return;
    // Drain a backlog at once; otherwise poll, backing off while the security subgraph is away.
    const wait = delivered === BATCH ? 0 : failures ? Math.min(5_000, 250 * 2 ** Math.min(failures, 5)) : (o.intervalMs ?? 200);
    timer = setTimeout(() => (running = loop()), wait);
  };
  running = loop();

  return {
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running?.catch(() => {});
    },
  };
}
