import { and, count, desc, eq, gte, isNotNull, isNull, lt, lte, sql, type SQL } from 'drizzle-orm';
import { badInput, notFound, type Caller } from '@palisade/auth';
import { keysetPage, buildAuditRecord, decodeCursor, POSITION_CURSOR, isUuid, pageSize, queryRows, toConnection, type Connection, type Db } from '@palisade/kit';
import { auditEvents, securityAlerts, type AuditEventRow, type SecurityAlertRow } from '../db/schema.ts';
import { appendAuditEvents } from './audit-chain.ts';

const SEVERITIES = ['LOW', 'MEDIUM', 'HIGH', 'CRITICAL'] as const;

export interface AuditFilter {
  action?: string | null;
  actorId?: string | null;
  resourceType?: string | null;
  resourceId?: string | null;
  outcome?: string | null;
  since?: Date | null;
  until?: Date | null;
}

export interface AlertFilter {
  severity?: string | null;
  type?: string | null;
  acknowledged?: boolean | null;
  since?: Date | null;
}

const short = (v: string, field: string) => {
  if (v.length > 200) throw badInput(`${field} is too long`, field);
  return v;
};

export class SecurityService {
  constructor(private readonly db: Db) {}

  async auditEvents(filter: AuditFilter | null | undefined, first?: number | null, after?: string | null): Promise<Connection<AuditEventRow>> {
    const size = pageSize(first);
    const cursor = decodeCursor(after, POSITION_CURSOR);
    const where: SQL[] = [];
    if (filter?.action) where.push(eq(auditEvents.action, short(filter.action, 'action')));
    if (filter?.actorId) {
      if (!isUuid(filter.actorId)) throw badInput('actorId is not a valid id', 'actorId');
      where.push(eq(auditEvents.actorId, filter.actorId));
    }
    if (filter?.resourceType) where.push(eq(auditEvents.resourceType, short(filter.resourceType, 'resourceType')));
    if (filter?.resourceId) where.push(eq(auditEvents.resourceId, short(filter.resourceId, 'resourceId')));
    if (filter?.outcome) where.push(eq(auditEvents.outcome, filter.outcome));
    if (filter?.since) where.push(gte(auditEvents.occurredAt, filter.since));
    if (filter?.until) where.push(lte(auditEvents.occurredAt, filter.until));
    const base = where.length ? and(...where) : undefined;
    const paged = cursor ? and(base, lt(auditEvents.seq, Number(cursor[0]))) : base;
    const [rows, [total]] = await Promise.all([
      this.db.select().from(auditEvents).where(paged).orderBy(desc(auditEvents.seq)).limit(size + 1),
      this.db.select({ n: count() }).from(auditEvents).where(base),
    ]);
    return toConnection(rows, size, total?.n ?? 0, (r) => [r.seq]);
  }

  async alerts(filter: AlertFilter | null | undefined, first?: number | null, after?: string | null): Promise<Connection<SecurityAlertRow>> {
    const where: SQL[] = [];
    if (filter?.severity) where.push(eq(securityAlerts.severity, filter.severity));
    if (filter?.type) where.push(eq(securityAlerts.type, short(filter.type, 'type')));
    if (filter?.acknowledged === true) where.push(isNotNull(securityAlerts.acknowledgedAt));
    if (filter?.acknowledged === false) where.push(isNull(securityAlerts.acknowledgedAt));
    if (filter?.since) where.push(gte(securityAlerts.createdAt, filter.since));
    return keysetPage(this.db, securityAlerts, { where: where.length ? and(...where) : undefined, first, after, direction: 'desc' });
  }

