import { passwordHashingQueue } from '@palisade/auth';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { generate } from 'otplib';
import { eventually, waitFor } from '@palisade/kit/testing/index';
import { createTestEnvironment, login, type TestEnvironment } from './harness/supergraph.ts';
import { codesOf, type GraphQLClient } from './harness/client.ts';

// Distinct client addresses per scenario, so per-IP throttling does not bleed between tests.
let env: TestEnvironment;
let ipCounter = 1;
const freshIp = () => `198.51.100.${ipCounter++}`;
beforeAll(async () => {
  env = await createTestEnvironment({
    config: {
      trustProxyHops: 1,
      // The IP throttle below is asserted at its real size; every customer here registers from the harness's
      // one address, so registration's per-address budget is raised.
      rateLimits: { scale: 1, overrides: { 'Mutation.register': { limit: 100, duration: 60 } } },
      user: { loginLockBaseSeconds: 2 },
    },
  });
});
afterAll(async () => env?.stop());

const LOGIN = 'mutation($i: LoginInput!) { login(input: $i) { accessToken refreshToken user { id } } }';
const REFRESH = 'mutation($t: String!) { refreshSession(refreshToken: $t) { accessToken refreshToken } }';
const ME = '{ me { id } }';
const anon = () => env.asAnonymous().from(freshIp());
// Waiting out a lock asks again and again; each ask comes from its own address (203.0.113.0/24), so the
// per-address rate limit on sign-in is not what answers.
let probeCounter = 0;
const probe = () => env.asAnonymous().from(`203.0.113.${(probeCounter++ % 250) + 1}`);
const as = (token: string) => env.asAnonymous().from(freshIp()).withToken(token);
const refused = async (c: GraphQLClient) => {
  const r = await c.request(ME);
  return r.status === 401 && codesOf(r).includes('UNAUTHENTICATED');
};
/**
 * Audit records reach the security subgraph through the outbox relay: waits (a little) for `atLeast`, then
 * answers the count as it is, so the caller's assertion shows the figure when fewer (or more) arrived.
 */
async function auditCount(action: string, actorId: string, atLeast = 1): Promise<number> {
  const admin = await env.asAdmin();
  const count = async () =>
    (await admin.ok<{ auditEvents: { totalCount: number } }>('query($f: AuditFilter) { auditEvents(filter: $f) { totalCount } }', { f: { action, actorId } })).auditEvents.totalCount;
  await waitFor(async () => (await count()) >= atLeast, `${atLeast} ${action} audit record(s)`, 4_000).catch(() => {});
  return count();
}

