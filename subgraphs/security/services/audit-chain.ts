import { createHash } from 'node:crypto';
import { asc, desc, gt, inArray, sql } from 'drizzle-orm';
import { badInput, stableStringify } from '@palisade/auth';
import { isUuid, queryRows, type AuditRecord, type DbOrTx, type Db } from '@palisade/kit';
import { auditEvents, type AuditEventRow } from '../db/schema.ts';

export const GENESIS_HASH = '0'.repeat(64);
const MAX_BATCH = 500;
const OUTCOMES = new Set(['SUCCESS', 'DENIED', 'FAILURE']);

type Hashable = Pick<AuditEventRow, 'id' | 'service' | 'action' | 'outcome' | 'actorId' | 'resourceType' | 'resourceId' | 'requestId' | 'ip' | 'userAgent' | 'metadata'> & { occurredAt: Date };

/** The one definition of a record's hash, used when appending and when verifying. */
export function auditHash(prev: string, r: Hashable): string {
  const canonical = stableStringify({
    id: r.id,
    occurredAt: r.occurredAt.toISOString(),
    service: r.service,
    action: r.action,
    outcome: r.outcome,
    actorId: r.actorId,
    resourceType: r.resourceType,
    resourceId: r.resourceId,
    requestId: r.requestId,
    ip: r.ip,
    userAgent: r.userAgent,
    metadata: r.metadata ?? null,
  });
  return createHash('sha256').update(prev).update('\n').update(canonical).digest('hex');
}

const str = (v: unknown, max: number) => (v === null || v === undefined ? null : typeof v === 'string' && v.length <= max ? v : undefined);

/** Signed by a trusted service, but still input: the whole batch is refused if any record is malformed. */
export function parseAuditBatch(body: unknown): AuditRecord[] {
  const events = (body as { events?: unknown })?.events;
  if (!Array.isArray(events) || events.length > MAX_BATCH) throw badInput(`events must be a list of at most ${MAX_BATCH}`);
  return events.map((e: Record<string, unknown>) => {
    const r = {
      id: e?.id,
      occurredAt: e?.occurredAt,
      service: str(e?.service, 40),
      action: str(e?.action, 80),
      outcome: e?.outcome,
      actorId: e?.actorId ?? null,
      resourceType: str(e?.resourceType, 80),
      resourceId: str(e?.resourceId, 200),
      requestId: str(e?.requestId, 100),
      ip: str(e?.ip, 64),
      userAgent: str(e?.userAgent, 512),
      metadata: e?.metadata ?? null,
    };
    const when = typeof r.occurredAt === 'string' ? new Date(r.occurredAt) : null;
    const ok =
      isUuid(r.id) && when && !Number.isNaN(when.getTime()) && r.service && r.action && typeof r.outcome === 'string' && OUTCOMES.has(r.outcome) &&
      (r.actorId === null || isUuid(r.actorId)) &&
      [r.resourceType, r.resourceId, r.requestId, r.ip, r.userAgent].every((x) => x !== undefined) &&
      (r.metadata === null || (typeof r.metadata === 'object' && !Array.isArray(r.metadata) && JSON.stringify(r.metadata).length <= 8_000));
    if (!ok) throw badInput('malformed audit record');
    return r as AuditRecord;
  });
}

/**
 * Appends records in order, each id once, extending the hash chain. The chain lock serialises
 * appenders, so two batches never both build on the same predecessor.
 */
export async function appendAuditEvents(tx: DbOrTx, records: AuditRecord[]): Promise<number> {
  if (!records.length) return 0;
  await queryRows(tx, sql`select pg_advisory_xact_lock(hashtext('palisade-audit-chain'))`);
  const ids = records.map((r) => r.id);
  const seen = new Set((await tx.select({ id: auditEvents.id }).from(auditEvents).where(inArray(auditEvents.id, ids))).map((r) => r.id));
  const [last] = await tx.select({ hash: auditEvents.hash }).from(auditEvents).orderBy(desc(auditEvents.seq)).limit(1);
  let prev = last?.hash ?? GENESIS_HASH;
  const rows = [];
  for (const r of records) {
    if (seen.has(r.id)) continue;
    seen.add(r.id);
    const row = { ...r, occurredAt: new Date(r.occurredAt), metadata: r.metadata ?? null };
    const hash = auditHash(prev, row);
    rows.push({ ...row, prevHash: prev, hash });
    prev = hash;
  }
  if (rows.length) await tx.insert(auditEvents).values(rows);
  return rows.length;
}

/** Recomputes the chain from the start and names the first record that does not fit it. */
export async function verifyChain(db: Db): Promise<{ valid: boolean; checked: number; firstBrokenId: string | null }> {
  let prev = GENESIS_HASH;
  let checked = 0;
  let afterSeq = 0;
  for (;;) {
    const batch = await db.select().from(auditEvents).where(gt(auditEvents.seq, afterSeq)).orderBy(asc(auditEvents.seq)).limit(1000);
    if (!batch.length) return { valid: true, checked, firstBrokenId: null };
    for (const row of batch) {
      checked++;
      if (row.prevHash !== prev || auditHash(prev, row) !== row.hash) return { valid: false, checked, firstBrokenId: row.id };
      prev = row.hash;
    }
    afterSeq = batch.at(-1)!.seq;
  }
}
