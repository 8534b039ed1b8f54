import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { MemoryStore } from '@palisade/kit';
import { testConfig, type ConfigOverrides } from '@palisade/kit/testing/index';
import { ACCOUNT_FAILURES, CLIENT_FAILURES, LockoutService, lockoutSettings, STEP_UP_TRIES } from '../services/lockout.service.ts';

const EMAIL = 'owner@example.com';
const HOME = '192.0.2.1';
const known = (ip: string | null) => async () => ip === HOME;
const DEFAULTS = lockoutSettings(testConfig());
const lockoutWith = (overrides?: ConfigOverrides) => new LockoutService(new MemoryStore(), overrides ? lockoutSettings(testConfig(overrides)) : DEFAULTS);
const codeOf = async (p: Promise<unknown>) => p.then(() => 'OK', (e: { extensions?: { code?: string } }) => e.extensions?.code ?? 'ERROR');

describe('lockout policy', () => {
  it('never refuses the owner’s known client, whatever strangers do; locks each address that keeps failing', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer({ min: 0, max: 5 }), { minLength: 1, maxLength: 80 }), async (attempts) => {
        const lockout = lockoutWith();
        const failures = new Map<string, number>();
        for (const a of attempts) {
          const ip = `198.51.100.${a}`;
          // a stranger tries (and fails) only when not refused up front, as login does
          if ((await codeOf(lockout.assertMayTry(EMAIL, ip, known(ip)))) === 'OK') {
            await lockout.recordFailure(EMAIL, ip);
            failures.set(ip, (failures.get(ip) ?? 0) + 1);
          }
          expect(await codeOf(lockout.assertMayTry(EMAIL, HOME, known(HOME)))).toBe('OK');
        }
        for (const n of failures.values()) expect(n).toBeLessThanOrEqual(CLIENT_FAILURES); // each address stopped at its own threshold
        const total = [...failures.values()].reduce((s, n) => s + n, 0);
        if (total >= ACCOUNT_FAILURES) expect(await codeOf(lockout.assertMayTry(EMAIL, '203.0.113.9', known('203.0.113.9')))).toBe('ACCOUNT_LOCKED');
      }),
      { numRuns: 200 },
    );
  });

  it('locks an address out of the account after its own failures, known client or not', async () => {
    const lockout = lockoutWith();
    for (let i = 0; i < CLIENT_FAILURES; i++) await lockout.recordFailure(EMAIL, HOME);
    expect(await codeOf(lockout.assertMayTry(EMAIL, HOME, known(HOME)))).toBe('ACCOUNT_LOCKED');
    expect(await codeOf(lockout.assertMayTry('someone-else@example.com', HOME, known(HOME)))).toBe('OK');
  });

  it('counts an IPv6 attacker per /64, so rotating host addresses is no way around the address lock', async () => {
    const lockout = lockoutWith();
    const host = (i: number) => `2001:db8:aa:bb:${i.toString(16)}::${(i * 7).toString(16)}`;
    for (let i = 0; i < CLIENT_FAILURES; i++) {
      expect(await codeOf(lockout.assertMayTry('other@example.com', host(i), known(host(i))))).toBe('OK');
      await lockout.recordFailure('other@example.com', host(i));
    }
    // a sixth host of the same /64 is refused even as a known client
    expect(await codeOf(lockout.assertMayTry('other@example.com', host(99), async () => true))).toBe('ACCOUNT_LOCKED');
    expect(await codeOf(lockout.assertMayTry('other@example.com', '2001:db8:aa:bc::1', async () => true))).toBe('OK');
  });

  it('does not scale lockout thresholds by RATE_LIMIT_SCALE', async () => {
    const lockout = lockoutWith({ rateLimits: { scale: 1000 } });
    for (let i = 0; i < ACCOUNT_FAILURES; i++) await lockout.recordFailure(EMAIL, `198.51.100.${i}`);
    expect(await codeOf(lockout.assertMayTry(EMAIL, '203.0.113.1', known('203.0.113.1')))).toBe('ACCOUNT_LOCKED');
  });

  it('a password reset clears the account and every address’s count', async () => {
    const lockout = lockoutWith();
    for (let i = 0; i < CLIENT_FAILURES; i++) await lockout.recordFailure(EMAIL, HOME);
    await lockout.clear(EMAIL);
    expect(await codeOf(lockout.assertMayTry(EMAIL, HOME, known(HOME)))).toBe('OK');
    expect(await codeOf(lockout.assertMayTry(EMAIL, '203.0.113.1', known('203.0.113.1')))).toBe('OK');
  });

  it('throttles an address failing mailed or refresh tokens, apart from its sign-ins', async () => {
    const lockout = lockoutWith({ rateLimits: { scale: 1 } });
    for (let i = 0; i < 20; i++) await lockout.recordAddressFailure('token', HOME);
    expect(await codeOf(lockout.assertAddress('token', HOME))).toBe('RATE_LIMITED');
    expect(await codeOf(lockout.assertMayTry(EMAIL, HOME, known(HOME)))).toBe('OK');
  });
});

