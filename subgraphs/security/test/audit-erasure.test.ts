import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import fc from 'fast-check';
import { AUDIT_INGEST_PATH, buildAuditRecord, loadInternalKeys, queryRows, type AuditRecord, type IngestReply } from '@palisade/kit';
import { postSigned, signedSubgraphRequest, suiteDatabase, testCaller, testConfig, testSettings, waitFor } from '@palisade/kit/testing/index';
import { startSecuritySubgraph } from '../index.ts';
import { auditHash } from '../services/audit-chain.ts';
import { SUBJECT_ERASE_PATH, SUBJECT_EXPORT_PATH } from '../services/audit-erasure.ts';

let sg: Awaited<ReturnType<typeof startSecuritySubgraph>>;
let db: Awaited<ReturnType<typeof suiteDatabase>>;
let base: string;
beforeAll(async () => {
  db = await suiteDatabase();
  // Checkpoints only when a test takes one: the tamper cases cut the tail off again after each edit.
  sg = await startSecuritySubgraph({ config: testConfig(), port: 0, databaseUrl: db.url, pgliteDir: null, checkpointFile: null, checkpointIntervalMs: 3_600_000 });
  base = sg.url.replace(/\/graphql$/, '');
});
afterAll(async () => {
  await sg?.stop();
  await db?.drop();
});

const userSigner = async () => (await loadInternalKeys('user', [])).signer;
const send = async (events: AuditRecord[]) => postSigned<IngestReply>(await userSigner(), 'security', base + AUDIT_INGEST_PATH, { events });
const erase = async (userId: string) => postSigned<{ erased: boolean; records: number; legacyKept: number }>(await userSigner(), 'security', base + SUBJECT_ERASE_PATH, { userId });
const exported = async (userId: string) => postSigned<{ events: { actorId: string | null; resourceId: string | null }[]; capped: boolean }>(await userSigner(), 'security', base + SUBJECT_EXPORT_PATH, { userId, limit: 50 });
const auditor = testCaller({ userId: randomUUID(), roles: ['AUDITOR'] });
const verify = async () => (await signedSubgraphRequest(sg.url, 'security', auditor, '{ verifyAuditTrail { valid checked firstBrokenId reason } }')).body.data!.verifyAuditTrail;
const db_ = () => sg.database.db;
const rowsOf = (id: string) =>
  queryRows<{ id: string; ip: string | null; user_agent: string | null; metadata: unknown; erased_at: Date | null; hash_version: number }>(
    db_(),
    sql`select id, ip, user_agent, metadata, erased_at, hash_version from security.audit_events where actor_id = ${id}::uuid or resource_id = ${id} order by seq`,
  );
const about = (userId: string, action = 'auth.login') =>
  buildAuditRecord('user', { ...testCaller({ userId }), ip: '203.0.113.7', userAgent: `agent of ${userId}` }, { action, outcome: 'SUCCESS', resourceType: 'User', resourceId: userId, metadata: { note: `about ${userId}` } });
/** Runs an edit the trigger would refuse, as a tampering database owner would. */
async function behindItsBack(q: ReturnType<typeof sql>) {
  await queryRows(db_(), sql`alter table security.audit_events disable trigger audit_events_no_update_delete`);
  try {
    await queryRows(db_(), q);
  } finally {
    await queryRows(db_(), sql`alter table security.audit_events enable trigger audit_events_no_update_delete`);
  }
}

