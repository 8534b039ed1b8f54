import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { generate } from 'otplib';
import { createTestEnvironment, type TestEnvironment } from './harness/supergraph.ts';
import { codesOf } from './harness/client.ts';

/**
 * Two ways round the sign-up and sign-in brakes found in a penetration test: tokens of throwaway accounts
 * bringing fresh budgets to public mutations, and second-factor guesses spread over addresses while locked.
 */
let env: TestEnvironment;
beforeAll(async () => {
  env = await createTestEnvironment({ config: { trustProxyHops: 1, rateLimits: { scale: 1 } } }); // the real budgets
});
afterAll(async () => env?.stop());

let ipCounter = 1;
const freshIp = () => `203.0.${100 + Math.floor(ipCounter / 250)}.${(ipCounter++ % 250) + 1}`;
const REGISTER = 'mutation($i: RegisterInput!) { register(input: $i) { accessToken } }';
const RESET = 'mutation($e: String!) { requestPasswordReset(email: $e) }';
const LOGIN = 'mutation($i: LoginInput!) { login(input: $i) { accessToken } }';
const newAccount = () => ({ email: `probe-${randomBytes(5).toString('hex')}@example.com`, password: `pw-${randomBytes(10).toString('hex')}`, displayName: 'Probe' });

describe('public mutations count per client address, whatever token is attached', () => {
  it('throwaway accounts’ tokens get no more sign-ups or reset mails out of a spent address', async () => {
    const ip = freshIp();
    const anon = env.asAnonymous().from(ip);
    const tokens: string[] = [];
    for (let i = 0; i < 10; i++) tokens.push((await anon.ok<{ register: { accessToken: string } }>(REGISTER, { i: newAccount() })).register.accessToken);
    expect(codesOf(await anon.request(REGISTER, { i: newAccount() }))).toEqual(['RATE_LIMITED']);
    // each new account's token, from the same address: still the address's spent budget
    for (const t of tokens) expect(codesOf(await anon.withToken(t).request(REGISTER, { i: newAccount() }))).toEqual(['RATE_LIMITED']);

    const victim = `victim-${randomBytes(4).toString('hex')}@example.com`;
    for (let i = 0; i < 3; i++) expect(codesOf(await anon.request(RESET, { e: victim }))).toEqual([]);
    for (const t of tokens) expect(codesOf(await anon.withToken(t).request(RESET, { e: victim }))).toEqual(['RATE_LIMITED']);
    // another address has a budget of its own
    expect(codesOf(await env.asAnonymous().from(freshIp()).request(REGISTER, { i: newAccount() }))).toEqual([]);
  });
});

describe('second-factor guesses against a locked account', () => {
  it('stop after a few tries over all addresses; then even the right code from a new address is refused, and the owner at home gets in', async () => {
    const home = freshIp();
    const o = newAccount();
    const reg = await env.asAnonymous().from(home).ok<{ register: { accessToken: string } }>(REGISTER, { i: o });
    const me = env.asAnonymous().from(home).withToken(reg.register.accessToken);
    const { enrollTotp } = await me.ok<{ enrollTotp: { secret: string } }>('mutation { enrollTotp { secret } }');
    await me.ok('mutation($c: String!) { confirmTotp(code: $c) }', { c: await generate({ secret: enrollTotp.secret }) });
    const login = (ip: string, password: string, totpCode?: string) => env.asAnonymous().from(ip).request(LOGIN, { i: { email: o.email, password, totpCode } });

    // strangers' failures lock the account for clients it does not know
    for (let a = 0; a < 5; a++) await login(freshIp(), `guess-${a}`);
    expect(codesOf(await login(freshIp(), o.password))).toEqual(['ACCOUNT_LOCKED']);
    // the attack of the report: 45 wrong codes (with the right password) from 10 addresses
    for (let a = 0; a < 10; a++) {
      const ip = freshIp();
      for (let i = 0; i < 4 + (a % 2); i++) expect(codesOf(await login(ip, o.password, String(100000 + a * 10 + i)))).toEqual(['ACCOUNT_LOCKED']);
    }
    const code = await generate({ secret: enrollTotp.secret, epoch: Math.floor(Date.now() / 1000) + 30 });
    expect(codesOf(await login(freshIp(), o.password, code))).toEqual(['ACCOUNT_LOCKED']);
    // the owner's known client is not locked out, and signs in with its code
    expect(codesOf(await login(home, o.password, code))).toEqual([]);
  });
});