describe('sessions', () => {
  it('rotates refresh tokens, and a reused one ends the whole session', async () => {
    const c = await env.asCustomer('Rota');
    const first = await login(anon(), c.email, c.password);
    const second = (await anon().ok<{ refreshSession: { accessToken: string; refreshToken: string } }>(REFRESH, { t: first.refreshToken })).refreshSession;
    expect(second.refreshToken).not.toBe(first.refreshToken);
    expect(await refused(as(second.accessToken))).toBe(false);
    // the stolen, already-rotated token comes back
    const reuse = await anon().request(REFRESH, { t: first.refreshToken });
    expect(codesOf(reuse)).toEqual(['UNAUTHENTICATED']);
    // now nothing from that session works: not the newest refresh token, not its access tokens
    expect(codesOf(await anon().request(REFRESH, { t: second.refreshToken }))).toEqual(['UNAUTHENTICATED']);
    expect(await refused(as(second.accessToken))).toBe(true);
    expect(await refused(as(first.accessToken))).toBe(true);
    expect(await auditCount('auth.refresh_reuse', c.userId)).toBe(1);
  });

  it('refuses a random refresh token', async () => {
    expect(codesOf(await anon().request(REFRESH, { t: randomBytes(32).toString('base64url') }))).toEqual(['UNAUTHENTICATED']);
  });

  it('logout ends the session at once', async () => {
    const c = await env.asCustomer('Leaving');
    const s = await login(anon(), c.email, c.password);
    expect(await as(s.accessToken).ok('mutation { logout }')).toEqual({ logout: true });
    expect(await refused(as(s.accessToken))).toBe(true);
    expect(codesOf(await anon().request(REFRESH, { t: s.refreshToken }))).toEqual(['UNAUTHENTICATED']);
    expect(await refused(c)).toBe(false); // the registration session is another session
  });

  it('lists and revokes only the caller’s own sessions', async () => {
    const c = await env.asCustomer('Multi');
    const other = await login(anon(), c.email, c.password);
    const list = await c.ok<{ mySessions: { id: string; current: boolean }[] }>('{ mySessions { id current } }');
    expect(list.mySessions).toHaveLength(2);
    const notCurrent = list.mySessions.find((s) => !s.current)!;
    const stranger = await env.asCustomer('Stranger');
    expect(codesOf(await stranger.request('mutation($id: ID!) { revokeSession(id: $id) }', { id: notCurrent.id }))).toEqual(['NOT_FOUND']);
    expect(await refused(as(other.accessToken))).toBe(false);
    expect(await c.ok('mutation($id: ID!) { revokeSession(id: $id) }', { id: notCurrent.id })).toEqual({ revokeSession: true });
    expect(await refused(as(other.accessToken))).toBe(true);
  });

  it('a password change ends the other sessions and keeps this one', async () => {
    const c = await env.asCustomer('Changer');
    const other = await login(anon(), c.email, c.password);
    const newPassword = `new-${randomBytes(8).toString('hex')}`;
    const wrong = await c.request('mutation($i: ChangePasswordInput!) { changePassword(input: $i) }', { i: { currentPassword: 'not-my-password-1', newPassword } });
    expect(codesOf(wrong)).toEqual(['FORBIDDEN']);
    expect(await c.ok('mutation($i: ChangePasswordInput!) { changePassword(input: $i) }', { i: { currentPassword: c.password, newPassword } })).toEqual({ changePassword: true });
    expect(await refused(as(other.accessToken))).toBe(true);
    expect(await refused(c)).toBe(false);
    expect(codesOf(await anon().request(LOGIN, { i: { email: c.email, password: c.password } }))).toEqual(['UNAUTHENTICATED']);
    await login(anon(), c.email, newPassword);
  });

  it('deactivation ends every session and blocks sign-in; roles change by admin only', async () => {
    const c = await env.asCustomer('Gone');
    const admin = await env.asAdmin();
    expect(codesOf(await c.request('mutation($id: ID!) { setUserActive(userId: $id, active: false) { active } }', { id: c.userId }))).toEqual(['FORBIDDEN']);
    await admin.ok('mutation($id: ID!) { setUserActive(userId: $id, active: false) { active } }', { id: c.userId });
    expect(await refused(c)).toBe(true);
    expect(codesOf(await anon().request(LOGIN, { i: { email: c.email, password: c.password } }))).toEqual(['UNAUTHENTICATED']);
    await admin.ok('mutation($id: ID!) { setUserActive(userId: $id, active: true) { active } }', { id: c.userId });
    const r = await admin.ok<{ setUserRoles: { roles: string[] } }>('mutation($id: ID!) { setUserRoles(userId: $id, roles: [MANAGER]) { roles } }', { id: c.userId });
    expect(r.setUserRoles.roles.sort()).toEqual(['CUSTOMER', 'MANAGER']);
    expect(await auditCount('user.active_changed', (await admin.ok<{ me: { id: string } }>('{ me { id } }')).me.id, 2)).toBeGreaterThanOrEqual(2);
  });
});

describe('profile', () => {
  it('lets a user rename themself, with the name validated', async () => {
    const c = await env.asCustomer('Old Name');
    const q = 'mutation($i: UpdateProfileInput!) { updateProfile(input: $i) { displayName } }';
    expect(await c.ok(q, { i: { displayName: '  New Name ' } })).toEqual({ updateProfile: { displayName: 'New Name' } });
    expect(codesOf(await c.request(q, { i: { displayName: 'x'.repeat(81) } }))).toEqual(['BAD_USER_INPUT']);
    expect(codesOf(await anon().request(q, { i: { displayName: 'Nobody' } }))).toEqual(['UNAUTHENTICATED']);
  });
});

