import { desc, eq, or, sql } from 'drizzle-orm';
import { badInput } from '@palisade/auth';
import { isUuid, queryRows, type Db } from '@palisade/kit';
import { auditEvents, erasedSubjects, securityAlerts } from '../db/schema.ts';

/** Paths of the internal routes the user subgraph calls for its customers' data rights. */
export const SUBJECT_EXPORT_PATH = '/internal/data-rights/export';
export const SUBJECT_ERASE_PATH = '/internal/data-rights/erase';

const subjectOf = (payload: unknown): string => {
  const id = (payload as { userId?: unknown } | null)?.userId;
  if (!isUuid(id)) throw badInput('userId must be a UUID', 'userId');
  return id;
};

/**
 * A person's audit records (those they did, or that were done to their account), newest first, at most
 * `limit`: `capped` says there were more.
 */
export async function exportSubject(db: Db, payload: unknown) {
  const id = subjectOf(payload);
  // A whole number: a fraction would reach the LIMIT parameter and fail there as a database error.
  const limit = Math.min(Math.max(Math.trunc(Number((payload as { limit?: unknown }).limit)) || 500, 1), 5000);
  const rows = await db
    .select({
      id: auditEvents.id,
      occurredAt: auditEvents.occurredAt,
      service: auditEvents.service,
      action: auditEvents.action,
      outcome: auditEvents.outcome,
      actorId: auditEvents.actorId,
      resourceType: auditEvents.resourceType,
      resourceId: auditEvents.resourceId,
      ip: auditEvents.ip,
      userAgent: auditEvents.userAgent,
      metadata: auditEvents.metadata,
    })
    .from(auditEvents)
    .where(or(eq(auditEvents.actorId, id), eq(auditEvents.resourceId, id)))
    .orderBy(desc(auditEvents.seq))
    .limit(limit + 1);
  // A record about them made by someone else (an administrator changing their roles) is theirs to see, but
  // the other person's address, user agent and id are not: those are left out.
  const events = rows.slice(0, limit).map((r) => (r.actorId === id ? r : { ...r, actorId: null, ip: null, userAgent: null, byAnother: r.actorId !== null }));
  return { events, capped: rows.length > limit };
}

/**
 * Erases a person's personal data here: marks them erased (records about them that arrive later are stored
 * erased), erases the ip, user agent and metadata of their records in hash format 2 through the one
 * function allowed to (the chain still verifies: those records' hashes cover a commitment, not the fields),
 * and the address of their alerts. Idempotent: a second call finds nothing left and answers the same.
 * Records in format 1 (stored before this existed) cannot be erased without breaking the chain; they are
 * counted and kept.
 */
export async function eraseSubject(db: Db, payload: unknown) {
  const id = subjectOf(payload);
  return db.transaction(async (tx) => {
    // The appenders' lock: a batch being appended now either commits before (and its records are erased
    // below) or sees the person marked erased (and stores them erased); none slips between the two.
    await queryRows(tx, sql`select pg_advisory_xact_lock(hashtext('palisade-audit-chain'))`);
    await tx.insert(erasedSubjects).values({ subjectId: id }).onConflictDoNothing();
    const [erased] = await queryRows<{ n: number }>(tx, sql`select security.erase_audit_subject(${id}::uuid) as n`);
    // An alert's keys name its subject (`scanner:ip:<address>`) and a scanner's description quotes the user
    // agent: those go with the address. Without a group the alert joins no later one; its kind and counts stay.
    await tx
      .update(securityAlerts)
      .set({
        sourceIp: null,
        groupKey: null,
        dedupKey: sql`'erased:' || ${securityAlerts.id}::text`,
        description: sql`case when ${securityAlerts.type} = 'scanner' then 'Scanner user agent (erased)' else ${securityAlerts.description} end`,
      })
      .where(eq(securityAlerts.userId, id));
    const [kept] = await queryRows<{ n: number }>(
      tx,
      sql`select count(*)::int as n from security.audit_events where hash_version = 1 and (actor_id = ${id}::uuid or resource_id = ${id})`,
    );
    return { erased: true, records: erased?.n ?? 0, legacyKept: kept?.n ?? 0 };
  });
}
