import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { queryRows } from '@palisade/kit';
import { eventually, waitFor } from '@palisade/kit/testing/index';
import { createTestEnvironment, login, type TestEnvironment } from './harness/supergraph.ts';
import { codesOf, type GraphQLClient } from './harness/client.ts';

let env: TestEnvironment;
let auditor: GraphQLClient;
let n = 1;
const ip = () => `203.0.113.${n++}`;
beforeAll(async () => {
  env = await createTestEnvironment({ config: { trustProxyHops: 1 } });
  const a = await env.asCustomer('Auditor');
  await (await env.asAdmin()).ok('mutation($id: ID!) { setUserRoles(userId: $id, roles: [AUDITOR]) { id } }', { id: a.userId });
  auditor = env.asAnonymous().withToken((await login(env.asAnonymous(), a.email, a.password)).accessToken);
});
afterAll(async () => env?.stop());

type Alert = { id: string; type: string; severity: string; sourceIp: string | null; user: { id: string } | null; acknowledgedAt: string | null };
/** Polls for an alert, as an analyst watching Sandbox would; alerts arrive within seconds (null if none came). */
async function alert(type: string, match: (a: Alert) => boolean = () => true): Promise<Alert | null> {
  return eventually(async () => {
    const r = await auditor.ok<{ securityAlerts: { edges: { node: Alert }[] } }>('query($t: String) { securityAlerts(filter: { type: $t }, first: 50) { edges { node { id type severity sourceIp user { id } acknowledgedAt } } } }', { t: type });
    const found = r.securityAlerts.edges.map((e) => e.node).find(match);
    expect(found).toBeDefined();
    return found!;
  }, `a ${type} alert`, 6_000).catch(() => null);
}
const LOGIN = 'mutation($i: LoginInput!) { login(input: $i) { accessToken } }';

