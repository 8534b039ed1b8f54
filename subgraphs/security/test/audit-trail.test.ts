import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { AUDIT_INGEST_PATH, buildAuditRecord, loadInternalKeys, queryRows, ServiceCallError, type IngestReply, type StartedSubgraph } from '@palisade/kit';
import { postSigned, signedSubgraphRequest, suiteDatabase, testCaller, testConfig } from '@palisade/kit/testing/index';
import { startSecuritySubgraph } from '../index.ts';

let sg: StartedSubgraph;
let db: Awaited<ReturnType<typeof suiteDatabase>>;
let base: string;
beforeAll(async () => {
  db = await suiteDatabase();
  sg = await startSecuritySubgraph({ config: testConfig(), port: 0, databaseUrl: db.url, pgliteDir: null });
  base = sg.url.replace(/\/graphql$/, '');
});
afterAll(async () => {
  await sg?.stop();
  await db?.drop();
});

const record = (action = 'auth.login') => buildAuditRecord('user', testCaller({ userId: randomUUID() }), { action, outcome: 'SUCCESS', resourceType: 'User' });
const send = async (service: 'user' | 'router', events: unknown[]) => postSigned<IngestReply>((await loadInternalKeys(service, [])).signer, 'security', base + AUDIT_INGEST_PATH, { events });
const auditor = testCaller({ userId: randomUUID(), roles: ['AUDITOR'] });
const verify = async () => (await signedSubgraphRequest(sg.url, 'security', auditor, '{ verifyAuditTrail { valid checked firstBrokenId } }')).body.data!.verifyAuditTrail;

describe('audit ingestion', () => {
  it('stores each event once, however often it is delivered', async () => {
    const batch = [record(), record()];
    expect(await send('user', batch)).toEqual({ stored: 2, duplicate: 0, rejected: [] });
    expect(await send('user', batch)).toEqual({ stored: 0, duplicate: 2, rejected: [] });
    const r = await signedSubgraphRequest(sg.url, 'security', auditor, '{ auditEvents(filter: { resourceType: "User" }) { totalCount } }');
    expect(r.body.data?.auditEvents.totalCount).toBe(2);
  });

  it('refuses unsigned batches and malformed envelopes, storing nothing', async () => {
    const before = await verify();
    const res = await fetch(base + AUDIT_INGEST_PATH, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ events: [record()] }) });
    expect(res.status).toBe(401);
    await expect(send('user', 'not a list' as never)).rejects.toBeInstanceOf(ServiceCallError);
    expect((await verify()).checked).toBe(before.checked);
  });

  it('refuses a record another service claims to have written', async () => {
    const forged = buildAuditRecord('user', testCaller(), { action: 'auth.login', outcome: 'SUCCESS' });
    expect((await send('router', [forged])).rejected).toEqual([{ index: 0, id: forged.id, reason: 'service is not the service that signed the batch' }]);
  });

  it('shows audit data to auditors only', async () => {
    const q = '{ auditEvents(first: 1) { totalCount } }';
    const customer = await signedSubgraphRequest(sg.url, 'security', testCaller({ userId: randomUUID(), roles: ['CUSTOMER'] }), q);
    expect(customer.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const anonymous = await signedSubgraphRequest(sg.url, 'security', testCaller(), q);
    expect(anonymous.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });
});

describe('tamper evidence', () => {
  it('refuses to update or delete audit rows', async () => {
    await send('user', [record()]);
    const refusal = (q: ReturnType<typeof sql>) => queryRows(sg.database.db, q).then(() => 'allowed', (err) => String(err.cause?.message ?? err.message));
    expect(await refusal(sql`update security.audit_events set action = 'x'`)).toMatch(/append-only/);
    expect(await refusal(sql`delete from security.audit_events`)).toMatch(/append-only/);
  });

  it('names the first record edited behind its back', async () => {
    await send('user', [record(), record(), record()]);
    expect(await verify()).toMatchObject({ valid: true, firstBrokenId: null });
    const [victim] = await queryRows<{ id: string }>(sg.database.db, sql`select id from security.audit_events order by seq limit 1 offset 2`);
    await queryRows(sg.database.db, sql`alter table security.audit_events disable trigger audit_events_no_update_delete`);
    await queryRows(sg.database.db, sql`update security.audit_events set outcome = 'FAILURE' where id = ${victim!.id}`);
    await queryRows(sg.database.db, sql`alter table security.audit_events enable trigger audit_events_no_update_delete`);
    expect(await verify()).toMatchObject({ valid: false, firstBrokenId: victim!.id });
  });
});
