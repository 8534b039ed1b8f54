import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import fc from 'fast-check';
import { queryRows, type StartedSubgraph } from '@palisade/kit';
import { signedSubgraphRequest, suiteDatabase, testCaller, testConfig } from '@palisade/kit/testing/index';
import { DevOutboxMailer, startUserSubgraph } from '../index.ts';
import { emailFingerprint } from '../services/email-fingerprint.ts';

let user: StartedSubgraph;
let db: Awaited<ReturnType<typeof suiteDatabase>>;
beforeAll(async () => {
  db = await suiteDatabase();
  user = await startUserSubgraph({ config: testConfig(), port: 0, databaseUrl: db.url, pgliteDir: null, mailer: new DevOutboxMailer(null, null), peers: { security: 'http://127.0.0.1:9' } });
});
afterAll(async () => {
  await user?.stop();
  await db?.drop();
});

let n = 1;
/** A sign-in from an address of its own, so lockout never answers in the password check's place. */
async function failedSignIn(email: string) {
  const caller = { ...testCaller(), requestId: randomUUID(), ip: `198.19.${Math.floor(n / 250)}.${(n++ % 250) + 1}` };
  const r = await signedSubgraphRequest(user.url, 'user', caller, 'mutation($i: LoginInput!) { login(input: $i) { accessToken } }', { i: { email, password: `pw-${randomBytes(6).toString('hex')}` } });
  expect(r.body.errors?.map((e) => e.extensions?.code)).toEqual(['UNAUTHENTICATED']);
  const [row] = await queryRows<{ record: { metadata: Record<string, unknown> } }>(user.database.db, sql`select record from users.audit_outbox where record->>'action' = 'auth.login_failed' and record->>'requestId' = ${caller.requestId}`);
  return row!.record.metadata;
}

// What people type into the email field: passwords as often as addresses.
const typed = fc.oneof(
  fc.string({ unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&*+-_.@?'), minLength: 6, maxLength: 40 }),
  fc.emailAddress().filter((e) => e.length <= 100),
);

describe('a failed sign-in to an unknown email', () => {
  it('audits a hash of what was typed and at most a domain, never the text itself', async () => {
    await fc.assert(
      fc.asyncProperty(typed, async (text) => {
        fc.pre(!text.trim().toLowerCase().startsWith('admin@')); // the bootstrap administrator exists
        const metadata = await failedSignIn(text);
        expect(metadata).not.toHaveProperty('email');
        expect(metadata.emailHash).toMatch(/^[0-9a-f]{16}$/);
        const normal = text.trim().toLowerCase();
        const local = normal.includes('@') ? normal.slice(0, normal.lastIndexOf('@')) : normal;
        // nothing before the @ (where a password would be) reaches the record
        if (local.length >= 4) expect(JSON.stringify(metadata).toLowerCase()).not.toContain(local);
        if (metadata.emailDomain !== undefined) expect(normal.endsWith(`@${metadata.emailDomain as string}`)).toBe(true);
      }),
      { numRuns: 25 },
    );
  });

  it('tells typed emails apart and the same one again alike, so detection can count distinct emails', async () => {
    const a = `nobody-${randomBytes(4).toString('hex')}@example.com`;
    const b = `nobody-${randomBytes(4).toString('hex')}@example.com`;
    const [first, again, other] = [await failedSignIn(a), await failedSignIn(` ${a.toUpperCase()} `), await failedSignIn(b)];
    expect(first).toEqual({ reason: 'unknown_email', emailHash: expect.stringMatching(/^[0-9a-f]{16}$/), emailDomain: 'example.com' });
    expect(again.emailHash).toBe(first.emailHash);
    expect(other.emailHash).not.toBe(first.emailHash);
  });
});

describe('email fingerprint', () => {
  it('keeps a domain only when one is there', () => {
    expect(emailFingerprint('Alice@Mail.Example.org')).toMatchObject({ emailDomain: 'mail.example.org' });
    for (const t of ['hunter2', 'correct horse battery staple', 'p@ss', 'p@ssword.123', 'x@-bad-.com', 'a@b'])
      expect(emailFingerprint(t), t).not.toHaveProperty('emailDomain');
  });
});
