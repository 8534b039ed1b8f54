import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { AUDIT_INGEST_PATH, buildAuditRecord, loadInternalKeys, type AuditRecord, type IngestReply, type StartedSubgraph } from '@palisade/kit';
import { postSigned, signedSubgraphRequest, suiteDatabase, testCaller, testConfig } from '@palisade/kit/testing/index';
import { startSecuritySubgraph } from '../index.ts';

let sg: StartedSubgraph;
let db: Awaited<ReturnType<typeof suiteDatabase>>;
beforeAll(async () => {
  db = await suiteDatabase();
  sg = await startSecuritySubgraph({ config: testConfig(), port: 0, databaseUrl: db.url, pgliteDir: null });
});
afterAll(async () => {
  await sg?.stop();
  await db?.drop();
});

const send = async (events: AuditRecord[]) =>
  postSigned<IngestReply>((await loadInternalKeys('user', [])).signer, 'security', sg.url.replace(/\/graphql$/, '') + AUDIT_INGEST_PATH, { events });
/** What the user subgraph records for one account, as it would from a request of that client. */
const event = (ip: string, userId: string, action: string, outcome: 'SUCCESS' | 'DENIED' | 'FAILURE' = 'DENIED') =>
  buildAuditRecord('user', { ...testCaller({ userId }), ip }, { action, outcome, resourceType: 'Session', resourceId: randomUUID() });
const auditor = testCaller({ userId: randomUUID(), roles: ['AUDITOR'] });
type Alert = { type: string; severity: string; count: number; sourceIp: string | null; user: { id: string } | null; lastSeenAt: string };
const alertsOf = async (type: string): Promise<Alert[]> => {
  const r = await signedSubgraphRequest(sg.url, 'security', auditor, 'query($t: String) { securityAlerts(filter: { type: $t }, first: 100) { edges { node { type severity count sourceIp user { id } lastSeenAt } } } }', { t: type });
  return r.body.data!.securityAlerts.edges.map((e: { node: Alert }) => e.node);
};
let nextIp = 1;
const freshIp = () => `198.51.${Math.floor(nextIp / 250)}.${(nextIp++ % 250) + 1}`;

/** Splits events into the batches they happen to arrive in (relays deliver whatever their outbox holds). */
const chunked = <T>(items: T[], cuts: number[]) => {
  const out: T[][] = [];
  let from = 0;
  for (const c of [...new Set(cuts.map((x) => x % (items.length + 1)))].sort((a, b) => a - b).concat(items.length)) {
    if (c > from) out.push(items.slice(from, c));
    from = Math.max(from, c);
  }
  return out;
};

describe('guessing a second factor or password with a stolen session', () => {
  it('is brute force like failed sign-ins, whichever secret is guessed', async () => {
    const userId = randomUUID();
    const guesses = ['auth.totp_failed', 'auth.password_change_failed', 'auth.totp_failed', 'auth.password_change_failed', 'auth.totp_failed'];
    // from a different address each time, so only the account ties them together
    for (const action of guesses) await send([event(freshIp(), userId, action, 'FAILURE')]);
    expect((await alertsOf('brute_force')).filter((a) => a.user?.id === userId)).toEqual([expect.objectContaining({ severity: 'HIGH', count: 5 })]);
  });
});

