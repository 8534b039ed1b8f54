import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { generate } from 'otplib';
import { ADMIN, createTestEnvironment, type TestEnvironment } from './harness/supergraph.ts';
import { codesOf, type GraphQLResponse } from './harness/client.ts';

/**
 * Lockout without lockout-DoS: a stranger's failures lock the stranger's address and the account for
 * clients it does not know, never the owner's known client (an address the account signed in from before).
 */
let env: TestEnvironment;
beforeAll(async () => {
  env = await createTestEnvironment({ config: { trustProxyHops: 1 } });
});
afterAll(async () => env?.stop());

let ipCounter = 1;
const freshIp = () => `203.0.${Math.floor(ipCounter / 250)}.${(ipCounter++ % 250) + 1}`;
const LOGIN = 'mutation($i: LoginInput!) { login(input: $i) { accessToken user { id } } }';
const signIn = (ip: string, email: string, password: string) => env.asAnonymous().from(ip).request(LOGIN, { i: { email, password } });
/** What a client can see of an answer: codes and messages (no timing). */
const visible = (r: GraphQLResponse) => ({ status: r.status, errors: (r.errors ?? []).map((e) => ({ code: e.extensions?.code, message: e.message })) });

/** An owner who registered from `home`, which makes it a known client of the account. */
async function owner(home: string) {
  const email = `owner-${randomBytes(5).toString('hex')}@example.com`;
  const password = `pw-${randomBytes(10).toString('hex')}`;
  const r = await env.asAnonymous().from(home).ok<{ register: { accessToken: string } }>('mutation($i: RegisterInput!) { register(input: $i) { accessToken } }', { i: { email, password, displayName: 'Owner' } });
  return { email, password, token: r.register.accessToken };
}

async function attack(ip: string, email: string, times: number) {
  const codes: (string | undefined)[] = [];
  for (let i = 0; i < times; i++) codes.push(...codesOf(await signIn(ip, email, `guess-${i}-${randomBytes(3).toString('hex')}`)));
  return codes;
}

describe('lockout without lockout-DoS', () => {
  it('50 failures from one address lock that address, not the owner at their known client', async () => {
    const home = freshIp();
    const attacker = freshIp();
    const o = await owner(home);
    const codes = await attack(attacker, o.email, 50);
    expect(codes.slice(0, 5)).toEqual(Array(5).fill('UNAUTHENTICATED'));
    expect(codes.slice(5).every((c) => c === 'ACCOUNT_LOCKED' || c === 'RATE_LIMITED')).toBe(true);
    // the attacker's address is locked itself, even with the right password
    expect(codesOf(await signIn(attacker, o.email, o.password))).toEqual(['ACCOUNT_LOCKED']);
    // the owner signs in from home, again and again, while the attack goes on
    expect(codesOf(await signIn(home, o.email, o.password))).toEqual([]);
    await attack(attacker, o.email, 3);
    expect(codesOf(await signIn(home, o.email, o.password))).toEqual([]);
    // the owner's success unlocked nothing for the attacker
    expect(codesOf(await signIn(attacker, o.email, o.password))).toEqual(['ACCOUNT_LOCKED']);
    // a client the account never signed in from waits out the lock (or resets the password by mail)
    expect(codesOf(await signIn(freshIp(), o.email, o.password))).toEqual(['ACCOUNT_LOCKED']);
  });

  it('guessing spread over many addresses locks the account for strangers only', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 2, max: 6 }), fc.integer({ min: 1, max: 4 }), async (addresses, each) => {
        fc.pre(addresses * each >= 5); // at least the account's threshold in total
        const home = freshIp();
        const o = await owner(home);
        for (let a = 0; a < addresses; a++) await attack(freshIp(), o.email, each);
        expect(codesOf(await signIn(freshIp(), o.email, o.password))).toEqual(['ACCOUNT_LOCKED']);
        expect(codesOf(await signIn(home, o.email, o.password))).toEqual([]);
      }),
      { numRuns: 4 },
    );
  });

  it('over IPv6, an attacker rotating through its /64 is one address, and the owner’s /64 stays known', async () => {
    const home = '2001:db8:1:2::10';
    const o = await owner(home);
    const codes: (string | undefined)[] = [];
    for (let i = 0; i < 20; i++) codes.push(...codesOf(await signIn(`2001:db8:66:66:${(i + 1).toString(16)}::1`, o.email, `guess-${i}`)));
    expect(codes.slice(0, 5)).toEqual(Array(5).fill('UNAUTHENTICATED'));
    expect(codes.slice(5).every((c) => c === 'ACCOUNT_LOCKED')).toBe(true);
    // a new privacy address in the owner's own /64 is still the owner's known client
    expect(codesOf(await signIn('2001:db8:1:2:abcd:ef01:2345:6789', o.email, o.password))).toEqual([]);
  });

  it('an unknown client of a locked account gets in with the second factor (step-up), checked before the password', async () => {
    const home = freshIp();
    const o = await owner(home);
    const me = env.asAnonymous().from(home).withToken(o.token);
    const { enrollTotp } = await me.ok<{ enrollTotp: { secret: string } }>('mutation { enrollTotp { secret } }');
    await me.ok('mutation($c: String!) { confirmTotp(code: $c) }', { c: await generate({ secret: enrollTotp.secret }) });
    const attacker = freshIp();
    await attack(attacker, o.email, 50);
    const travelling = freshIp();
    const login = (ip: string, password: string, totpCode?: string) => env.asAnonymous().from(ip).request(LOGIN, { i: { email: o.email, password, totpCode } });
    expect(codesOf(await login(travelling, o.password))).toEqual(['ACCOUNT_LOCKED']);
    expect(codesOf(await login(travelling, o.password, '000000'))).toEqual(['ACCOUNT_LOCKED']);
    const now = Math.floor(Date.now() / 1000);
    // a good code with a wrong password answers as the lock does: no password oracle behind the code
    expect(codesOf(await login(travelling, 'not-the-password-1', await generate({ secret: enrollTotp.secret, epoch: now - 30 })))).toEqual(['ACCOUNT_LOCKED']);
    // (the next time step's code: never the one spent on confirmTotp above)
    const code = await generate({ secret: enrollTotp.secret, epoch: now + 30 });
    expect(codesOf(await login(freshIp(), o.password, code))).toEqual([]);
    // the attacker's own address stays locked, code or not
    expect(codesOf(await login(attacker, o.password, code))).toEqual(['ACCOUNT_LOCKED']);
  });

  it('the bootstrap administrator keeps signing in from its known client', async () => {
    await env.asAdmin(); // signs in from the harness's own address, which makes it known
    const attacker = freshIp();
    await attack(attacker, ADMIN.email, 50);
    expect(codesOf(await signIn(attacker, ADMIN.email, ADMIN.password))).toEqual(['ACCOUNT_LOCKED']);
    const r = await env.asAnonymous().request(LOGIN, { i: { email: ADMIN.email, password: ADMIN.password } });
    expect(codesOf(r)).toEqual([]);
  });

  it('answers an attack on an unknown email exactly as one on a real account', async () => {
    const o = await owner(freshIp());
    const ghost = `ghost-${randomBytes(5).toString('hex')}@example.com`;
    const run = async (email: string) => {
      const ip = freshIp();
      const seen = [];
      for (let i = 0; i < 12; i++) seen.push(visible(await signIn(ip, email, `guess-${i}`)));
      seen.push(visible(await signIn(freshIp(), email, `guess-x`))); // a stranger during the lock
      return seen;
    };
    expect(await run(ghost)).toEqual(await run(o.email));
  });
});