describe('brute force', () => {
  it('locks an account after 5 failures, with growing waits, and unlocks when the wait is over', async () => {
    const c = await env.asCustomer('Target');
    const attempt = (password: string) => anon().request(LOGIN, { i: { email: c.email, password } });
    for (let i = 0; i < 5; i++) expect(codesOf(await attempt('wrong-password-123'))).toEqual(['UNAUTHENTICATED']);
    const locked = await attempt(c.password);
    expect(codesOf(locked)).toEqual(['ACCOUNT_LOCKED']);
    expect(locked.errors?.[0]?.extensions?.retryAfterSeconds).toBeGreaterThan(0);
    // A locked account refuses before counting anything, so asking again until the lock is over changes nothing.
    await eventually(() => login(probe(), c.email, c.password), 'the first lock running out', 10_000); // unlocked, and the success resets the count
    for (let i = 0; i < 5; i++) await attempt('wrong-password-123');
    const again = await attempt(c.password);
    expect(codesOf(again)).toEqual(['ACCOUNT_LOCKED']);
    expect(again.errors?.[0]?.extensions?.retryAfterSeconds).toBeGreaterThan(2); // the second lock is longer
    expect(await auditCount('auth.locked', c.userId, 2)).toBe(2);
  });

  it('locks unknown emails the same way, so lockout reveals nothing', async () => {
    const ghost = `ghost-${randomBytes(4).toString('hex')}@example.com`;
    for (let i = 0; i < 5; i++) await anon().request(LOGIN, { i: { email: ghost, password: 'wrong-password-123' } });
    expect(codesOf(await anon().request(LOGIN, { i: { email: ghost, password: 'wrong-password-123' } }))).toEqual(['ACCOUNT_LOCKED']);
  });

  it('throttles one address failing across many accounts before it can lock them', async () => {
    const ip = freshIp();
    const c = await env.asCustomer('Bystander');
    const codes: (string | undefined)[] = [];
    for (let i = 0; i < 21; i++) codes.push(...codesOf(await env.asAnonymous().from(ip).request(LOGIN, { i: { email: `spray-${i}@example.com`, password: 'wrong-password-123' } })));
    expect(codes.slice(0, 20).every((x) => x === 'UNAUTHENTICATED')).toBe(true);
    expect(codes[20]).toBe('RATE_LIMITED');
    // the bystander's own account was never touched and still signs in from elsewhere
    await login(anon(), c.email, c.password);
  });

  it('does the same work for an unknown email as for a wrong password: one full password verification, the same statements', async () => {
    const accounts = await Promise.all(Array.from({ length: 3 }, (_, i) => env.asCustomer(`Timing${i}`)));
    // Their verification mail goes out in the background; wait for it, so only sign-in work is measured.
    const mailer = env.supergraph.subgraphs.user.mailer as unknown as { mailTo(to: string, subject: string): Promise<unknown> };
    await Promise.all(accounts.map((a) => mailer.mailTo(a.email, 'Confirm your email')));
    const queue = passwordHashingQueue(); // the user subgraph runs in this process
    const db = env.supergraph.subgraphs.user.database;
    // What one failed sign-in costs: argon2 verifications run, and the shape of every statement it sends
    // (background jobs — the outbox relay, the mail queue — share the database and are left out).
    const cost = async (email: string) => {
      const statements: string[] = [];
      const before = { ...queue.completed };
      const stop = db.observe((q) => void statements.push(q.replace(/\$\d+/g, '$')));
      try {
        expect(codesOf(await anon().request(LOGIN, { i: { email, password: 'wrong-password-123' } }))).toEqual(['UNAUTHENTICATED']);
      } finally {
        stop();
      }
      return { verifies: queue.completed.verify - before.verify, hashes: queue.completed.hash - before.hash, statements: statements.filter((q) => !/audit_outbox|advisory|mail_queue/.test(q)).sort() };
    };
    for (const account of accounts) {
      const known = await cost(account.email);
      const unknown = await cost(`nobody-${randomBytes(4).toString('hex')}@example.com`);
      expect(known.verifies).toBe(1);
      expect(unknown).toEqual(known);
    }
  });
});

