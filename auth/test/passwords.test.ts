import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createPasswordHasher, DEFAULT_HASHING_LIMITS, hashPassword, verifyPassword } from '../src/passwords.ts';

describe('password hashing', () => {
  it('uses argon2id with OWASP parameters and verifies only the right password', async () => {
    const hash = await hashPassword('correct horse battery staple');
    expect(hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(await verifyPassword(hash, 'correct horse battery staple')).toBe(true);
    expect(await verifyPassword(hash, 'correct horse battery stapler')).toBe(false);
  });

  it('returns false without a stored hash, after doing the same work', async () => {
    expect(await verifyPassword(null, 'anything at all')).toBe(false);
    expect(await verifyPassword('not-a-hash', 'anything at all')).toBe(false);
  });
});

describe('bounded password hashing', () => {
  /** An argon2 stand-in whose calls finish only when the test says so, recording how many run at once. */
  function controlledArgon() {
    const pending: { kind: 'hash' | 'verify'; done: () => void }[] = [];
    const started: ('hash' | 'verify')[] = [];
    let running = 0;
    let peak = 0;
    const call = <T>(kind: 'hash' | 'verify', value: T) =>
      new Promise<T>((resolve) => {
        running++;
        peak = Math.max(peak, running);
        started.push(kind);
        pending.push({ kind, done: () => (running--, resolve(value)) });
      });
    return {
      impl: { hash: (p: string) => call('hash', `h:${p}`), verify: (h: string, p: string) => call('verify', h === `h:${p}`) },
      pending,
      started,
      peak: () => peak,
      /** Finishes the oldest running call and lets the queue move on. */
      async finishOne() {
        pending.shift()!.done();
        for (let i = 0; i < 5; i++) await Promise.resolve();
      },
    };
  }
  const settle = async () => {
    for (let i = 0; i < 10; i++) await Promise.resolve();
  };

  it('never runs more argon2 calls, or new hashes, than its bounds, whatever the mix', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({ concurrency: fc.integer({ min: 1, max: 6 }), hashShare: fc.integer({ min: 1, max: 6 }) }),
        fc.array(fc.constantFrom<'hash' | 'verify'>('hash', 'verify'), { minLength: 1, maxLength: 60 }),
        async ({ concurrency, hashShare }, calls) => {
          const limits = { ...DEFAULT_HASHING_LIMITS, concurrency, hashConcurrency: Math.min(hashShare, concurrency), maxQueuedHashes: 1_000, maxQueuedVerifies: 1_000 };
          const argon = controlledArgon();
          const hasher = createPasswordHasher(limits, argon.impl);
          const results = calls.map((k) => (k === 'hash' ? hasher.hashPassword('pw') : hasher.verifyPassword('h:pw', 'pw')));
          await settle();
          while (argon.pending.length) {
            expect(hasher.queue.running).toBeLessThanOrEqual(limits.concurrency);
            expect(hasher.queue.runningHashes).toBeLessThanOrEqual(limits.hashConcurrency);
            await argon.finishOne();
          }
          await Promise.all(results);
          expect(argon.started).toHaveLength(calls.length); // everything ran, none was refused
          expect(argon.peak()).toBeLessThanOrEqual(limits.concurrency);
          expect(hasher.queue.peakHashes).toBeLessThanOrEqual(limits.hashConcurrency);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('lets a waiting sign-in go before every waiting registration hash', async () => {
    const argon = controlledArgon();
    const hasher = createPasswordHasher({ ...DEFAULT_HASHING_LIMITS, concurrency: 2, hashConcurrency: 2, maxQueuedHashes: 100, maxQueuedVerifies: 100 }, argon.impl);
    const flood = Array.from({ length: 20 }, (_, i) => hasher.hashPassword(`pw${i}`));
    await settle();
    expect(argon.started).toEqual(['hash', 'hash']); // two running, eighteen waiting
    const signIn = hasher.verifyPassword('h:mine', 'mine');
    await argon.finishOne();
    expect(argon.started[2]).toBe('verify'); // the first free slot went to the sign-in
    await argon.finishOne();
    while (argon.pending.length) await argon.finishOne();
    expect(await signIn).toBe(true);
    await Promise.all(flood);
  });

  it('keeps slots for sign-ins while hashes flood, and refuses hashes beyond the queue bound', async () => {
    const argon = controlledArgon();
    const hasher = createPasswordHasher({ ...DEFAULT_HASHING_LIMITS, concurrency: 4, hashConcurrency: 2, maxQueuedHashes: 5, maxQueuedVerifies: 100 }, argon.impl);
    const flood = Array.from({ length: 30 }, (_, i) => hasher.hashPassword(`pw${i}`).then(() => 'ok', (e: Error & { extensions?: { code?: string } }) => e.extensions?.code));
    await settle();
    // 2 running, 5 queued, 23 refused at once
    const signIns = [hasher.verifyPassword('h:a', 'a'), hasher.verifyPassword('h:b', 'b')];
    await settle();
    expect(argon.started.filter((k) => k === 'verify')).toHaveLength(2); // sign-ins did not wait for the flood
    while (argon.pending.length) await argon.finishOne();
    const outcomes = await Promise.all(flood);
    expect(outcomes.filter((o) => o === 'ok')).toHaveLength(7);
    expect(outcomes.filter((o) => o === 'SERVICE_UNAVAILABLE')).toHaveLength(23);
    expect(await Promise.all(signIns)).toEqual([true, true]);
    expect(hasher.queue.refused).toBe(23);
  });

  it('runs new-password checks one at a time, inside the hash lane, and refuses a flood past the queue before checking', async () => {
    const instant = { hash: async (p: string) => `h:${p}`, verify: async (h: string, p: string) => h === `h:${p}` };
    const hasher = createPasswordHasher({ ...DEFAULT_HASHING_LIMITS, concurrency: 4, hashConcurrency: 2, maxQueuedHashes: 5 }, instant);
    let checked = 0;
    const slowCheck = async () => {
      checked++;
      await new Promise((r) => setTimeout(r, 1));
    };
    const outcome = (p: Promise<unknown>) => p.then(() => 'ok', (e: { extensions?: { code?: string } }) => e.extensions?.code);
    const flood = await Promise.all(Array.from({ length: 20 }, (_, i) => outcome(hasher.hashNewPassword(`pw${i}`, slowCheck))));
    expect(flood.filter((o) => o === 'ok')).toHaveLength(7); // 2 in the lane, 5 queued
    expect(flood.filter((o) => o === 'SERVICE_UNAVAILABLE')).toHaveLength(13);
    expect(checked).toBe(7); // the refused ones cost nothing
    expect(hasher.queue.peakChecks).toBe(1);
  });
});