describe('second-factor tries while the account is locked', () => {
  /** Locks the account for unknown clients, as strangers' failures from several addresses do. */
  const lockAccount = async (lockout: LockoutService) => {
    for (let i = 0; i < ACCOUNT_FAILURES; i++) await lockout.recordFailure(EMAIL, `203.0.113.${100 + i}`);
    expect(await codeOf(lockout.assertMayTry(EMAIL, '203.0.113.99', known('203.0.113.99')))).toBe('ACCOUNT_LOCKED');
  };
  /** One sign-in with a wrong one-time code, as login makes it: tried only if let through, then failed. */
  const wrongCode = async (lockout: LockoutService, ip: string) => {
    const r = await lockout.assertMayTry(EMAIL, ip, known(ip), true).then((s) => s, () => 'refused' as const);
    if (r === 'refused') return false;
    expect(r).not.toBeNull(); // a stranger while locked: the step-up path
    await lockout.recordFailure(EMAIL, ip);
    return true;
  };

  it(`lets at most ${STEP_UP_TRIES} through per account, however the guesses spread over addresses or overlap`, async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer({ min: 0, max: 60 }), { minLength: 1, maxLength: 120 }), fc.boolean(), async (addresses, parallel) => {
        const lockout = lockoutWith();
        await lockAccount(lockout);
        const ips = addresses.map((a) => `198.51.100.${a}`);
        const tried = parallel ? await Promise.all(ips.map((ip) => wrongCode(lockout, ip))) : await ips.reduce<Promise<boolean[]>>(async (acc, ip) => [...(await acc), await wrongCode(lockout, ip)], Promise.resolve([]));
        expect(tried.filter(Boolean).length).toBeLessThanOrEqual(STEP_UP_TRIES);
        if (tried.filter(Boolean).length === STEP_UP_TRIES) {
          // spent: even the right code from a new unknown client is not tried
          expect(await codeOf(lockout.assertMayTry(EMAIL, '192.0.2.77', known('192.0.2.77'), true))).toBe('ACCOUNT_LOCKED');
        }
        expect(await codeOf(lockout.assertMayTry(EMAIL, HOME, known(HOME), true))).toBe('OK'); // the owner's known client
      }),
      { numRuns: 150 },
    );
  });

  it('closes the step-up path after the tries are spent, until a password reset', async () => {
    const lockout = lockoutWith();
    await lockAccount(lockout);
    for (let i = 0; i < STEP_UP_TRIES; i++) expect(await wrongCode(lockout, `198.51.100.${i}`)).toBe(true);
    expect(await codeOf(lockout.assertMayTry(EMAIL, '192.0.2.77', known('192.0.2.77'), true))).toBe('ACCOUNT_LOCKED');
    expect(await lockout.assertMayTry(EMAIL, HOME, known(HOME), true)).toBeNull();
    await lockout.clear(EMAIL);
    expect(await lockout.assertMayTry(EMAIL, '192.0.2.77', known('192.0.2.77'), true)).toBeNull(); // no lock, no step-up needed
    await lockAccount(lockout);
    expect(await wrongCode(lockout, '198.51.100.200')).toBe(true); // a new lock after the reset has its own tries
  });
});
