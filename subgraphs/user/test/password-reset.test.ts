import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { and, eq, isNull, sql } from 'drizzle-orm';
import { queryRows } from '@palisade/kit';
import { signedSubgraphRequest, suiteDatabase, testCaller, waitFor, testConfig } from '@palisade/kit/testing/index';
import { mailQueue } from '../db/schema.ts';
import { startUserSubgraph } from '../index.ts';
import type { Mail, Mailer } from '../services/mailer.ts';

/**
 * A mail server that takes every mail and answers none until released: SMTP at its slowest. For an address
 * given a script, it first refuses or hangs as the script says.
 */
class GatedMailer implements Mailer {
  readonly attempted: Mail[] = [];
  readonly delivered: Mail[] = [];
  readonly script = new Map<string, ('refuse' | 'hang')[]>();
  private open = false;
  private readonly held: (() => void)[] = [];
  send(mail: Mail): Promise<void> {
    this.attempted.push(mail);
    const step = this.script.get(mail.to)?.shift();
    if (step === 'refuse') return Promise.reject(Object.assign(new Error(`451 try later <${mail.to}>`), { code: 'EENVELOPE' }));
    if (step === 'hang') return new Promise(() => {});
    return new Promise((resolve) => {
      const deliver = () => {
        this.delivered.push(mail);
        resolve();
      };
      if (this.open) deliver();
      else this.held.push(deliver);
    });
  }
  release() {
    this.open = true;
    for (const deliver of this.held.splice(0)) deliver();
  }
}

const mailer = new GatedMailer();
const logLines: string[] = [];
const log = pino({ level: 'info' }, new Writable({ write: (chunk, _, done) => void (logLines.push(String(chunk)), done()) }));
let user: Awaited<ReturnType<typeof startUserSubgraph>>;
let db: Awaited<ReturnType<typeof suiteDatabase>>;
const anon = testCaller();
const ask = (query: string, variables?: Record<string, unknown>) => signedSubgraphRequest(user.url, 'user', anon, query, variables);
const requestReset = (email: string) => ask('mutation($e: String!) { requestPasswordReset(email: $e) }', { e: email });

beforeAll(async () => {
  db = await suiteDatabase();
  user = await startUserSubgraph({ config: testConfig(), port: 0, databaseUrl: db.url, pgliteDir: null, mailer, log, mailTiming: { intervalMs: 50, sendTimeoutMs: 300, retryMs: 50 }, peers: { security: 'http://127.0.0.1:9' } });
});
afterAll(async () => {
  mailer.release();
  await user?.stop();
  await db?.drop();
});

