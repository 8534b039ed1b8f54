import { createHash } from 'node:crypto';
import { asc, desc, gt, inArray, sql } from 'drizzle-orm';
import { stableStringify } from '@palisade/auth';
import { queryRows, type AuditRecord, type DbOrTx, type Db } from '@palisade/kit';
import { auditEvents, type AuditEventRow } from '../db/schema.ts';
import type { AuditCheckpoint } from './audit-checkpoint.ts';

export const GENESIS_HASH = '0'.repeat(64);

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

/** The content a record's id stands for, whatever the chain around it: two deliveries of one id must agree. */
const contentHash = (r: Hashable) => auditHash('', r);

export interface AppendResult {
  stored: AuditRecord[];
  duplicate: number;
  /** Records refused while appending: an id already stored with other content, or a value Postgres refused. */
  refused: { index: number; code: 'duplicate_conflict' | 'database_refused'; reason: string }[];
}

// Data exceptions, integrity violations and program limits: about the row, not about the database being away.
const refusedByData = (err: unknown) => /^(22|23|54)/.test(String((err as { cause?: { code?: unknown } })?.cause?.code ?? (err as { code?: unknown })?.code ?? ''));

/**
 * Appends records in order, each id once, extending the hash chain. The chain lock serialises appenders, so
 * two batches never both build on the same predecessor. A record whose id is already stored is a redelivery
 * when its content is the same, and refused when it differs. Should Postgres refuse a row despite the
 * checks, the batch is appended row by row and only that row is refused.
 */
export async function appendAuditEvents(tx: DbOrTx, records: AuditRecord[]): Promise<AppendResult> {
  const result: AppendResult = { stored: [], duplicate: 0, refused: [] };
  if (!records.length) return result;
  await queryRows(tx, sql`select pg_advisory_xact_lock(hashtext('palisade-audit-chain'))`);
  const ids = [...new Set(records.map((r) => r.id))];
  const known = new Map((await tx.select().from(auditEvents).where(inArray(auditEvents.id, ids))).map((r) => [r.id, contentHash(r)]));
  const [last] = await tx.select({ hash: auditEvents.hash }).from(auditEvents).orderBy(desc(auditEvents.seq)).limit(1);
  let prev = last?.hash ?? GENESIS_HASH;
  const rows: (Hashable & { prevHash: string; hash: string; index: number; record: AuditRecord })[] = [];
  records.forEach((r, index) => {
    const row = { ...r, occurredAt: new Date(r.occurredAt), metadata: r.metadata ?? null };
    const content = contentHash(row);
    const seen = known.get(r.id);
    if (seen !== undefined) {
      if (seen === content) result.duplicate++;
      else result.refused.push({ index, code: 'duplicate_conflict', reason: 'id already stored with different content' });
      return;
    }
    known.set(r.id, content);
    const hash = auditHash(prev, row);
    rows.push({ ...row, prevHash: prev, hash, index, record: r });
    prev = hash;
  });
  const insertable = (row: (typeof rows)[number]) => {
    const { index: _i, record: _r, ...values } = row;
    return values;
  };
  try {
    if (rows.length) await tx.transaction((sp) => sp.insert(auditEvents).values(rows.map(insertable)));
    result.stored = rows.map((r) => r.record);
    return result;
  } catch (err) {
    if (!refusedByData(err)) throw err;
  }
  // Row by row, each in a savepoint, rechaining past the rows Postgres refuses.
  prev = last?.hash ?? GENESIS_HASH;
  for (const row of rows) {
    const values = { ...insertable(row), prevHash: prev, hash: auditHash(prev, row) };
    try {
      await tx.transaction((sp) => sp.insert(auditEvents).values(values));
      result.stored.push(row.record);
      prev = values.hash;
    } catch (err) {
      if (!refusedByData(err)) throw err;
      result.refused.push({ index: row.index, code: 'database_refused', reason: `the database refused the record (${String((err as { cause?: { code?: unknown } }).cause?.code ?? 'data error')})` });
    }
  }
  return result;
}

export interface ChainVerification {
  valid: boolean;
  checked: number;
  firstBrokenId: string | null;
  /** Why the trail is not valid, in words. */
  reason: string | null;
  /** The signed checkpoint the chain was held against, if any. */
  checkpoint: AuditCheckpoint | null;
}

/**
 * Recomputes the chain from the start and names the first record that does not fit it. Then holds it against
 * the latest signed checkpoint: the record at the checkpoint's count must carry the signed head hash, which
 * catches a rewrite whose hashes were all recomputed, and a deleted tail (fewer records than were signed).
 */
export async function verifyChain(db: Db, checkpoint: AuditCheckpoint | null = null): Promise<ChainVerification> {
  let prev = GENESIS_HASH;
  let checked = 0;
  let afterSeq = 0;
  let atCheckpoint: AuditEventRow | null = null;
  for (;;) {
    const batch = await db.select().from(auditEvents).where(gt(auditEvents.seq, afterSeq)).orderBy(asc(auditEvents.seq)).limit(1000);
    if (!batch.length) break;
    for (const row of batch) {
      checked++;
      if (row.prevHash !== prev || auditHash(prev, row) !== row.hash) return { valid: false, checked, firstBrokenId: row.id, reason: 'a record does not match its content or its predecessor', checkpoint };
      if (checkpoint && checked === checkpoint.count) atCheckpoint = row;
      prev = row.hash;
    }
    afterSeq = batch.at(-1)!.seq;
  }
  if (checkpoint && checked < checkpoint.count)
    return { valid: false, checked, firstBrokenId: null, reason: `${checkpoint.count - checked} records signed at ${checkpoint.signedAt} are missing`, checkpoint };
  if (checkpoint && atCheckpoint?.hash !== checkpoint.headHash)
    return { valid: false, checked, firstBrokenId: atCheckpoint?.id ?? null, reason: `the trail up to this record differs from the one signed at ${checkpoint.signedAt}`, checkpoint };
  return { valid: true, checked, firstBrokenId: null, reason: null, checkpoint };
}
