import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash, randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { AUDIT_INGEST_PATH, buildAuditRecord, loadInternalKeys, type AuditRecord, type IngestReply, type StartedSubgraph } from '@palisade/kit';
import { postSigned, signedSubgraphRequest, suiteDatabase, testCaller, testConfig } from '@palisade/kit/testing/index';
import { startSecuritySubgraph } from '../index.ts';

const config = testConfig();
const thresholds = config.security.detection;
let sg: StartedSubgraph;
let db: Awaited<ReturnType<typeof suiteDatabase>>;
beforeAll(async () => {
  db = await suiteDatabase();
  sg = await startSecuritySubgraph({ config, port: 0, databaseUrl: db.url, pgliteDir: null });
});
afterAll(async () => {
  await sg?.stop();
  await db?.drop();
});

const send = async (events: AuditRecord[]) =>
  postSigned<IngestReply>((await loadInternalKeys('user', [])).signer, 'security', sg.url.replace(/\/graphql$/, '') + AUDIT_INGEST_PATH, { events });
const anonymous = (ip: string) => ({ ...testCaller(), ip });
/** What the user subgraph audits when register finds the email taken. */
const conflict = (ip: string) => buildAuditRecord('user', anonymous(ip), { action: 'auth.register', outcome: 'FAILURE', actorId: null, resourceType: 'User', resourceId: null, metadata: { reason: 'conflict' } });
const created = (ip: string) => {
  const id = randomUUID();
  return buildAuditRecord('user', anonymous(ip), { action: 'auth.register', outcome: 'SUCCESS', actorId: id, resourceType: 'User', resourceId: id });
};
/** What the user subgraph audits for a sign-in to an unknown email: a hash of it, not what was typed. */
const unknownEmailLogin = (ip: string, email: string) =>
  buildAuditRecord('user', anonymous(ip), { action: 'auth.login_failed', outcome: 'FAILURE', actorId: null, resourceType: 'User', resourceId: null, metadata: { reason: 'unknown_email', emailHash: createHash('sha256').update(`palisade:login-email:${email}`).digest('hex').slice(0, 16) } });

const auditor = testCaller({ userId: randomUUID(), roles: ['AUDITOR'] });
type Alert = { id: string; type: string; severity: string; count: number; sourceIp: string | null };
const alertsOf = async (type: string): Promise<Alert[]> => {
  const r = await signedSubgraphRequest(sg.url, 'security', auditor, 'query($t: String) { securityAlerts(filter: { type: $t }, first: 100) { edges { node { id type severity count sourceIp } } } }', { t: type });
  return r.body.data!.securityAlerts.edges.map((e: { node: Alert }) => e.node);
};
let nextIp = 1;
const freshIp = () => `198.18.${Math.floor(nextIp / 250)}.${(nextIp++ % 250) + 1}`;

describe('account enumeration through sign-up', () => {
  it('raises one MEDIUM alert per address from the threshold of "taken" answers on, whatever else it signs up', async () => {
    const limit = thresholds.enumeration;
    expect(limit).toBe(5);
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 12 }), fc.integer({ min: 0, max: 6 }), fc.integer({ min: 1, max: 4 }), async (conflicts, creations, batch) => {
        const ip = freshIp();
        const events = [...Array.from({ length: conflicts }, () => conflict(ip)), ...Array.from({ length: creations }, () => created(ip))].sort((a, b) => a.id.localeCompare(b.id));
        for (let i = 0; i < events.length; i += batch) await send(events.slice(i, i + batch));
        const mine = (await alertsOf('account_enumeration')).filter((a) => a.sourceIp === ip);
        if (conflicts < limit) expect(mine).toEqual([]);
        else expect(mine).toEqual([expect.objectContaining({ severity: 'MEDIUM', count: conflicts })]);
        // Each run's address is judged on its own: close its alert, so the runs never add up to the
        // many-addresses level (DETECT_MAX_SOURCES_PER_TYPE), which has a test of its own.
        for (const a of mine) await signedSubgraphRequest(sg.url, 'security', auditor, 'mutation($id: ID!) { acknowledgeAlert(id: $id) { id } }', { id: a.id });
      }),
      { numRuns: 20 },
    );
  });

  it('does not count other addresses’ conflicts toward an address', async () => {
    const ips = Array.from({ length: 6 }, freshIp);
    await send(ips.map(conflict));
    const alerts = await alertsOf('account_enumeration');
    for (const ip of ips) expect(alerts.filter((a) => a.sourceIp === ip)).toEqual([]);
  });
});

describe('credential stuffing over unknown emails', () => {
  it('counts distinct typed emails by their hash, as the user subgraph now records them', async () => {
    const ip = freshIp();
    const n = thresholds.stuffingAccounts;
    await send(Array.from({ length: n }, (_, i) => unknownEmailLogin(ip, `nobody-${i}-${randomUUID()}@example.com`)));
    expect((await alertsOf('credential_stuffing')).filter((a) => a.sourceIp === ip)).toEqual([expect.objectContaining({ severity: 'HIGH' })]);
  });

  it('is not raised for one unknown email tried again and again', async () => {
    const ip = freshIp();
    // many failures for one email are brute force (its own rule); stuffing needs many distinct emails
    await send(Array.from({ length: thresholds.stuffingAccounts }, () => unknownEmailLogin(ip, 'same@example.com')));
    expect((await alertsOf('credential_stuffing')).filter((a) => a.sourceIp === ip)).toEqual([]);
  });
});