describe('detection', () => {
  it('raises one HIGH brute-force alert for repeated failures on one account', async () => {
    const victim = await env.asCustomer('Victim');
    for (let i = 0; i < 6; i++) await env.asAnonymous().from(ip()).request(LOGIN, { i: { email: victim.email, password: 'wrong-password-123' } });
    const a = await alert('brute_force', (x) => x.user?.id === victim.userId);
    expect(a).toMatchObject({ severity: 'HIGH', user: { id: victim.userId } });
    const all = await auditor.ok<{ securityAlerts: { totalCount: number } }>('{ securityAlerts(filter: { type: "brute_force" }) { totalCount } }');
    expect(all.securityAlerts.totalCount).toBe(1); // deduplicated within the window
  });

  it('raises credential stuffing for many accounts failing from one address', async () => {
    const from = ip();
    for (let i = 0; i < 10; i++) await env.asAnonymous().from(from).request(LOGIN, { i: { email: `stuffed-${i}-${randomBytes(2).toString('hex')}@example.com`, password: 'hunter2-hunter2' } });
    expect(await alert('credential_stuffing', (x) => x.sourceIp === from)).toMatchObject({ severity: 'HIGH' });
  });

  it('raises CRITICAL for refresh-token reuse', async () => {
    const c = await env.asCustomer('Stolen');
    const s = await login(env.asAnonymous(), c.email, c.password);
    const refresh = 'mutation($t: String!) { refreshSession(refreshToken: $t) { accessToken } }';
    await env.asAnonymous().ok(refresh, { t: s.refreshToken });
    await env.asAnonymous().request(refresh, { t: s.refreshToken });
    expect(await alert('refresh_token_reuse', (x) => x.user?.id === c.userId)).toMatchObject({ severity: 'CRITICAL' });
  });

  it('flags scanners, injection-looking input and privilege probing', async () => {
    const scanner = ip();
    await env.asAnonymous().from(scanner).request('{ categories { id } }', undefined, { 'user-agent': 'sqlmap/1.8.2#stable (https://sqlmap.org)' });
    expect(await alert('scanner', (x) => x.sourceIp === scanner)).toMatchObject({ severity: 'MEDIUM' });
    const attacker = ip();
    await env.asAnonymous().from(attacker).request('query($s: String) { products(filter: { search: $s }) { totalCount } }', { s: "' OR 1=1 --" });
    expect(await alert('injection_attempt', (x) => x.sourceIp === attacker)).toMatchObject({ severity: 'MEDIUM' });
    const prober = await env.asCustomer('Prober');
    for (let i = 0; i < 5; i++) expect(codesOf(await prober.request('{ users { totalCount } }'))).toEqual(['FORBIDDEN']);
    expect(await alert('privilege_probing', (x) => x.user?.id === prober.userId)).toMatchObject({ severity: 'HIGH' });
  });

  it('records refused tokens and refused operations from the router', async () => {
    const from = ip();
    await env.asAnonymous().from(from).request('{ me { id } }', undefined, { authorization: 'Bearer a.b.c' });
    const q = `{ ${Array.from({ length: 40 }, (_, i) => `a${i}: categories { id }`).join(' ')} }`;
    expect(codesOf(await env.asAnonymous().from(from).request(q))).toEqual(['QUERY_TOO_COMPLEX']);
    await waitFor(async () => {
      const r = await auditor.ok<{ a: { totalCount: number }; b: { totalCount: number } }>('{ a: auditEvents(filter: { action: "auth.token_rejected" }) { totalCount } b: auditEvents(filter: { action: "operation.too_complex" }) { totalCount } }');
      return Boolean(r.a.totalCount && r.b.totalCount);
    }, 'router events reaching the audit trail', 6_000);
  });

  it('lets an auditor acknowledge alerts, and nobody else', async () => {
    const a = (await alert('brute_force'))!;
    const customer = await env.asCustomer('Nosy');
    expect(codesOf(await customer.request('mutation($id: ID!) { acknowledgeAlert(id: $id) { id } }', { id: a.id }))).toEqual(['FORBIDDEN']);
    const ack = await auditor.ok<{ acknowledgeAlert: { acknowledgedAt: string } }>('mutation($id: ID!) { acknowledgeAlert(id: $id) { acknowledgedAt } }', { id: a.id });
    expect(Date.parse(ack.acknowledgeAlert.acknowledgedAt)).toBeGreaterThan(0);
    const stats = await auditor.ok<{ securityStats: { failedLogins: number; alertsBySeverity: { severity: string; count: number }[] } }>('{ securityStats(windowHours: 1) { failedLogins alertsBySeverity { severity count } } }');
    expect(stats.securityStats.failedLogins).toBeGreaterThanOrEqual(15); // 5 before the lock + 10 stuffing attempts
    expect(stats.securityStats.alertsBySeverity.find((s) => s.severity === 'CRITICAL')?.count).toBeGreaterThanOrEqual(1);
    // an auditor reads, and changes nothing else
    expect(codesOf(await auditor.request('mutation { createCategory(input: { name: "X", slug: "auditor-x" }) { id } }'))).toEqual(['FORBIDDEN']);
  });
});

describe('losing nothing', () => {
  it('delivers 100 records made while the security subgraph was down, each exactly once, chain intact', async () => {
    const c = await env.asCustomer('Writer');
    await env.supergraph.stopSubgraph('security');
    for (let i = 0; i < 100; i++) await c.ok('mutation($n: String!) { updateProfile(input: { displayName: $n }) { id } }', { n: `Writer ${i}` });
    await env.supergraph.startSubgraph('security');
    // Once the user subgraph's outbox holds no undelivered row of these, no relay sends one again: the count
    // read below is final, and no duplicate can trickle in afterwards.
    const undelivered = async () =>
      (
        await queryRows<{ n: number }>(
          env.supergraph.subgraphs.user.database.db,
          sql`select count(*)::int as n from users.audit_outbox where delivered_at is null and record->>'action' = 'user.profile_updated' and record->>'actorId' = ${c.userId}`,
        )
      )[0]!.n;
    await waitFor(async () => (await undelivered()) === 0, 'the relay delivering the backlog', 30_000);
    const final = await auditor.ok<{ auditEvents: { totalCount: number }; verifyAuditTrail: { valid: boolean; checked: number } }>(
      'query($a: ID) { auditEvents(filter: { action: "user.profile_updated", actorId: $a }) { totalCount } verifyAuditTrail { valid checked } }',
      { a: c.userId },
    );
    expect(final.auditEvents.totalCount).toBe(100);
    expect(final.verifyAuditTrail.valid).toBe(true);
  });
});
