import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq, sql } from 'drizzle-orm';
import type { StartedSubgraph } from '@palisade/kit';
import { queryRows } from '@palisade/kit';
import { signedSubgraphRequest, suiteDatabase, testCaller, testConfig } from '@palisade/kit/testing/index';
import { users } from '../db/schema.ts';
import { DevOutboxMailer, startUserSubgraph } from '../index.ts';

let user: StartedSubgraph;
let db: Awaited<ReturnType<typeof suiteDatabase>>;
const anon = testCaller();
const REGISTER = 'mutation($i: RegisterInput!) { register(input: $i) { user { id } } }';
const register = (input: { email: string; password: string; displayName: string }) => signedSubgraphRequest(user.url, 'user', anon, REGISTER, { i: input });
const fresh = (name: string) => `${name}-${randomBytes(4).toString('hex')}@example.com`;

beforeAll(async () => {
  db = await suiteDatabase();
  user = await startUserSubgraph({ config: testConfig(), port: 0, databaseUrl: db.url, pgliteDir: null, mailer: new DevOutboxMailer(null, null), peers: { security: 'http://127.0.0.1:9' } });
});
afterAll(async () => {
  await user?.stop();
  await db?.drop();
});

describe('registration', () => {
  it('refuses weak passwords at input.password, without echoing them and without creating the account', async () => {
    const email = fresh('weak');
    for (const password of ['aaaaaaaaaaaa', '123456789012', 'passwordpassword', `${email.split('@')[0]}!2024`, 'my-palisade-shop-9', 'Countess-Ada-Rules']) {
      const r = await register({ email, password, displayName: 'Countess Ada' });
      expect(r.body.errors?.map((e) => [e.extensions?.code, e.extensions?.field]), password).toEqual([['BAD_USER_INPUT', 'input.password']]);
      expect(JSON.stringify(r.body).toLowerCase()).not.toContain(password.toLowerCase());
    }
    expect(await user.database.db.select().from(users).where(eq(users.email, email))).toEqual([]);
    expect((await register({ email, password: `pw-${randomBytes(8).toString('hex')}`, displayName: 'Countess Ada' })).body.errors).toBeUndefined();
  });

  it('answers CONFLICT for a taken address and audits it, so detection can count who probes addresses', async () => {
    const email = fresh('taken');
    expect((await register({ email, password: `pw-${randomBytes(8).toString('hex')}`, displayName: 'First' })).body.errors).toBeUndefined();
    const r = await register({ email, password: `pw-${randomBytes(8).toString('hex')}`, displayName: 'Second' });
    expect(r.body.errors?.map((e) => e.extensions?.code)).toEqual(['CONFLICT']);
    const audited = await queryRows<{ record: { outcome: string; requestId: string; metadata: Record<string, unknown> } }>(
      user.database.db,
      sql`select record from users.audit_outbox where record->>'action' = 'auth.register' and record->>'outcome' = 'FAILURE'`,
    );
    expect(audited.map((a) => a.record.metadata)).toEqual([{ reason: 'conflict' }]);
    expect(audited[0]!.record.requestId).toBe(anon.requestId);
  });
});
