import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { buildSchema, getNamedType, isInputObjectType, type GraphQLArgument, type GraphQLInputField } from 'graphql';
import { generate } from 'otplib';
import { waitFor } from '@palisade/kit/testing/index';
import { createTestEnvironment, type TestEnvironment } from './harness/supergraph.ts';
import { codesOf } from './harness/client.ts';

/**
 * The class: every mutation of the composed supergraph that takes a secret (a password, a one-time code, a
 * mailed or refresh token). Each must refuse a guesser within a few wrong answers (RATE_LIMITED or
 * ACCOUNT_LOCKED), audit each wrong answer, and — where the secret belongs to an account — count it toward
 * that account's lockout, so a stolen access token is no password or second-factor oracle.
 */
let env: TestEnvironment;
beforeAll(async () => {
  env = await createTestEnvironment({ config: { trustProxyHops: 1, rateLimits: { scale: 1 } } }); // real budgets
});
afterAll(async () => env?.stop());

const SECRET_ARG = /^(password|currentPassword|code|totpCode|token|refreshToken|secret|otp)$/i;
const supergraph = buildSchema(readFileSync(fileURLToPath(new URL('../schema/supergraph.graphql', import.meta.url)), 'utf8'), { assumeValidSDL: true });

function takesSecret(args: readonly (GraphQLArgument | GraphQLInputField)[], seen = new Set<string>()): boolean {
  return args.some((a) => {
    if (SECRET_ARG.test(a.name)) return true;
    const t = getNamedType(a.type);
    if (!isInputObjectType(t) || seen.has(t.name)) return false;
    seen.add(t.name);
    return takesSecret(Object.values(t.getFields()), seen);
  });
}
const secretMutations = Object.values(supergraph.getMutationType()!.getFields()).filter((f) => takesSecret(f.args)).map((f) => f.name).sort();

let ipCounter = 1;
const freshIp = () => `198.18.${Math.floor(ipCounter / 250)}.${(ipCounter++ % 250) + 1}`;
const from = (ip: string, token: string | null = null) => env.asAnonymous().from(ip).withToken(token);
const REGISTER = 'mutation($i: RegisterInput!) { register(input: $i) { accessToken user { id } } }';
const LOGIN = 'mutation($i: LoginInput!) { login(input: $i) { accessToken } }';

/** A customer registered from an address of its own (registration is limited per address). */
async function customer(withToken = true) {
  const email = `secret-${randomBytes(5).toString('hex')}@example.com`;
  const password = `pw-${randomBytes(10).toString('hex')}`;
  const r = await from(freshIp()).ok<{ register: { accessToken: string; user: { id: string } } }>(REGISTER, { i: { email, password, displayName: 'Secret Keeper' } });
  return { email, password, userId: r.register.user.id, token: withToken ? r.register.accessToken : '' };
}

async function audits(action: string, o: { actorId?: string; ip?: string; since: string }, atLeast: number) {
  const admin = await env.asAdmin();
  let n = 0;
  await waitFor(async () => {
    const r = await admin.ok<{ auditEvents: { edges: { node: { ip: string | null } }[] } }>(
      'query($f: AuditFilter) { auditEvents(filter: $f, first: 50) { edges { node { ip } } } }',
      { f: { action, actorId: o.actorId, since: o.since } },
    );
    n = r.auditEvents.edges.filter((e) => !o.ip || e.node.ip === o.ip).length;
    return n >= atLeast;
  }, `${atLeast} × ${action}`, 15_000).catch(() => undefined);
  return n;
}

const REFUSED = ['RATE_LIMITED', 'ACCOUNT_LOCKED'];
/** Guesses until refused; returns how many wrong answers were let through first (Infinity: never refused). */
async function guessUntilRefused(guess: (wrong: string) => Promise<(string | undefined)[]>, max: number): Promise<number> {
  const wrongs = fc.sample(fc.stringMatching(/^[0-9]{6}$|^[A-Za-z0-9_-]{8,40}$/), max + 1);
  for (let i = 0; i <= max; i++) {
    const codes = await guess(wrongs[i]!);
    if (codes.some((c) => REFUSED.includes(c!))) return i;
    expect(codes).toHaveLength(1); // a plain refusal of the wrong secret, never success
  }
  return Infinity;
}

/** The account now refuses sign-in from addresses it does not know: the failures fed its lockout. */
async function lockedForStrangers(email: string, password: string) {
  return codesOf(await from(freshIp()).request(LOGIN, { i: { email, password } }));
}

interface Driver {
  /** Wrong guesses allowed before a refusal. */
  within: number;
  run(): Promise<void>;
}