describe('password reset without account enumeration', () => {
  it('answers at once for known and unknown addresses alike while the mail server hangs; mails only the account', async () => {
    const known = `known-${randomBytes(4).toString('hex')}@example.com`;
    const unknown = `unknown-${randomBytes(4).toString('hex')}@example.com`;
    // Registration queues its verification mail too: the hung server holds no answer.
    const reg = await ask('mutation($i: RegisterInput!) { register(input: $i) { user { id } } }', { i: { email: known, password: `pw-${randomBytes(8).toString('hex')}`, displayName: 'Known' } });
    const userId = reg.body.data!.register.user.id as string;
    await waitFor(async () => mailer.attempted.length > 0, 'the drain reaching the hung mail server');

    const answers = [await requestReset(known), await requestReset(unknown)];
    for (const a of answers) expect(a.body).toEqual({ data: { requestPasswordReset: true } });
    expect(mailer.delivered).toEqual([]);
    expect(await user.mailQueue.pending()).toBeGreaterThanOrEqual(2);

    // The same work for both: one queued row and one audit record each, the unknown one naming nobody.
    const queued = await user.database.db.select({ kind: mailQueue.kind, userId: mailQueue.userId }).from(mailQueue).where(eq(mailQueue.kind, 'reset_password'));
    expect(queued.sort((a, b) => String(a.userId).localeCompare(String(b.userId)))).toEqual([
      { kind: 'reset_password', userId },
      { kind: 'reset_password', userId: null },
    ].sort((a, b) => String(a.userId).localeCompare(String(b.userId))));
    const audited = await queryRows<{ resource: string | null }>(user.database.db, sql`select record->>'resourceId' as resource from users.audit_outbox where record->>'action' = 'auth.password_reset_requested'`);
    expect(audited.map((a) => a.resource).sort()).toEqual([userId, null].sort());

    mailer.release();
    await waitFor(async () => (await user.database.db.select().from(mailQueue).where(isNull(mailQueue.doneAt))).length === 0, 'the mail queue settling');
    // At least once: a send held past its deadline is tried again, so count kinds of mail, not mails.
    expect([...new Set(mailer.delivered.map((m) => JSON.stringify([m.to, m.subject])))].sort().map((k) => JSON.parse(k))).toEqual([
      [known, 'Confirm your email'],
      [known, 'Reset your password'],
    ]);
    expect(mailer.attempted.some((m) => m.to === unknown)).toBe(false);
    expect(await user.database.db.select().from(mailQueue).where(and(isNull(mailQueue.userId), isNull(mailQueue.doneAt)))).toEqual([]);
  });

  it('the mailed link resets the password once', async () => {
    const email = `reset-${randomBytes(4).toString('hex')}@example.com`;
    await ask('mutation($i: RegisterInput!) { register(input: $i) { user { id } } }', { i: { email, password: `pw-${randomBytes(8).toString('hex')}`, displayName: 'R' } });
    await requestReset(email);
    await waitFor(async () => mailer.delivered.some((m) => m.to === email && m.subject === 'Reset your password'), 'the reset mail');
    const token = /token=([A-Za-z0-9_-]+)/.exec(mailer.delivered.find((m) => m.to === email && m.subject === 'Reset your password')!.text)![1]!;
    const reset = () => ask('mutation($t: String!, $p: String!) { resetPassword(token: $t, newPassword: $p) }', { t: token, p: `np-${randomBytes(8).toString('hex')}` });
    expect((await reset()).body).toEqual({ data: { resetPassword: true } });
    expect((await reset()).body.errors?.map((e) => e.extensions?.code)).toEqual(['BAD_USER_INPUT']);
  });

  it('retries a refused or hung send with a fresh link, until the mail goes out', async () => {
    const email = `retry-${randomBytes(4).toString('hex')}@example.com`;
    await ask('mutation($i: RegisterInput!) { register(input: $i) { user { id } } }', { i: { email, password: `pw-${randomBytes(8).toString('hex')}`, displayName: 'R' } });
    await waitFor(async () => mailer.delivered.some((m) => m.to === email && m.subject === 'Confirm your email'), 'the verification mail');
    mailer.script.set(email, ['refuse', 'hang']);
    const logFrom = logLines.length;
    await requestReset(email);
    await waitFor(async () => mailer.delivered.some((m) => m.to === email && m.subject === 'Reset your password'), 'the reset mail, third time');
    const tries = mailer.attempted.filter((m) => m.to === email && m.subject === 'Reset your password');
    expect(tries).toHaveLength(3);
    const tokens = tries.map((m) => /token=([A-Za-z0-9_-]+)/.exec(m.text)![1]!);
    expect(new Set(tokens).size).toBe(3);
    // Only the link that reached the owner works: each retry retired the one before.
    const reset = (t: string) => ask('mutation($t: String!, $p: String!) { resetPassword(token: $t, newPassword: $p) }', { t, p: `np-${randomBytes(8).toString('hex')}` });
    expect((await reset(tokens[0]!)).body.errors?.map((e) => e.extensions?.code)).toEqual(['BAD_USER_INPUT']);
    expect((await reset(tokens[2]!)).body).toEqual({ data: { resetPassword: true } });
    // Each failure is logged by its code, never with the address or the link.
    const failures = logLines.slice(logFrom).filter((l) => l.includes('mail could not be sent'));
    expect(failures.map((l) => JSON.parse(l).reason)).toEqual(['EENVELOPE', 'MAIL_TIMEOUT']);
    for (const l of failures) expect(l).not.toMatch(new RegExp(`${email.split('@')[0]}|token=`));
  });
});
