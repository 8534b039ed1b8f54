import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import postgres from 'postgres';
import { sql } from 'drizzle-orm';
import { AUDIT_INGEST_PATH, buildAuditRecord, loadInternalKeys, queryRows, type StartedSubgraph } from '@palisade/kit';
import { postSigned, signedSubgraphRequest, testCaller, testServers, testConfig, testSettings } from '@palisade/kit/testing/index';
import { startSecuritySubgraph } from '../index.ts';

// As deployed with separate roles: an owner runs the migrations, the service connects as a member of
// palisade_security_service. Whatever the service's credentials allow, they must not allow rewriting the trail.
const { databaseUrl } = testServers();
const tag = randomBytes(4).toString('hex');
const owner = `palisade_owner_${tag}`;
const service = `palisade_svc_${tag}`;
const urlAs = (role: string) => {
  const url = new URL(databaseUrl!);
  url.username = role;
  url.password = 'x';
  url.pathname = `/${owner}`;
  return url.toString();
};
let sg: StartedSubgraph | undefined;

beforeAll(async () => {
  if (!databaseUrl) return;
  const admin = postgres(databaseUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create role ${owner} login password 'x'`);
  await admin.unsafe(`create role ${service} login password 'x'`);
  await admin.unsafe(`create database ${owner} owner ${owner}`);
  // The operator's part: the group exists (roles are cluster-wide) and the service's login belongs to it.
  await admin.unsafe(`do $$ begin create role palisade_security_service nologin; exception when duplicate_object or unique_violation then null; end $$`);
  await admin.unsafe(`grant palisade_security_service to ${service}`);
  await admin.end();
  sg = await startSecuritySubgraph({ config: testConfig(), port: 0, databaseUrl: urlAs(service), migrationDatabaseUrl: urlAs(owner), pgliteDir: null });
});
afterAll(async () => {
  await sg?.stop();
  if (!databaseUrl) return;
  const admin = postgres(databaseUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`drop database if exists ${owner} with (force)`);
  await admin.unsafe(`drop role if exists ${service}`);
  await admin.unsafe(`drop role if exists ${owner}`);
  await admin.end();
});

describe('the security service’s own role', () => {
  it.skipIf(!databaseUrl && !testSettings().requireRealServers)('appends and reads audit rows, and can change none of them', async () => {
    const { signer } = await loadInternalKeys('user', []);
    const base = sg!.url.replace(/\/graphql$/, '');
    const reply = await postSigned<{ stored: number }>(signer, 'security', base + AUDIT_INGEST_PATH, {
      events: [buildAuditRecord('user', testCaller(), { action: 'auth.login', outcome: 'SUCCESS' }), { id: 'poison' }],
    });
    expect(reply).toMatchObject({ stored: 1, rejected: [{ index: 1 }] });
    const auditor = testCaller({ userId: randomUUID(), roles: ['AUDITOR'] });
    const v = await signedSubgraphRequest(sg!.url, 'security', auditor, '{ verifyAuditTrail { valid checked } }');
    expect(v.body.data!.verifyAuditTrail).toEqual({ valid: true, checked: 1 });

    const attempt = (q: ReturnType<typeof sql>) => queryRows(sg!.database.db, q).then(() => 'allowed', (e) => String(e.cause?.message ?? e.message));
    const refusals = {
      update: await attempt(sql`update security.audit_events set action = 'forged'`),
      delete: await attempt(sql`delete from security.audit_events`),
      truncate: await attempt(sql`truncate security.audit_events`),
      trigger: await attempt(sql`alter table security.audit_events disable trigger audit_events_no_update_delete`),
      deadLetters: await attempt(sql`delete from security.audit_dead_letters`),
      drop: await attempt(sql`drop table security.audit_events`),
    };
    for (const [what, outcome] of Object.entries(refusals)) expect(outcome, what).toMatch(/permission denied|must be owner|append-only/);
    // Granting itself more is not an error in Postgres, only a warning; it changes nothing.
    await attempt(sql`grant update, delete on security.audit_events to current_user`);
    expect(await attempt(sql`update security.audit_events set action = 'forged'`)).toMatch(/permission denied/);
    expect((await queryRows<{ n: number }>(sg!.database.db, sql`select count(*)::int as n from security.audit_events`))[0]!.n).toBe(1);
  });
});