const drivers: Record<string, Driver> = {
  login: {
    within: 5,
    async run() {
      const since = new Date().toISOString();
      const c = await customer();
      const ip = freshIp();
      const n = await guessUntilRefused(async (w) => codesOf(await from(ip).request(LOGIN, { i: { email: c.email, password: `wrong-${w}` } })), 10);
      expect(n).toBeLessThanOrEqual(5);
      expect(await audits('auth.login_failed', { actorId: c.userId, since }, n)).toBeGreaterThanOrEqual(n);
    },
  },
  changePassword: {
    within: 5,
    async run() {
      const since = new Date().toISOString();
      const c = await customer();
      const ip = freshIp();
      const q = 'mutation($i: ChangePasswordInput!) { changePassword(input: $i) }';
      const newPassword = `new-${randomBytes(10).toString('hex')}`;
      const n = await guessUntilRefused(async (w) => codesOf(await from(ip, c.token).request(q, { i: { currentPassword: `wrong-${w}`, newPassword } })), 10);
      expect(n).toBeLessThanOrEqual(5);
      // locked, not merely budgeted: the right password is refused too, and strangers cannot sign in
      expect(codesOf(await from(ip, c.token).request(q, { i: { currentPassword: c.password, newPassword } })).some((x) => REFUSED.includes(x!))).toBe(true);
      expect(await lockedForStrangers(c.email, c.password)).toEqual(['ACCOUNT_LOCKED']);
      expect(await audits('auth.password_change_failed', { actorId: c.userId, since }, n)).toBeGreaterThanOrEqual(n);
      expect(await audits('auth.locked', { actorId: c.userId, since }, 1)).toBeGreaterThanOrEqual(1);
    },
  },
  deleteMyAccount: {
    within: 5,
    async run() {
      const since = new Date().toISOString();
      const c = await customer();
      const ip = freshIp();
      const q = 'mutation($i: DeleteMyAccountInput!) { deleteMyAccount(input: $i) }';
      const n = await guessUntilRefused(async (w) => codesOf(await from(ip, c.token).request(q, { i: { password: `wrong-${w}` } })), 10);
      expect(n).toBeLessThanOrEqual(5);
      // locked, not merely budgeted: the right password is refused too (the account stays), strangers cannot sign in
      expect(codesOf(await from(ip, c.token).request(q, { i: { password: c.password } })).some((x) => REFUSED.includes(x!))).toBe(true);
      expect(await lockedForStrangers(c.email, c.password)).toEqual(['ACCOUNT_LOCKED']);
      expect(await audits('user.deleted', { actorId: c.userId, since }, n)).toBeGreaterThanOrEqual(n);
    },
  },
  confirmTotp: {
    within: 5,
    async run() {
      const since = new Date().toISOString();
      const c = await customer();
      const ip = freshIp();
      await from(ip, c.token).ok('mutation { enrollTotp { secret } }');
      const n = await guessUntilRefused(async (w) => codesOf(await from(ip, c.token).request('mutation($c: String!) { confirmTotp(code: $c) }', { c: w.slice(0, 6).padStart(6, '0') })), 10);
      expect(n).toBeLessThanOrEqual(5);
      expect(await lockedForStrangers(c.email, c.password)).toEqual(['ACCOUNT_LOCKED']);
      expect(await audits('auth.totp_failed', { actorId: c.userId, since }, n)).toBeGreaterThanOrEqual(n);
    },
  },
  disableTotp: {
    within: 5,
    async run() {
      const c = await customer();
      const ip = freshIp();
      const { enrollTotp } = await from(ip, c.token).ok<{ enrollTotp: { secret: string } }>('mutation { enrollTotp { secret } }');
      await from(ip, c.token).ok('mutation($c: String!) { confirmTotp(code: $c) }', { c: await generate({ secret: enrollTotp.secret }) });
      const since = new Date().toISOString();
      const n = await guessUntilRefused(async (w) => codesOf(await from(ip, c.token).request('mutation($c: String!) { disableTotp(code: $c) }', { c: w.slice(0, 6).padStart(6, '0') })), 10);
      expect(n).toBeLessThanOrEqual(5);
      expect(await lockedForStrangers(c.email, c.password)).toEqual(['ACCOUNT_LOCKED']);
      expect(await audits('auth.totp_failed', { actorId: c.userId, since }, n)).toBeGreaterThanOrEqual(n);
    },
  },
  ...Object.fromEntries(
    (
      [
        ['resetPassword', 'mutation($t: String!) { resetPassword(token: $t, newPassword: "a-long-enough-password-41") }', 10],
        ['verifyEmail', 'mutation($t: String!) { verifyEmail(token: $t) }', 10],
        ['refreshSession', 'mutation($t: String!) { refreshSession(refreshToken: $t) { accessToken } }', 20],
      ] as const
    ).map(([name, query, within]) => [
      name,
      {
        within,
        async run() {
          const since = new Date().toISOString();
          const ip = freshIp();
          const n = await guessUntilRefused(async (w) => codesOf(await from(ip).request(query, { t: w })), within + 5);
          expect(n).toBeLessThanOrEqual(within);
          expect(await audits('auth.token_rejected', { ip, since }, n)).toBeGreaterThanOrEqual(n);
          // another address is not held back by this one's guessing
          expect(codesOf(await from(freshIp()).request(query, { t: 'x'.repeat(20) })).some((x) => REFUSED.includes(x!))).toBe(false);
        },
      } satisfies Driver,
    ]),
  ),
  register: {
    // Not a check of a secret but a maker of them: one address may create only a few accounts.
    within: 10,
    async run() {
      const ip = freshIp();
      const codes: (string | undefined)[] = [];
      for (let i = 0; i < 11; i++) {
        codes.push(...codesOf(await from(ip).request(REGISTER, { i: { email: `flood-${i}-${randomBytes(4).toString('hex')}@example.com`, password: `pw-${randomBytes(10).toString('hex')}`, displayName: 'Flood' } })));
      }
      expect(codes).toEqual(['RATE_LIMITED']); // ten accounts made, the eleventh refused
    },
  },
};

describe('every secret check is throttled, locked and audited', () => {
  it('has a driver for every mutation that takes a secret (the class, from the composed schema)', () => {
    expect(secretMutations.length).toBeGreaterThanOrEqual(7);
    expect(Object.keys(drivers).sort()).toEqual(secretMutations);
  });

  it.each(secretMutations.filter((m) => drivers[m]))('%s', async (name) => {
    await drivers[name]!.run();
  });
});
