import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import postgres from 'postgres';
import { sql } from 'drizzle-orm';
import { AUDIT_INGEST_PATH, buildAuditRecord, loadInternalKeys, queryRows, type StartedSubgraph } from '@palisade/kit';
import { postSigned, testCaller, testServers, testConfig, testSettings } from '@palisade/kit/testing/index';
import { startSecuritySubgraph } from '../index.ts';

// As deployed: the security subgraph connects as an ordinary role that owns its schema, not as a superuser.
const { databaseUrl } = testServers();
const role = `palisade_sec_${randomBytes(4).toString('hex')}`;
let sg: StartedSubgraph | undefined;

beforeAll(async () => {
  if (!databaseUrl) return;
  const admin = postgres(databaseUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create role ${role} login password 'x'`);
  await admin.unsafe(`create database ${role} owner ${role}`);
  await admin.end();
  const url = new URL(databaseUrl);
  url.username = role;
  url.password = 'x';
  url.pathname = `/${role}`;
  sg = await startSecuritySubgraph({ config: testConfig(), port: 0, databaseUrl: url.toString(), pgliteDir: null });
});
afterAll(async () => {
  await sg?.stop();
  if (!databaseUrl) return;
  const admin = postgres(databaseUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`drop database if exists ${role} with (force)`);
  await admin.unsafe(`drop role if exists ${role}`);
  await admin.end();
});

describe('audit rows on Postgres', () => {
  it.skipIf(!databaseUrl && !testSettings().requireRealServers)('cannot be changed by the service’s own role, even with the trigger off', async () => {
    const { signer } = await loadInternalKeys('user', []);
    const base = sg!.url.replace(/\/graphql$/, '');
    await postSigned(signer, 'security', base + AUDIT_INGEST_PATH, { events: [buildAuditRecord('user', testCaller(), { action: 'auth.login', outcome: 'SUCCESS' })] });
    const attempt = (q: ReturnType<typeof sql>) => queryRows(sg!.database.db, q).then(() => 'allowed', (e) => String(e.cause?.message ?? e.message));
    // the owner may switch its own trigger off; the revoked privilege still stands in the way
    await queryRows(sg!.database.db, sql`alter table security.audit_events disable trigger audit_events_no_update_delete`);
    expect(await attempt(sql`update security.audit_events set action = 'forged'`)).toMatch(/permission denied/);
    expect(await attempt(sql`delete from security.audit_events`)).toMatch(/permission denied/);
    expect(await attempt(sql`truncate security.audit_events`)).toMatch(/permission denied|append-only/);
    expect((await queryRows<{ n: number }>(sg!.database.db, sql`select count(*)::int as n from security.audit_events`))[0]!.n).toBe(1);
  });
});
