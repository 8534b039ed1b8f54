import { and, count, countDistinct, eq, gte, inArray, sql } from 'drizzle-orm';
import { SCANNER_USER_AGENT, type AuditRecord, type Db, type Logger } from '@palisade/kit';
import { auditEvents } from '../db/schema.ts';
import { mergeDrafts, raiseAlert, type AlertDraft, type Severity } from './alert-book.ts';

// Every wrong answer to a secret check: a stolen session guessing the password or the second factor is brute force too.
const FAILED_SECRETS = ['auth.login_failed', 'auth.password_change_failed', 'auth.totp_failed'];

/** Alert thresholds (DETECT_<NAME>, kit/src/config): each rule's count within its window. */
export interface DetectionThresholds {
  bruteForce: number; // failed logins per account or IP in 5 min
  stuffingAccounts: number; // distinct accounts failing from one IP in 10 min
  probing: number; // access denials for one user or one address in 5 min
  rateSpike: number; // rate-limit hits from one IP in 1 min
  maxSourcesPerType: number; // open alerts of one type from different addresses before they share one
  enumeration: number; // sign-ups refused as taken, from one IP in 10 min
}

const plural = (n: number, one: string, many: string) => (n === 1 ? one : many.replace('#', String(n)));
/** An address when the event has one (a flood from one client is one alert), else the account. */
const subject = (r: AuditRecord) => (r.ip ? `ip:${r.ip}` : r.actorId ? `acct:${r.actorId}` : `id:${r.resourceId ?? r.id}`);
const onlyActor = (rs: AuditRecord[]) => (new Set(rs.map((r) => r.actorId)).size === 1 ? (rs[0]!.actorId ?? null) : null);

function groupBy<K>(rs: AuditRecord[], key: (r: AuditRecord) => K | null | undefined): Map<K, AuditRecord[]> {
  const out = new Map<K, AuditRecord[]>();
  for (const r of rs) {
    const k = key(r);
    if (k === null || k === undefined) continue;
    out.set(k, [...(out.get(k) ?? []), r]);
  }
  return out;
}

/**
 * Turns the audit stream into alerts as it arrives. Each rule counts the window its new events fall in; its
 * alert is grouped by source address (else account), and later events of the group join the open alert as a
 * count, so neither a burst nor a flood of throwaway accounts from one address raises more than one alert.
 */
export class DetectionService {
  constructor(private readonly d: { db: Db; log: Logger; thresholds: DetectionThresholds; onAlert?: (severity: Severity, type: string) => void }) {}

  private since(minutes: number) {
    return sql`${new Date(Date.now() - minutes * 60_000).toISOString()}::timestamptz`;
  }

  private async countWhere(action: string | string[], by: 'actor' | 'ip', value: string, minutes: number) {
    const [row] = await this.d.db
      .select({ n: count() })
      .from(auditEvents)
      .where(and(Array.isArray(action) ? inArray(auditEvents.action, action) : eq(auditEvents.action, action), by === 'actor' ? eq(auditEvents.actorId, value) : eq(auditEvents.ip, value), gte(auditEvents.occurredAt, this.since(minutes))));
    return row?.n ?? 0;
  }

