import { asc, inArray, isNull, sql } from 'drizzle-orm';
import { queryRows, type Db } from '../db.ts';
import type { Logger } from '../logger.ts';
import type { ServiceClient } from '../service-client.ts';
import type { AuditOutboxTable } from './record.ts';
import { AUDIT_BATCH_RECORDS, deliverAuditRecords, signedAuditSender, type DeliveryResult } from './delivery.ts';

export * from './delivery.ts';
export * from './buffer.ts';

export interface RelayOptions {
  service: string;
  db: Db;
  table: AuditOutboxTable;
  /** The service's client; records go to its `security` peer. */
  client: ServiceClient;
  log: Logger;
  intervalMs?: number;
}

/** What a delivery attempt says about the records it could not store, for the producer's log. */
export function reportDelivery(log: Logger, producer: string, r: DeliveryResult) {
  if (r.rejected.length)
    log.warn({ producer, rejected: r.rejected.length, reasons: [...new Set(r.rejected.map((x) => x.reason))].slice(0, 5) }, 'audit records set aside by the security subgraph (dead letters)');
  for (const u of r.undeliverable)
    log.error({ producer, id: (u.record as { id?: unknown })?.id, status: u.status }, 'audit record refused even on its own; given up');
}

/**
 * How long the relay waits before its next pass: a backlog (a full batch delivered) drains at once; otherwise
 * it polls, backing off while the security subgraph is away. A partial batch waits for the next poll too:
 * under steady traffic, going again at once sent every few records as a delivery of their own, each a signed
 * call, a verification and a chain transaction in the security subgraph, where one per interval carries them all.
 */
export function relayWait(failures: number, delivered: number, intervalMs: number): number {
  if (failures) return Math.min(5_000, 250 * 2 ** Math.min(failures, 5));
  return delivered >= AUDIT_BATCH_RECORDS ? 0 : intervalMs;
}

/**
 * Delivers outbox rows to the security subgraph in order, at least once; the receiver stores each id once
 * and answers a verdict per record, so every row is settled by one answer: stored, a duplicate, or set aside
 * in its dead-letter table. Only transient failures leave rows pending, retried with backoff.
 * One relay per database at a time (advisory lock), so replicas do not reorder each other's batches.
 */
export function startAuditRelay(o: RelayOptions) {
  let stopped = false;
  let running: Promise<void> | null = null;
  let timer: NodeJS.Timeout | null = null;
  let failures = 0;
  const send = signedAuditSender(o.client);

  const tick = async (): Promise<{ settled: number; transient: Error | null }> => {
    return o.db.transaction(async (tx) => {
      const [lock] = await queryRows<{ ok: boolean }>(tx, sql`select pg_try_advisory_xact_lock(hashtext(${'palisade-outbox:' + o.service})) as ok`);
      if (!lock?.ok) return { settled: 0, transient: null };
      const rows = await tx.select({ seq: o.table.seq, record: o.table.record }).from(o.table).where(isNull(o.table.deliveredAt)).orderBy(asc(o.table.seq)).limit(AUDIT_BATCH_RECORDS);
      if (rows.length === 0) return { settled: 0, transient: null };
      const result = await deliverAuditRecords(send, rows.map((r) => r.record));
      reportDelivery(o.log, o.service, result);
      const settled = rows.slice(0, result.settled);
      if (settled.length) await tx.update(o.table).set({ deliveredAt: new Date() }).where(inArray(o.table.seq, settled.map((r) => r.seq)));
      return { settled: settled.length, transient: result.transient };
    });
  };

  const loop = async () => {
    if (stopped) return;
    let delivered = 0;
    try {
      const r = await tick();
      delivered = r.settled;
      if (r.transient) throw r.transient;
      if (failures) o.log.info({ service: o.service }, 'audit relay recovered');
      failures = 0;
    } catch (err) {
      if (failures++ % 20 === 0) o.log.warn({ err: (err as Error).message }, 'audit relay could not deliver; will retry');
    }
    if (stopped) return;
    const wait = relayWait(failures, delivered, o.intervalMs ?? 200);
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
