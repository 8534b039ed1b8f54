import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startThrowawayPostgres, type PausableServer } from '@palisade/kit/testing/index';
import { ADMIN, createTestEnvironment, login, type TestEnvironment } from './harness/supergraph.ts';

// The security subgraph on a Postgres of its own, which this test stops and starts again.
let pg: PausableServer | null = null;
let env: TestEnvironment | undefined;
const required = process.env.PALISADE_REQUIRE_REAL_SERVERS === '1';
beforeAll(async () => {
  pg = await startThrowawayPostgres();
  if (!pg) {
    if (required) throw new Error('no postgres binaries: the security database outage test cannot run');
    console.warn('[palisade] NOT RUN: security database outage test needs local postgres binaries');
    return;
  }
  env = await createTestEnvironment({ databaseUrls: { security: pg.url } });
});
afterAll(async () => {
  await env?.stop();
  await pg?.stop();
});

describe('the security database goes away for a while', () => {
  it('loses no audit record and stores none twice', async () => {
    if (!env || !pg) return;
    const c = await env.asCustomer('Steady');
    const admin = await env.asAdmin();
    const count = async () =>
      (await admin.ok<{ auditEvents: { totalCount: number } }>('query($a: ID) { auditEvents(filter: { action: "user.profile_updated", actorId: $a }) { totalCount } }', { a: c.userId })).auditEvents.totalCount;
    await pg.pause();
    for (let i = 0; i < 30; i++) await c.ok('mutation($n: String!) { updateProfile(input: { displayName: $n }) { id } }', { n: `Steady ${i}` });
    await new Promise((r) => setTimeout(r, 1_500)); // the relays try, fail and back off
    await pg.resume();
    let n = 0;
    for (let i = 0; i < 100 && n < 30; i++) {
      if (i) await new Promise((r) => setTimeout(r, 200));
      n = await count().catch(() => 0);
    }
    await new Promise((r) => setTimeout(r, 1_000));
    expect(await count()).toBe(30);
    const fresh = env.asAnonymous().withToken((await login(env.asAnonymous(), ADMIN.email, ADMIN.password)).accessToken);
    expect((await fresh.ok<{ verifyAuditTrail: { valid: boolean } }>('{ verifyAuditTrail { valid } }')).verifyAuditTrail.valid).toBe(true);
  }, 60_000);
});