describe('a flood of throwaway accounts from one address', () => {
  it('raises one CRITICAL alert per address for refresh-token reuse, counting every account', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 2, max: 25 }), fc.integer({ min: 1, max: 5 }), fc.array(fc.nat(), { maxLength: 6 }), async (accounts, otherAccounts, cuts) => {
        const flood = freshIp();
        const other = freshIp();
        const events = [
          ...Array.from({ length: accounts }, () => event(flood, randomUUID(), 'auth.refresh_reuse')),
          ...Array.from({ length: otherAccounts }, () => event(other, randomUUID(), 'auth.refresh_reuse')),
        ].sort((a, b) => a.id.localeCompare(b.id)); // the two clients' events arrive interleaved
        for (const batch of chunked(events, cuts)) await send(batch);
        const alerts = await alertsOf('refresh_token_reuse');
        const fromFlood = alerts.filter((a) => a.sourceIp === flood);
        expect(fromFlood).toHaveLength(1);
        expect(fromFlood[0]).toMatchObject({ severity: 'CRITICAL', count: accounts, user: null });
        expect(alerts.filter((a) => a.sourceIp === other)).toEqual([expect.objectContaining({ count: otherAccounts })]);
      }),
      { numRuns: 15 },
    );
  });

  it('still names the account when only one is concerned', async () => {
    const ip = freshIp();
    const userId = randomUUID();
    await send([event(ip, userId, 'auth.refresh_reuse')]);
    expect((await alertsOf('refresh_token_reuse')).filter((a) => a.sourceIp === ip)).toEqual([expect.objectContaining({ count: 1, user: { id: userId } })]);
  });

  it('raises one HIGH probing alert per address for denied queries across accounts', async () => {
    const ip = freshIp();
    const accounts: string[] = Array.from({ length: 12 }, () => randomUUID());
    // Each account stays under the per-account threshold on its own (4 denials), together far over it.
    for (const userId of accounts) await send(Array.from({ length: 4 }, () => event(ip, userId, 'access.denied')));
    const alerts = (await alertsOf('privilege_probing')).filter((a) => a.sourceIp === ip);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ severity: 'HIGH', count: 48, user: null });
    // and no alert per account
    expect((await alertsOf('privilege_probing')).filter((a) => a.user && accounts.includes(a.user.id))).toEqual([]);
  });

  it('opens a new alert once the analyst has acknowledged the last one', async () => {
    const ip = freshIp();
    await send([event(ip, randomUUID(), 'auth.refresh_reuse')]);
    const r = await signedSubgraphRequest(sg.url, 'security', auditor, 'query { securityAlerts(filter: { type: "refresh_token_reuse", acknowledged: false }, first: 100) { edges { node { id sourceIp } } } }');
    const open = r.body.data!.securityAlerts.edges.map((e: { node: { id: string; sourceIp: string } }) => e.node).find((a: { sourceIp: string }) => a.sourceIp === ip)!;
    await signedSubgraphRequest(sg.url, 'security', testCaller({ userId: randomUUID(), roles: ['ADMIN'] }), 'mutation($id: ID!) { acknowledgeAlert(id: $id) { id } }', { id: open.id });
    await send([event(ip, randomUUID(), 'auth.refresh_reuse')]);
    expect((await alertsOf('refresh_token_reuse')).filter((a) => a.sourceIp === ip).map((a) => a.count)).toEqual([1, 1]);
  });
});

describe('many addresses each sending one suspicious request', () => {
  const admin = testCaller({ userId: randomUUID(), roles: ['ADMIN'] });
  type Open = { id: string; sourceIp: string | null; count: number; description: string };
  const openInjection = async (): Promise<Open[]> => {
    const r = await signedSubgraphRequest(sg.url, 'security', auditor, '{ securityAlerts(filter: { type: "injection_attempt", acknowledged: false }, first: 100) { edges { node { id sourceIp count description } } } }');
    return r.body.data!.securityAlerts.edges.map((e: { node: Open }) => e.node);
  };

  it('open at most K alerts of a type with an address, then one type-level alert that counts every further event', async () => {
    const K = 5; // DETECT_MAX_SOURCES_PER_TYPE's default
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 25 }), fc.array(fc.nat(), { maxLength: 4 }), async (n, cuts) => {
        // Each run starts with no open alert of the type, as after an operator acknowledged them.
        for (const a of await openInjection()) await signedSubgraphRequest(sg.url, 'security', admin, 'mutation($id: ID!) { acknowledgeAlert(id: $id) { id } }', { id: a.id });
        const ips = Array.from({ length: n }, () => freshIp());
        const events = ips.map((ip) => event(ip, randomUUID(), 'security.suspicious_input'));
        for (const batch of chunked(events, cuts)) await send(batch);
        const alerts = await openInjection();
        expect(alerts.length).toBeLessThanOrEqual(K + 1);
        expect(alerts.reduce((sum, a) => sum + a.count, 0)).toBe(n);
        const shared = alerts.filter((a) => a.sourceIp === null);
        expect(alerts.filter((a) => a.sourceIp !== null)).toHaveLength(Math.min(n, K));
        expect(shared).toHaveLength(n > K ? 1 : 0);
        if (shared[0]) expect(shared[0].description).toMatch(/top sources: \S+ ×1/);
      }),
      { numRuns: 8 },
    );
  });
});
