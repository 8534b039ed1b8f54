import { and, count, countDistinct, eq, gte, sql } from 'drizzle-orm';
import { envInt, type AuditRecord, type Db, type Logger } from '@palisade/kit';
import { auditEvents, securityAlerts } from '../db/schema.ts';

type Severity = 'LOW' | 'MEDIUM' | 'HIGH' | 'CRITICAL';
interface AlertDraft {
  type: string;
  severity: Severity;
  description: string;
  sourceIp: string | null;
  userId: string | null;
  /** One alert per kind, subject and window. */
  dedupKey: string;
}

const SCANNERS = /\b(sqlmap|nikto|nmap|dirb|gobuster|burp(suite)?)\b/i;
const bucket = (minutes: number) => Math.floor(Date.now() / (minutes * 60_000));

/** Thresholds, each configurable: DETECT_<NAME>. */
export const thresholds = () => ({
  bruteForce: envInt('DETECT_BRUTE_FORCE_FAILURES', 5), // failed logins per account or IP in 5 min
  stuffingAccounts: envInt('DETECT_STUFFING_ACCOUNTS', 10), // distinct accounts failing from one IP in 10 min
  probing: envInt('DETECT_PROBING_DENIALS', 5), // access denials for one user in 5 min
  rateSpike: envInt('DETECT_RATE_SPIKE_EVENTS', 20), // rate-limit hits from one IP in 1 min
});

/**
 * Turns the audit stream into alerts as it arrives. Each rule looks at the window its new events fall in,
 * so a burst raises one alert, not one per event.
 */
export class DetectionService {
  constructor(private readonly d: { db: Db; log: Logger; onAlert?: (severity: Severity, type: string) => void }) {}

  async inspect(records: AuditRecord[]): Promise<number> {
    const t = thresholds();
    const drafts: AlertDraft[] = [];
    const since = (minutes: number) => new Date(Date.now() - minutes * 60_000).toISOString();
    const failed = records.filter((r) => r.action === 'auth.login_failed');
    for (const actor of new Set(failed.map((r) => r.actorId).filter(Boolean) as string[])) {
      const [n] = await this.d.db.select({ n: count() }).from(auditEvents).where(and(eq(auditEvents.action, 'auth.login_failed'), eq(auditEvents.actorId, actor), gte(auditEvents.occurredAt, sql`${since(5)}::timestamptz`)));
      if ((n?.n ?? 0) >= t.bruteForce)
        drafts.push({ type: 'brute_force', severity: 'HIGH', description: `${n!.n} failed sign-ins for one account in 5 minutes`, sourceIp: null, userId: actor, dedupKey: `brute_force:acct:${actor}:${bucket(5)}` });
    }
    for (const ip of new Set(failed.map((r) => r.ip).filter(Boolean) as string[])) {
      const [row] = await this.d.db
        .select({ n: count(), accounts: countDistinct(sql`coalesce(${auditEvents.actorId}::text, ${auditEvents.metadata}->>'email')`) })
        .from(auditEvents)
        .where(and(eq(auditEvents.action, 'auth.login_failed'), eq(auditEvents.ip, ip), gte(auditEvents.occurredAt, sql`${since(10)}::timestamptz`)));
      if ((row?.n ?? 0) >= t.bruteForce)
        drafts.push({ type: 'brute_force', severity: 'HIGH', description: `${row!.n} failed sign-ins from one address`, sourceIp: ip, userId: null, dedupKey: `brute_force:ip:${ip}:${bucket(5)}` });
      if ((row?.accounts ?? 0) >= t.stuffingAccounts)
        drafts.push({ type: 'credential_stuffing', severity: 'HIGH', description: `${row!.accounts} different accounts failing from one address`, sourceIp: ip, userId: null, dedupKey: `credential_stuffing:${ip}:${bucket(10)}` });
    }
    for (const r of records.filter((x) => x.action === 'auth.refresh_reuse'))
      drafts.push({ type: 'refresh_token_reuse', severity: 'CRITICAL', description: 'A refresh token was used twice; the session was ended', sourceIp: r.ip, userId: r.actorId, dedupKey: `refresh_reuse:${r.resourceId ?? r.id}` });
    for (const r of records.filter((x) => x.userAgent && SCANNERS.test(x.userAgent)))
      drafts.push({ type: 'scanner', severity: 'MEDIUM', description: `Scanner user agent: ${r.userAgent!.slice(0, 80)}`, sourceIp: r.ip, userId: r.actorId, dedupKey: `scanner:${r.ip}:${bucket(60)}` });
    for (const r of records.filter((x) => x.action === 'security.suspicious_input'))
      drafts.push({ type: 'injection_attempt', severity: 'MEDIUM', description: 'Input that looks like an injection attempt', sourceIp: r.ip, userId: r.actorId, dedupKey: `injection:${r.ip}:${bucket(10)}` });
    for (const r of records.filter((x) => x.action === 'operation.slow'))
      drafts.push({ type: 'slow_operation', severity: 'LOW', description: `Slow operation ${String(r.resourceId ?? '').slice(0, 60)}`, sourceIp: null, userId: null, dedupKey: `slow:${r.resourceId}:${bucket(60)}` });
    for (const actor of new Set(records.filter((x) => x.action === 'access.denied' && x.actorId).map((x) => x.actorId!))) {
      const [n] = await this.d.db.select({ n: count() }).from(auditEvents).where(and(eq(auditEvents.action, 'access.denied'), eq(auditEvents.actorId, actor), gte(auditEvents.occurredAt, sql`${since(5)}::timestamptz`)));
      if ((n?.n ?? 0) >= t.probing)
        drafts.push({ type: 'privilege_probing', severity: 'HIGH', description: `${n!.n} access denials for one user in 5 minutes`, sourceIp: null, userId: actor, dedupKey: `probing:${actor}:${bucket(5)}` });
    }
    for (const ip of new Set(records.filter((x) => x.action === 'rate_limit.exceeded' && x.ip).map((x) => x.ip!))) {
      const [n] = await this.d.db.select({ n: count() }).from(auditEvents).where(and(eq(auditEvents.action, 'rate_limit.exceeded'), eq(auditEvents.ip, ip), gte(auditEvents.occurredAt, sql`${since(1)}::timestamptz`)));
      if ((n?.n ?? 0) >= t.rateSpike)
        drafts.push({ type: 'rate_spike', severity: 'MEDIUM', description: `${n!.n} rate-limited requests from one address in a minute`, sourceIp: ip, userId: null, dedupKey: `rate_spike:${ip}:${bucket(1)}` });
    }
    if (!drafts.length) return 0;
    const created = await this.d.db.insert(securityAlerts).values(drafts).onConflictDoNothing().returning({ id: securityAlerts.id, type: securityAlerts.type, severity: securityAlerts.severity });
    for (const a of created) {
      this.d.log.warn({ alert: a.type, id: a.id }, 'security alert raised');
      this.d.onAlert?.(a.severity as Severity, a.type);
    }
    return created.length;
  }
}