  async inspect(records: AuditRecord[]): Promise<number> {
    const t = this.d.thresholds;
    const drafts: AlertDraft[] = [];

    const failed = records.filter((r) => FAILED_SECRETS.includes(r.action));
    for (const [actor, rs] of groupBy(failed, (r) => r.actorId)) {
      const n = await this.countWhere(FAILED_SECRETS, 'actor', actor, 5);
      if (n >= t.bruteForce)
        drafts.push({ type: 'brute_force', severity: 'HIGH', describe: (c) => `${c} failed secret checks (password, second factor) for one account`, sourceIp: null, userId: actor, groupKey: `brute_force:acct:${actor}`, windowMinutes: 5, initial: n, count: rs.length });
    }
    for (const [ip, rs] of groupBy(failed, (r) => r.ip)) {
      const [row] = await this.d.db
        .select({ n: count(), accounts: countDistinct(sql`coalesce(${auditEvents.actorId}::text, ${auditEvents.metadata}->>'emailHash', ${auditEvents.metadata}->>'email')`) })
        .from(auditEvents)
        .where(and(inArray(auditEvents.action, FAILED_SECRETS), eq(auditEvents.ip, ip), gte(auditEvents.occurredAt, this.since(10))));
      if ((row?.n ?? 0) >= t.bruteForce)
        drafts.push({ type: 'brute_force', severity: 'HIGH', describe: (c) => `${c} failed secret checks from one address`, sourceIp: ip, userId: null, groupKey: `brute_force:ip:${ip}`, windowMinutes: 5, initial: row!.n, count: rs.length });
      if ((row?.accounts ?? 0) >= t.stuffingAccounts)
        drafts.push({ type: 'credential_stuffing', severity: 'HIGH', describe: (c) => `${c} failed sign-ins from one address across ${row!.accounts} or more accounts`, sourceIp: ip, userId: null, groupKey: `credential_stuffing:ip:${ip}`, windowMinutes: 10, initial: row!.n, count: rs.length });
    }

    for (const [key, rs] of groupBy(records.filter((r) => r.action === 'auth.refresh_reuse'), subject))
      drafts.push({
        type: 'refresh_token_reuse',
        severity: 'CRITICAL',
        describe: (c) => plural(c, 'A refresh token was used twice; the session was ended', '# refresh tokens were used twice from one source; their sessions were ended'),
        sourceIp: rs[0]!.ip,
        userId: onlyActor(rs),
        groupKey: `refresh_reuse:${key}`,
        windowMinutes: 60,
        initial: rs.length,
        count: rs.length,
      });
    for (const [key, rs] of groupBy(records.filter((r) => r.userAgent && SCANNER_USER_AGENT.test(r.userAgent)), subject))
      drafts.push({ type: 'scanner', severity: 'MEDIUM', describe: (c) => `Scanner user agent (${c} requests): ${rs[0]!.userAgent!.slice(0, 80)}`, sourceIp: rs[0]!.ip, userId: onlyActor(rs), groupKey: `scanner:${key}`, windowMinutes: 60, initial: rs.length, count: rs.length });
    for (const [key, rs] of groupBy(records.filter((r) => r.action === 'security.suspicious_input'), subject))
      drafts.push({ type: 'injection_attempt', severity: 'MEDIUM', describe: (c) => plural(c, 'Input that looks like an injection attempt', '# inputs that look like injection attempts'), sourceIp: rs[0]!.ip, userId: onlyActor(rs), groupKey: `injection:${key}`, windowMinutes: 10, initial: rs.length, count: rs.length });
    for (const [op, rs] of groupBy(records.filter((r) => r.action === 'operation.slow'), (r) => String(r.resourceId ?? '').slice(0, 60)))
      drafts.push({ type: 'slow_operation', severity: 'LOW', describe: (c) => `Slow operation ${op} (${c} times)`, sourceIp: null, userId: null, groupKey: `slow:${op}`, windowMinutes: 60, initial: rs.length, count: rs.length });

    // Denials: per address first, so many accounts probing from one client make one alert; an account
    // probing from addresses none of which tripped the rule is caught per account.
    const denied = records.filter((r) => r.action === 'access.denied');
    const hotIps = new Set<string>();
    for (const [ip, rs] of groupBy(denied, (r) => r.ip)) {
      const n = await this.countWhere('access.denied', 'ip', ip, 5);
      if (n < t.probing) continue;
      hotIps.add(ip);
      drafts.push({ type: 'privilege_probing', severity: 'HIGH', describe: (c) => `${c} access denials from one address`, sourceIp: ip, userId: onlyActor(rs), groupKey: `probing:ip:${ip}`, windowMinutes: 5, initial: n, count: rs.length });
    }
    for (const [actor, rs] of groupBy(denied, (r) => r.actorId)) {
      const elsewhere = rs.filter((r) => !r.ip || !hotIps.has(r.ip));
      if (!elsewhere.length) continue;
      const n = await this.countWhere('access.denied', 'actor', actor, 5);
      if (n >= t.probing)
        drafts.push({ type: 'privilege_probing', severity: 'HIGH', describe: (c) => `${c} access denials for one user`, sourceIp: null, userId: actor, groupKey: `probing:acct:${actor}`, windowMinutes: 5, initial: n, count: elsewhere.length });
    }
    for (const [ip, rs] of groupBy(records.filter((r) => r.action === 'rate_limit.exceeded'), (r) => r.ip)) {
      const n = await this.countWhere('rate_limit.exceeded', 'ip', ip, 1);
      if (n >= t.rateSpike)
        drafts.push({ type: 'rate_spike', severity: 'MEDIUM', describe: (c) => `${c} rate-limited requests from one address`, sourceIp: ip, userId: null, groupKey: `rate_spike:ip:${ip}`, windowMinutes: 1, initial: n, count: rs.length });
    }
    // Sign-up says "taken" (register keeps that answer for honest users): many such answers to one address
    // is someone learning which emails have accounts.
    const conflicts = (r: AuditRecord) => r.action === 'auth.register' && r.outcome === 'FAILURE' && r.metadata?.reason === 'conflict';
    for (const [ip, rs] of groupBy(records.filter(conflicts), (r) => r.ip)) {
      const [row] = await this.d.db
        .select({ n: count() })
        .from(auditEvents)
        .where(and(eq(auditEvents.action, 'auth.register'), eq(auditEvents.outcome, 'FAILURE'), sql`${auditEvents.metadata}->>'reason' = 'conflict'`, eq(auditEvents.ip, ip), gte(auditEvents.occurredAt, this.since(10))));
      if ((row?.n ?? 0) >= t.enumeration)
        drafts.push({ type: 'account_enumeration', severity: 'MEDIUM', describe: (c) => `${c} sign-ups from one address refused because the email already has an account`, sourceIp: ip, userId: null, groupKey: `account_enumeration:ip:${ip}`, windowMinutes: 10, initial: row!.n, count: rs.length });
    }
    return this.raise(drafts);
  }

  /** Raises or extends each draft's alert; answers how many new alerts appeared. */
  async raise(drafts: AlertDraft[]): Promise<number> {
    let created = 0;
    const maxSources = this.d.thresholds.maxSourcesPerType;
    for (const d of mergeDrafts(drafts)) {
      const a = await raiseAlert(this.d.db, d, maxSources);
      if (!a.created) continue;
      created++;
      this.d.log.warn({ alert: d.type, id: a.id }, 'security alert raised');
      this.d.onAlert?.(d.severity, d.type);
    }
    return created;
  }
}
