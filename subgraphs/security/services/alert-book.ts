import { randomUUID } from 'node:crypto';
import { and, countDistinct, desc, eq, gte, isNotNull, isNull, ne, sql } from 'drizzle-orm';
import { queryRows, type Db } from '@palisade/kit';
import { securityAlerts } from '../db/schema.ts';

export type Severity = 'LOW' | 'MEDIUM' | 'HIGH' | 'CRITICAL';

export interface AlertDraft {
  type: string;
  severity: Severity;
  /** Words for the alert, given how many events it stands for. */
  describe: (count: number) => string;
  sourceIp: string | null;
  userId: string | null;
  /**
   * Kind and subject: an address when the events have one, else an account. Events of one group join the
   * open (unacknowledged) alert last seen within `windowMinutes`, so a flood is one alert with a count.
   */
  groupKey: string;
  windowMinutes: number;
  /** Events a new alert starts with (those that tripped the rule), and events an open one gains. */
  initial: number;
  count: number;
}

/** Sums drafts of one group raised by one batch, so a batch adds to an alert once. */
export function mergeDrafts(drafts: AlertDraft[]): AlertDraft[] {
  const byGroup = new Map<string, AlertDraft>();
  for (const d of drafts) {
    const seen = byGroup.get(d.groupKey);
    if (!seen) byGroup.set(d.groupKey, { ...d });
    else {
      seen.initial += d.count;
      seen.count += d.count;
      if (seen.userId !== d.userId) seen.userId = null;
    }
  }
  return [...byGroup.values()];
}

/**
 * Raises an alert, or adds to the open one of its group. A lock per group makes concurrent batches (several
 * producers deliver at once) agree on one alert.
 */
export async function raiseAlert(db: Db, d: AlertDraft, maxSources = Infinity): Promise<{ id: string; created: boolean; count: number }> {
  // Only MEDIUM and LOW ones share: each address behind a HIGH or CRITICAL alert stays an alert of its own.
  const spills = d.sourceIp !== null && Number.isFinite(maxSources) && (d.severity === 'MEDIUM' || d.severity === 'LOW');
  return db.transaction(async (tx) => {
    // Per type first (always before the group's lock), so concurrent batches agree on how many addresses have one.
    if (spills) await queryRows(tx, sql`select pg_advisory_xact_lock(hashtext(${'palisade-alert-type:' + d.type}))`);
    await queryRows(tx, sql`select pg_advisory_xact_lock(hashtext(${'palisade-alert:' + d.groupKey}))`);
    const [open] = await tx
      .select({ id: securityAlerts.id, count: securityAlerts.count, userId: securityAlerts.userId })
      .from(securityAlerts)
      .where(and(eq(securityAlerts.groupKey, d.groupKey), isNull(securityAlerts.acknowledgedAt), gte(securityAlerts.lastSeenAt, sql`now() - make_interval(mins => ${d.windowMinutes})`)))
      .orderBy(desc(securityAlerts.lastSeenAt))
      .limit(1);
    if (open) {
      const count = open.count + d.count;
      await tx
        .update(securityAlerts)
        // An alert about several accounts names none of them; its address and description say what happened.
        .set({ count, lastSeenAt: sql`now()`, description: d.describe(count), userId: open.userId === d.userId ? open.userId : null })
        .where(eq(securityAlerts.id, open.id));
      return { id: open.id, created: false, count };
    }
    if (spills) {
      // Past maxSources open alerts of this type from different addresses, new addresses share one alert of the type.
      const manyKey = `${d.type}:many`;
      const recent = gte(securityAlerts.lastSeenAt, sql`now() - make_interval(mins => ${d.windowMinutes})`);
      const [sources] = await tx
        .select({ n: countDistinct(securityAlerts.sourceIp) })
        .from(securityAlerts)
        .where(and(eq(securityAlerts.type, d.type), isNull(securityAlerts.acknowledgedAt), recent, isNotNull(securityAlerts.sourceIp), ne(securityAlerts.groupKey, manyKey)));
      if ((sources?.n ?? 0) >= maxSources) {
        const [many] = await tx
          .select({ id: securityAlerts.id, count: securityAlerts.count, description: securityAlerts.description })
          .from(securityAlerts)
          .where(and(eq(securityAlerts.groupKey, manyKey), isNull(securityAlerts.acknowledgedAt), recent))
          .orderBy(desc(securityAlerts.lastSeenAt))
          .limit(1);
        const count = (many?.count ?? 0) + d.initial;
        const description = describeMany(d.type, count, many?.description ?? '', d.sourceIp!, d.initial);
        if (many) {
          await tx.update(securityAlerts).set({ count, lastSeenAt: sql`now()`, description, userId: null }).where(eq(securityAlerts.id, many.id));
          return { id: many.id, created: false, count };
        }
        const [row] = await tx
          .insert(securityAlerts)
          .values({ type: d.type, severity: d.severity, description, sourceIp: null, userId: null, groupKey: manyKey, dedupKey: `${manyKey}:${randomUUID()}`, count })
          .returning({ id: securityAlerts.id });
        return { id: row!.id, created: true, count };
      }
    }
    const [row] = await tx
      .insert(securityAlerts)
      .values({ type: d.type, severity: d.severity, description: d.describe(d.initial), sourceIp: d.sourceIp, userId: d.userId, groupKey: d.groupKey, dedupKey: `${d.groupKey}:${randomUUID()}`, count: d.initial })
      .returning({ id: securityAlerts.id });
    return { id: row!.id, created: true, count: d.initial };
  });
}

const TOP_SOURCES = 5;

/** The type-level alert's words: its count and its busiest addresses so far (kept in the description itself). */
export function describeMany(type: string, count: number, previous: string, ip: string, events: number): string {
  const top = new Map<string, number>();
  for (const [, addr, n] of (previous.split(' top sources: ')[1] ?? '').matchAll(/(\S+) ×(\d+)/g)) top.set(addr!, Number(n));
  top.set(ip, (top.get(ip) ?? 0) + events);
  const listed = [...top].sort((a, b) => b[1] - a[1]).slice(0, TOP_SOURCES).map(([a, n]) => `${a} ×${n}`);
  return `${count} ${type} events from many more addresses; top sources: ${listed.join(', ')}`;
}