describe('erasing a person from the audit trail', () => {
  it('erases their ip, user agent and metadata, keeps everyone else’s, and the chain (and its checkpoint) still verify', async () => {
    const [gone, stays] = [randomUUID(), randomUUID()];
    await send([about(gone), about(stays), about(gone, 'user.profile_updated')]);
    expect(await sg.services.checkpoints.take()).not.toBeNull();
    expect(await erase(gone)).toMatchObject({ erased: true, records: 2 });
    const erased = await rowsOf(gone);
    expect(erased).toHaveLength(2);
    for (const r of erased) expect(r).toMatchObject({ ip: null, user_agent: null, metadata: null, hash_version: 2 });
    for (const r of erased) expect(r.erased_at).not.toBeNull();
    expect(JSON.stringify(await rowsOf(stays))).toContain('203.0.113.7');
    expect(await verify()).toMatchObject({ valid: true, firstBrokenId: null });
    // Again: nothing left, same answer.
    expect(await erase(gone)).toMatchObject({ erased: true, records: 0 });
  });

  it('erases their address and user agent from the alerts about them, keys and descriptions included', async () => {
    const gone = randomUUID();
    const ip = '198.51.100.77';
    const ua = `sqlmap/1.7 (${gone.slice(0, 8)})`;
    const scan = buildAuditRecord('user', { ...testCaller({ userId: gone }), ip, userAgent: ua }, { action: 'auth.login', outcome: 'SUCCESS', resourceType: 'User', resourceId: gone });
    await send([scan]);
    const alerts = () => queryRows<{ row: string }>(db_(), sql`select a::text as row from security.security_alerts a where user_id = ${gone}::uuid`);
    await waitFor(async () => (await alerts()).length > 0, 'the scanner alert');
    expect((await alerts()).map((a) => a.row).join()).toContain(ip);
    await erase(gone);
    const left = (await alerts()).map((a) => a.row).join('\n');
    expect(left).not.toContain(ip);
    expect(left).not.toContain(ua);
  });

  it('stores records about an erased person that arrive later (an outbox behind) already erased, and a redelivery is a duplicate', async () => {
    const gone = randomUUID();
    const early = about(gone);
    await send([early]);
    await erase(gone);
    const late = about(gone, 'user.deleted');
    expect(await send([late, early])).toMatchObject({ stored: 1, duplicate: 1 });
    for (const r of await rowsOf(gone)) expect(r).toMatchObject({ ip: null, user_agent: null, metadata: null });
    expect(await verify()).toMatchObject({ valid: true });
  });

  it('exports only records whose actor or resource is the person', async () => {
    const people = [randomUUID(), randomUUID(), randomUUID()];
    await fc.assert(
      fc.asyncProperty(fc.array(fc.constantFrom(0, 1, 2), { minLength: 1, maxLength: 8 }), async (who) => {
        await send(who.map((i) => about(people[i]!)));
        for (const p of people) for (const e of (await exported(p)).events) expect(e.actorId === p || e.resourceId === p).toBe(true);
      }),
      { numRuns: 5 },
    );
  });

  it('exports a record another person made about them without that person’s address, agent or id', async () => {
    const [subject, admin] = [randomUUID(), randomUUID()];
    const byAdmin = buildAuditRecord('user', { ...testCaller({ userId: admin, roles: ['ADMIN'] }), ip: '198.51.100.50', userAgent: 'admin browser' }, { action: 'user.roles_changed', outcome: 'SUCCESS', resourceType: 'User', resourceId: subject });
    await send([byAdmin, about(subject)]);
    const { events } = await exported(subject);
    expect(events).toHaveLength(2);
    const text = JSON.stringify(events);
    for (const leak of [admin, '198.51.100.50', 'admin browser']) expect(text).not.toContain(leak);
    expect(text).toContain('203.0.113.7'); // their own records keep their own address
  });

  it('lets the erasure change nothing but the personal fields, once', async () => {
    const gone = randomUUID();
    await send([about(gone)]);
    const refusal = (q: ReturnType<typeof sql>) => queryRows(db_(), q).then(() => 'allowed', (err) => String(err.cause?.message ?? err.message));
    expect(await refusal(sql`update security.audit_events set ip = null, user_agent = null, metadata = null, personal_salt = null, erased_at = now(), action = 'x' where actor_id = ${gone}::uuid`)).toMatch(/append-only/);
    expect(await refusal(sql`update security.audit_events set ip = '198.51.100.1', erased_at = now() where actor_id = ${gone}::uuid`)).toMatch(/append-only/);
    expect(await refusal(sql`update security.audit_events set personal_digest = 'x', ip = null, user_agent = null, metadata = null, personal_salt = null, erased_at = now() where actor_id = ${gone}::uuid`)).toMatch(/append-only/);
    await erase(gone);
    expect(await refusal(sql`update security.audit_events set erased_at = now() where actor_id = ${gone}::uuid`)).toMatch(/append-only/);
  });

  it('still catches an erased record edited behind its back', async () => {
    const edits = [
      sql`set ip = '198.51.100.9'`, // personal data put back where it was erased
      sql`set metadata = '{"note":"forged"}'::jsonb`,
      sql`set action = 'auth.logout'`,
      sql`set personal_digest = repeat('0', 64)`,
      sql`set personal_salt = 'forged'`,
    ];
    for (const [i, edit] of edits.entries()) {
      const gone = randomUUID();
      await send([about(gone), about(randomUUID())]);
      await erase(gone);
      expect(await verify()).toMatchObject({ valid: true });
      const [victim] = await rowsOf(gone);
      await behindItsBack(sql`update security.audit_events ${edit} where id = ${victim!.id}`);
      expect(await verify(), `edit ${i}`).toMatchObject({ valid: false, firstBrokenId: victim!.id });
      // Put back as it was, for the next case (the trigger is off only for this repair).
      await behindItsBack(sql`delete from security.audit_events where seq >= (select seq from security.audit_events where id = ${victim!.id})`);
    }
  });

  it('catches a record erased though its person never was, as the trigger lets the owner do, through the function or not', async () => {
    const erasures = {
      // The owner's UPDATE of the erasable columns, which the trigger allows on any record in format 2.
      owner: (id: string) => queryRows(db_(), sql`update security.audit_events set ip = null, user_agent = null, metadata = null, personal_salt = null, erased_at = now() where actor_id = ${id}::uuid`),
      // The erasing function called without the erasure route (which marks the person erased first).
      fn: (id: string) => queryRows(db_(), sql`select security.erase_audit_subject(${id}::uuid)`),
    };
    for (const [how, run] of Object.entries(erasures)) {
      const intruder = randomUUID();
      await send([about(randomUUID()), about(intruder)]);
      expect(await verify()).toMatchObject({ valid: true });
      const [victim] = await rowsOf(intruder);
      await run(intruder);
      expect((await rowsOf(intruder))[0]).toMatchObject({ ip: null });
      expect(await verify(), how).toMatchObject({ valid: false, firstBrokenId: victim!.id });
      await behindItsBack(sql`delete from security.audit_events where seq >= (select seq from security.audit_events where id = ${victim!.id})`);
    }
    expect(await verify()).toMatchObject({ valid: true });
  });

  it('catches a present record whose personal fields were changed (they no longer fit their digest)', async () => {
    const someone = randomUUID();
    await send([about(someone)]);
    const [victim] = await rowsOf(someone);
    await behindItsBack(sql`update security.audit_events set ip = '198.51.100.10' where id = ${victim!.id}`);
    expect(await verify()).toMatchObject({ valid: false, firstBrokenId: victim!.id });
    await behindItsBack(sql`delete from security.audit_events where seq >= (select seq from security.audit_events where id = ${victim!.id})`);
  });

  it('keeps verifying records stored in the old format (hash over the fields themselves), which erasure leaves alone', async () => {
    const old = randomUUID();
    const [last] = await queryRows<{ hash: string }>(db_(), sql`select hash from security.audit_events order by seq desc limit 1`);
    const r = about(old);
    const row = { ...r, occurredAt: new Date(r.occurredAt) };
    const hash = auditHash(last!.hash, row);
    await queryRows(
      db_(),
      sql`insert into security.audit_events (id, occurred_at, service, action, outcome, actor_id, resource_type, resource_id, request_id, ip, user_agent, metadata, prev_hash, hash, hash_version)
          values (${r.id}, ${r.occurredAt}, ${r.service}, ${r.action}, ${r.outcome}, ${r.actorId}, ${r.resourceType}, ${r.resourceId}, ${r.requestId}, ${r.ip}, ${r.userAgent}, ${JSON.stringify(r.metadata)}::jsonb, ${last!.hash}, ${hash}, 1)`,
    );
    expect(await verify()).toMatchObject({ valid: true });
    expect(await erase(old)).toMatchObject({ records: 0, legacyKept: 1 });
    expect(await verify()).toMatchObject({ valid: true });
    await behindItsBack(sql`update security.audit_events set ip = '198.51.100.11' where id = ${r.id}`);
    expect(await verify()).toMatchObject({ valid: false, firstBrokenId: r.id });
    await behindItsBack(sql`delete from security.audit_events where id = ${r.id}`);
  });
});

describe('the export route', () => {
  it('answers for any limit the body carries (fraction, string, negative, huge): cut to a whole number in range, never a database error', async () => {
    const person = randomUUID();
    await send([about(person), about(person, 'user.profile_updated'), about(person, 'auth.logout')]);
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.double({ noNaN: false }), fc.integer(), fc.string({ maxLength: 8 }), fc.constant(null), fc.boolean(), fc.constant('2.5'), fc.constant(1.5)), async (limit) => {
        const answer = await postSigned<{ events: unknown[]; capped: boolean }>(await userSigner(), 'security', base + SUBJECT_EXPORT_PATH, { userId: person, limit });
        expect(answer.events.length).toBeGreaterThanOrEqual(1);
        expect(answer.events.length).toBeLessThanOrEqual(3);
        expect(typeof answer.capped).toBe('boolean');
      }),
      { seed: testSettings().propertySeed, numRuns: 40 },
    );
  });
});
