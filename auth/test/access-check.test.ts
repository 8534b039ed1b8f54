import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { GraphQLResolveInfo } from 'graphql';
import { every, some, type AccessCheck, type Verdict } from '../src/access-check.ts';

type Kind = { verdict: 'true' | 'false' | 'error' | 'throw'; async: boolean };
const kind = fc.record({ verdict: fc.constantFrom('true', 'false', 'error', 'throw'), async: fc.boolean() }) as fc.Arbitrary<Kind>;

/** A check of that kind that records that it ran. */
function check(k: Kind, i: number, ran: number[]): AccessCheck {
  return () => {
    ran.push(i);
    const v = (): Verdict => {
      if (k.verdict === 'throw') throw new Error('a policy bug');
      return k.verdict === 'true' ? true : k.verdict === 'false' ? false : new Error(`refused by ${i}`);
    };
    return k.async ? Promise.resolve().then(v) : v();
  };
}
const decide = async (c: AccessCheck) => c(null, {}, {}, {} as GraphQLResolveInfo);

describe('combining access checks', () => {
  it('every: admits only when all admit, and runs nothing after a check that refused at once', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(kind, { minLength: 2, maxLength: 6 }), async (kinds) => {
        const ran: number[] = [];
        const verdict = await decide(every(kinds.map((k, i) => check(k, i, ran))));
        expect(verdict === true).toBe(kinds.every((k) => k.verdict === 'true'));
        const firstSyncRefusal = kinds.findIndex((k) => !k.async && k.verdict !== 'true');
        if (firstSyncRefusal >= 0) expect(Math.max(...ran)).toBe(firstSyncRefusal);
        // A refusal that is an Error keeps its message; a throwing check never opens anything.
        if (verdict !== true && verdict instanceof Error) expect(verdict.message).toMatch(/^refused by \d$/);
      }),
      { numRuns: 300 },
    );
  });

  it('some: admits when one admits, and asks no more after one admitted at once', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(kind, { minLength: 2, maxLength: 6 }), async (kinds) => {
        const ran: number[] = [];
        const verdict = await decide(some(kinds.map((k, i) => check(k, i, ran))));
        expect(verdict === true).toBe(kinds.some((k) => k.verdict === 'true'));
        const firstSyncAdmit = kinds.findIndex((k) => !k.async && k.verdict === 'true');
        if (firstSyncAdmit >= 0) expect(Math.max(...ran)).toBe(firstSyncAdmit);
      }),
      { numRuns: 300 },
    );
  });
});