describe('recovery and verification', () => {
  // Mail goes out from a queue, off the request path: wait for it.
  const mailTo = (email: string) => env.supergraph.subgraphs.user.mailer as unknown as { mailTo(to: string, subject: string): Promise<{ text: string }> };
  const tokenIn = (text: string) => /token=([A-Za-z0-9_-]+)/.exec(text)?.[1] ?? null;

  it('verifies an email once through the mailed link', async () => {
    const c = await env.asCustomer('Verify');
    const token = tokenIn((await mailTo(c.email).mailTo(c.email, 'Confirm your email')).text)!;
    expect((await c.ok<{ me: { emailVerified: boolean } }>('{ me { emailVerified } }')).me.emailVerified).toBe(false);
    expect(await anon().ok('mutation($t: String!) { verifyEmail(token: $t) }', { t: token })).toEqual({ verifyEmail: true });
    expect((await c.ok<{ me: { emailVerified: boolean } }>('{ me { emailVerified } }')).me.emailVerified).toBe(true);
    expect(codesOf(await anon().request('mutation($t: String!) { verifyEmail(token: $t) }', { t: token }))).toEqual(['BAD_USER_INPUT']);
  });

  it('resets a password by mail: single use, ends all sessions, lifts the lock; unknown emails get the same answer', async () => {
    const c = await env.asCustomer('Forgetful');
    for (let i = 0; i < 5; i++) await anon().request(LOGIN, { i: { email: c.email, password: 'wrong-password-123' } });
    expect(codesOf(await anon().request(LOGIN, { i: { email: c.email, password: c.password } }))).toEqual(['ACCOUNT_LOCKED']);
    const ask = (email: string) => anon().ok<{ requestPasswordReset: boolean }>('mutation($e: String!) { requestPasswordReset(email: $e) }', { e: email });
    expect(await ask(`nobody-${randomBytes(3).toString('hex')}@example.com`)).toEqual({ requestPasswordReset: true });
    expect(await ask(c.email)).toEqual({ requestPasswordReset: true });
    const token = tokenIn((await mailTo(c.email).mailTo(c.email, 'Reset your password')).text)!;
    const reset = (password: string) => anon().request('mutation($t: String!, $p: String!) { resetPassword(token: $t, newPassword: $p) }', { t: token, p: password });
    expect(codesOf(await reset('password123'))).toEqual(['BAD_USER_INPUT']); // too weak: refused, and the token survives
    const fresh = `reset-${randomBytes(8).toString('hex')}`;
    expect((await reset(fresh)).data).toEqual({ resetPassword: true });
    expect(codesOf(await reset(`again-${randomBytes(8).toString('hex')}`))).toEqual(['BAD_USER_INPUT']);
    expect(await refused(c)).toBe(true);
    await login(anon(), c.email, fresh);
  });

  it('refuses common and too-short passwords at registration', async () => {
    const r = await anon().request('mutation($i: RegisterInput!) { register(input: $i) { accessToken } }', { i: { email: `weak-${randomBytes(3).toString('hex')}@example.com`, password: 'qwertyuiop123', displayName: 'W' } });
    expect(codesOf(r)).toEqual(['BAD_USER_INPUT']);
    expect(r.errors?.[0]?.message).toMatch(/too common/);
  });
});

describe('two-factor sign-in', () => {
  it('enrols TOTP, then asks for a code; a wrong code counts as a failed login', async () => {
    const c = await env.asCustomer('Totp');
    const { enrollTotp } = await c.ok<{ enrollTotp: { secret: string; otpauthUri: string } }>('mutation { enrollTotp { secret otpauthUri } }');
    expect(enrollTotp.otpauthUri).toMatch(/^otpauth:\/\/totp\/Palisade:/);
    expect(codesOf(await c.request('mutation { confirmTotp(code: "000000") }'))).toEqual(['BAD_USER_INPUT']);
    expect(await c.ok('mutation($c: String!) { confirmTotp(code: $c) }', { c: await generate({ secret: enrollTotp.secret }) })).toEqual({ confirmTotp: true });
    const noCode = await anon().request(LOGIN, { i: { email: c.email, password: c.password } });
    expect(codesOf(noCode)).toEqual(['UNAUTHENTICATED']);
    // the wrong confirmation code above was the first of the five failures that lock the account
    for (let i = 0; i < 4; i++) expect(codesOf(await anon().request(LOGIN, { i: { email: c.email, password: c.password, totpCode: '000000' } }))).toEqual(['UNAUTHENTICATED']);
    expect(codesOf(await anon().request(LOGIN, { i: { email: c.email, password: c.password } }))).toEqual(['ACCOUNT_LOCKED']);
    // Locked for strangers, yet a good code (here from the next time step, inside the window) gets the owner
    // past the lock from anywhere (step-up); once used, the same code is refused (no replay).
    const next = await generate({ secret: enrollTotp.secret, epoch: Math.floor(Date.now() / 1000) + 30 });
    expect(codesOf(await anon().request(LOGIN, { i: { email: c.email, password: c.password, totpCode: next } }))).toEqual([]);
    // Once the lock is over, the right password alone is answered "code required" (not counted as a failure).
    await eventually(async () => expect(codesOf(await probe().request(LOGIN, { i: { email: c.email, password: c.password } }))).toEqual(['UNAUTHENTICATED']), 'the lock running out', 10_000);
    expect(codesOf(await anon().request(LOGIN, { i: { email: c.email, password: c.password, totpCode: next } }))).toEqual(['UNAUTHENTICATED']);
  });
});
