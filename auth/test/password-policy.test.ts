import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { COMMON_PASSWORD_COUNT, assertPasswordPolicy, passwordProblem } from '../src/password-policy.ts';

const owner = { email: 'ada.lovelace@analytical-engines.org', displayName: 'Countess Ada' };
const common = readFileSync(new URL('../data/common-passwords.txt', import.meta.url), 'utf8').split('\n').filter(Boolean);
// Words people build passwords from: the most common passwords (the list opens with symbols and numbers;
// letters-only entries of 5+ are words like "monkey", "sunshine", "dragon").
const words = common.filter((w) => /^[a-z]{5,10}$/.test(w));
const letters = 'abcdefghijklmnopqrstuvwxyz';
const digits = '0123456789';
const rows = ['qwertyuiop', 'asdfghjkl', 'zxcvbnm', '1234567890'];
const padTo = (s: string, n: number) => s.repeat(Math.ceil(n / s.length)).slice(0, n);

// Each family is a way people make a password that attackers try first.
const repetitions = fc.tuple(fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 3 }), fc.integer({ min: 12, max: 70 })).map(([chunk, n]) => padTo(chunk, n));
const sequences = fc
  .tuple(fc.constantFrom(letters, digits, ...rows), fc.integer({ min: 0, max: 9 }), fc.integer({ min: 12, max: 20 }), fc.boolean())
  .map(([base, start, n, down]) => {
    // Round and round the alphabet, the digits or a keyboard row: 'qwertyuiopqwer', '890123456789'.
    const run = Array.from({ length: n }, (_, i) => base[(start + i) % base.length]).join('');
    return down ? [...run].reverse().join('') : run;
  });
const wordAndDigits = fc
  .tuple(fc.constantFrom(...words), fc.constantFrom('1', '12', '123', '1234', '12345', '123456', '2024', '1999', '!', '1!', '01'), fc.boolean())
  .map(([w, tail, cap]) => {
    const word = cap ? w[0]!.toUpperCase() + w.slice(1) : w;
    // Repeated until long enough, as people do to pass a length rule.
    let p = word + tail;
    while ([...p].length < 12) p = word + p;
    return p;
  });
const fromOwner = fc
  .tuple(fc.constantFrom('ada.lovelace', 'lovelace', 'analytical', 'engines', 'countess', 'palisade', 'Palisade', 'LOVELACE'), fc.constantFrom('', '!', '2024', '-x9#Qm2$vLp7', 'correct-horse-battery'), fc.boolean())
  .map(([w, extra, before]) => (before ? extra + w + '1234' : w + '1234' + extra));

describe('password policy (NIST SP 800-63B)', () => {
  it('refuses the passwords that got through before', async () => {
    for (const p of ['aaaaaaaaaaaa', '123456789012', 'passwordpassword', 'UU UU UU UU UU UU UU UU UU UU UU U']) expect(await passwordProblem(p, owner), p).toMatch(/too easy to guess|too common/);
  });

  it('refuses every generated weak password: repetitions, sequences, common words with digits, the owner\'s own words', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(repetitions, sequences, wordAndDigits, fromOwner), async (p) => {
        expect(await passwordProblem(p, owner)).not.toBeNull();
      }),
      { numRuns: 300 },
    );
  });

  it('accepts generated random passwords of 14+ characters, with no composition rule', async () => {
    const alphabet = [...'abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789-_.!'];
    await fc.assert(
      fc.asyncProperty(fc.array(fc.constantFrom(...alphabet), { minLength: 14, maxLength: 128 }), async (chars) => {
        expect(await passwordProblem(chars.join(''), owner)).toBeNull();
      }),
      { numRuns: 100 },
    );
    // Lower-case letters only, or a passphrase: no composition rules.
    expect(await passwordProblem('qhvtzrmkxwbpndjy', owner)).toBeNull();
    expect(await passwordProblem('staple grapefruit hinge orbit', owner)).toBeNull();
  });

  it('counts characters, not code units, between 12 and 128', async () => {
    expect(await passwordProblem('kx7#qm2vlp9', owner)).toMatch(/12 to 128/);
    expect(await passwordProblem('x'.repeat(129), owner)).toMatch(/12 to 128/);
    // 12 emoji are 24 UTF-16 units but 12 characters; 64+ characters are allowed (NIST: at least 64).
    expect((await passwordProblem('🦊🐙🌵🎻🧲🛶🪁🧊🦉🍄🪐🧵', owner)) ?? '').not.toMatch(/12 to 128/);
    expect((await passwordProblem('Zq8-'.repeat(8) + 'kT3vN9wQ2xL7pR4mB6yH1cJ5dF0gS8aE3uI7oP2'.slice(0, 40), owner)) ?? '').not.toMatch(/12 to 128/);
  });

  it('answers BAD_USER_INPUT at the field, with the estimator\'s advice and never the password', async () => {
    const secret = 'monkeymonkey123';
    const err = await assertPasswordPolicy(secret, owner, 'input.password').catch((e: unknown) => e as { message: string; extensions: Record<string, unknown> });
    expect(err).toMatchObject({ extensions: { code: 'BAD_USER_INPUT', field: 'input.password' } });
    expect(err!.message).toMatch(/too easy to guess\. \S/);
    for (const part of [secret, 'monkey', '123']) expect(err!.message.toLowerCase()).not.toContain(part);
  });

  it('ships a common-password list of realistic size', () => {
    expect(COMMON_PASSWORD_COUNT()).toBeGreaterThan(10_000);
  });
});
