import { createHash, randomBytes } from 'node:crypto';
import { asc, desc, gt, inArray, sql } from 'drizzle-orm';
import { stableStringify } from '@palisade/auth';
import { isUuid, queryRows, type AuditRecord, type DbOrTx, type Db } from '@palisade/kit';
import { auditEvents, erasedSubjects, type AuditEventRow } from '../db/schema.ts';
import type { AuditCheckpoint } from './audit-checkpoint.ts';

export const GENESIS_HASH = '0'.repeat(64);

type Hashable = Pick<AuditEventRow, 'id' | 'service' | 'action' | 'outcome' | 'actorId' | 'resourceType' | 'resourceId' | 'requestId' | 'ip' | 'userAgent' | 'metadata'> & { occurredAt: Date };

/** What every format's hash covers: the record's facts (stableStringify sorts keys, so spreading keeps the bytes). */
const facts = (r: Omit<Hashable, 'ip' | 'userAgent' | 'metadata'>) => ({
  id: r.id,
  occurredAt: r.occurredAt.toISOString(),
  service: r.service,
  action: r.action,
  outcome: r.outcome,
  actorId: r.actorId,
  resourceType: r.resourceType,
  resourceId: r.resourceId,
  requestId: r.requestId,
});

const chained = (prev: string, canonical: string) => createHash('sha256').update(prev).update('\n').update(canonical).digest('hex');

/** Format 1 (records stored before erasure existed): the hash covers the personal fields themselves. */
export function auditHash(prev: string, r: Hashable): string {
  return chained(prev, stableStringify({ ...facts(r), ip: r.ip, userAgent: r.userAgent, metadata: r.metadata ?? null }));
}

/** The fields of a record that may identify a person, and so may be erased at their request. */
type Personal = Pick<AuditEventRow, 'ip' | 'userAgent' | 'metadata'>;

/**
 * A salted commitment to the personal fields: with the salt it proves them; once the fields and the salt are
 * destroyed it says nothing about them (the salt is random, so a guessed address cannot be confirmed).
 */
export function personalDigest(p: Personal, salt: string): string {
  return createHash('sha256').update(salt).update('\n').update(stableStringify({ ip: p.ip, userAgent: p.userAgent, metadata: p.metadata ?? null })).digest('hex');
}

type HashableV2 = Omit<Hashable, keyof Personal> & { personalDigest: string };

/** Format 2: the hash covers everything but the personal fields, and the commitment to those. */
export function auditHashV2(prev: string, r: HashableV2): string {
  return chained(prev, stableStringify({ v: 2, ...facts(r), personal: r.personalDigest }));
}

type StoredRow = Hashable & Pick<AuditEventRow, 'hashVersion' | 'personalDigest' | 'personalSalt' | 'erasedAt'>;

/** The one definition of a stored record's hash, by its format, used when appending and when verifying. */
export function rowHash(prev: string, r: StoredRow): string {
  return r.hashVersion === 2 ? auditHashV2(prev, { ...r, personalDigest: r.personalDigest ?? '' }) : auditHash(prev, r);
}

/**
 * Why a record's personal fields do not fit its commitment, or null. An erased record holds none of them and
 * no salt (its digest stays, covered by the hash); a present one must match its digest under its salt.
 */
export function personalProblem(r: StoredRow): string | null {
  if (r.hashVersion !== 2) return r.hashVersion === 1 && r.personalDigest === null && r.personalSalt === null && r.erasedAt === null ? null : 'unknown hash format';
  if (!r.personalDigest) return 'no personal digest';
  if (r.erasedAt) return r.ip === null && r.userAgent === null && r.metadata === null && r.personalSalt === null ? null : 'an erased record holds personal fields';
  if (!r.personalSalt || personalDigest(r, r.personalSalt) !== r.personalDigest) return 'personal fields do not match their digest';
  return null;
}

const sameFacts = (a: Hashable, b: Hashable) =>
  a.occurredAt.getTime() === b.occurredAt.getTime() &&
  a.service === b.service &&
  a.action === b.action &&
  a.outcome === b.outcome &&
  a.actorId === b.actorId &&
  a.resourceType === b.resourceType &&
  a.resourceId === b.resourceId &&
  a.requestId === b.requestId;