  async stats(windowHours: number | null | undefined) {
    const hours = windowHours ?? 24;
    if (!Number.isInteger(hours) || hours < 1 || hours > 720) throw badInput('windowHours must be 1 to 720', 'windowHours');
    const since = new Date(Date.now() - hours * 3_600_000).toISOString();
    const [counts] = await queryRows<{ total: number; failed: number; denied: number; limited: number }>(
      this.db,
      sql`select count(*)::int as total,
            count(*) filter (where action = 'auth.login_failed')::int as failed,
            count(*) filter (where action = 'access.denied')::int as denied,
            count(*) filter (where action = 'rate_limit.exceeded')::int as limited
          from security.audit_events where occurred_at >= ${since}::timestamptz`,
    );
    const bySeverity = await queryRows<{ severity: string; count: number }>(
      this.db,
      sql`select severity, count(*)::int as count from security.security_alerts where created_at >= ${since}::timestamptz group by severity`,
    );
    const topIps = await queryRows<{ ip: string; count: number }>(
      this.db,
      sql`select ip, count(*)::int as count from security.audit_events where occurred_at >= ${since}::timestamptz and ip is not null group by ip order by count desc, ip limit 5`,
    );
    return {
      windowHours: hours,
      timeline: await this.timeline(hours, since),
      totalEvents: counts?.total ?? 0,
      failedLogins: counts?.failed ?? 0,
      accessDenials: counts?.denied ?? 0,
      rateLimited: counts?.limited ?? 0,
      alertsBySeverity: SEVERITIES.map((severity) => ({ severity, count: bySeverity.find((s) => s.severity === severity)?.count ?? 0 })),
      topSourceIps: topIps,
    };
  }

  /** Events, failed sign-ins and alerts by severity per hour (per day past two days), oldest first, gaps as zeros. */
  private async timeline(hours: number, since: string) {
    const step = hours <= 48 ? 3_600_000 : 86_400_000;
    // Buckets as epoch seconds floored to the step: the same in every session time zone.
    const seconds = step / 1000;
    const events = await queryRows<{ bucket: string | number; events: number; failed: number }>(
      this.db,
      sql`select (floor(extract(epoch from occurred_at) / ${seconds}) * ${seconds})::bigint as bucket, count(*)::int as events, count(*) filter (where action = 'auth.login_failed')::int as failed
          from security.audit_events where occurred_at >= ${since}::timestamptz group by 1`,
    );
    const alerts = await queryRows<{ bucket: string | number; severity: string; count: number }>(
      this.db,
      sql`select (floor(extract(epoch from created_at) / ${seconds}) * ${seconds})::bigint as bucket, severity, count(*)::int as count
          from security.security_alerts where created_at >= ${since}::timestamptz group by 1, 2`,
    );
    const key = (b: string | number) => Number(b) * 1000;
    const first = Math.floor(new Date(since).getTime() / step) * step;
    const buckets = [];
    for (let start = first; start <= Date.now(); start += step) {
      const e = events.find((r) => key(r.bucket) === start);
      buckets.push({
        start: new Date(start),
        events: e?.events ?? 0,
        failedLogins: e?.failed ?? 0,
        alertsBySeverity: SEVERITIES.map((severity) => ({ severity, count: alerts.find((a) => key(a.bucket) === start && a.severity === severity)?.count ?? 0 })),
      });
    }
    return buckets;
  }

  async acknowledge(caller: Caller, id: string): Promise<SecurityAlertRow> {
    if (!isUuid(id)) throw notFound('Alert not found');
    return this.db.transaction(async (tx) => {
      const [updated] = await tx
        .update(securityAlerts)
        .set({ acknowledgedAt: new Date(), acknowledgedBy: caller.userId })
        .where(and(eq(securityAlerts.id, id), isNull(securityAlerts.acknowledgedAt)))
        .returning();
      if (updated) {
        await appendAuditEvents(tx, [buildAuditRecord('security', caller, { action: 'alert.acknowledged', outcome: 'SUCCESS', resourceType: 'SecurityAlert', resourceId: id })]);
        return updated;
      }
      const [existing] = await tx.select().from(securityAlerts).where(eq(securityAlerts.id, id));
      if (!existing) throw notFound('Alert not found');
      return existing; // already acknowledged: idempotent
    });
  }
}