/** Whether a redelivered record is the one stored under its id: two deliveries of one id must agree. */
function sameContent(stored: StoredRow, incoming: Hashable): boolean {
  if (stored.hashVersion !== 2) return auditHash('', stored) === auditHash('', incoming);
  if (!sameFacts(stored, incoming)) return false;
  // An erased record's personal part can no longer be compared: the facts agreeing makes it a redelivery.
  if (!stored.personalSalt) return true;
  return personalDigest(incoming, stored.personalSalt) === stored.personalDigest;
}

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
  const stored = new Map<string, StoredRow | Hashable>((await tx.select().from(auditEvents).where(inArray(auditEvents.id, ids))).map((r) => [r.id, r]));
  // Records about an erased account arrive erased (an outbox may deliver them after the erasure).
  const subjects = [...new Set(records.flatMap((r) => [r.actorId, r.resourceId]).filter(isUuid))];
  const erased = new Set(subjects.length ? (await tx.select({ id: erasedSubjects.subjectId }).from(erasedSubjects).where(inArray(erasedSubjects.subjectId, subjects))).map((r) => r.id) : []);
  const [last] = await tx.select({ hash: auditEvents.hash }).from(auditEvents).orderBy(desc(auditEvents.seq)).limit(1);
  let prev = last?.hash ?? GENESIS_HASH;
  const rows: (StoredRow & { prevHash: string; hash: string; index: number; record: AuditRecord })[] = [];
  records.forEach((r, index) => {
    const incoming = { ...r, occurredAt: new Date(r.occurredAt), metadata: r.metadata ?? null };
    const seen = stored.get(r.id);
    if (seen !== undefined) {
      if ('hashVersion' in seen ? sameContent(seen, incoming) : auditHash('', seen) === auditHash('', incoming)) result.duplicate++;
      else result.refused.push({ index, code: 'duplicate_conflict', reason: 'id already stored with different content' });
      return;
    }
    stored.set(r.id, incoming);
    const salt = randomBytes(16).toString('hex');
    const digest = personalDigest(incoming, salt);
    const erase = (r.actorId !== null && erased.has(r.actorId)) || (r.resourceId !== null && erased.has(r.resourceId));
    const row: StoredRow = erase
      ? { ...incoming, ip: null, userAgent: null, metadata: null, hashVersion: 2, personalDigest: digest, personalSalt: null, erasedAt: new Date() }
      : { ...incoming, hashVersion: 2, personalDigest: digest, personalSalt: salt, erasedAt: null };
    const hash = rowHash(prev, row);
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
    const values = { ...insertable(row), prevHash: prev, hash: rowHash(prev, row) };
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

/** Of the people named by a batch's erased records, those whose erasure was asked for. */
async function erasedAmong(db: Db, batch: AuditEventRow[]): Promise<Set<string>> {
  const named = [...new Set(batch.filter((r) => r.erasedAt).flatMap((r) => [r.actorId, r.resourceId]).filter(isUuid))];
  if (!named.length) return new Set();
  return new Set((await db.select({ id: erasedSubjects.subjectId }).from(erasedSubjects).where(inArray(erasedSubjects.subjectId, named))).map((r) => r.id));
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
    const erased = await erasedAmong(db, batch);
    for (const row of batch) {
      checked++;
      if (row.prevHash !== prev || rowHash(prev, row) !== row.hash) return { valid: false, checked, firstBrokenId: row.id, reason: 'a record does not match its content or its predecessor', checkpoint };
      const personal = personalProblem(row);
      if (personal) return { valid: false, checked, firstBrokenId: row.id, reason: `a record's personal fields do not fit it: ${personal}`, checkpoint };
      // The trigger lets the owner erase any record in format 2; only a person's erasure may, so one with no
      // erased person in it is an address (an intruder's, say) wiped quietly.
      if (row.erasedAt && !(erased.has(row.actorId ?? '') || erased.has(row.resourceId ?? '')))
        return { valid: false, checked, firstBrokenId: row.id, reason: "a record's personal fields were erased though nobody in it was", checkpoint };
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
