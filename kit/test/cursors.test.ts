import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { decodeCursor, encodeCursor, KEYSET_CURSOR, POSITION_CURSOR } from '../src/pagination.ts';
import { DateTimeScalar } from '../src/scalars.ts';
import { isUuid } from '../src/values.ts';
import { testSettings } from '../src/testing/config.ts';

const seed = testSettings().propertySeed;
const b64 = (s: string) => Buffer.from(s).toString('base64url');
const refused = (f: () => unknown) => {
  try {
    f();
    return false;
  } catch (err) {
    expect((err as { extensions?: { code?: string; field?: string } }).extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'after' });
    return true;
  }
};
// What Postgres takes as timestamptz from a JS date, and as uuid.
const pgTimestamp = (v: unknown) => typeof v === 'string' && new Date(v).toISOString() === v && new Date(v).getUTCFullYear() >= 1;

describe('cursors', () => {
  it('round-trip every position we write', () => {
    fc.assert(
      fc.property(fc.date({ min: new Date('0001-01-01T00:00:00Z'), max: new Date('9999-12-31T23:59:59Z'), noInvalidDate: true }), fc.uuid(), fc.maxSafeNat(), (d, id, n) => {
        expect(decodeCursor(encodeCursor([d.toISOString(), id]), KEYSET_CURSOR)).toEqual([d.toISOString(), id]);
        expect(decodeCursor(encodeCursor([n]), POSITION_CURSOR)).toEqual([n]);
      }),
      { seed, numRuns: 300 },
    );
  });

  it('forged but decodable: anything that is not a valid position is BAD_USER_INPUT, never handed on', () => {
    const part = fc.oneof(
      fc.string(),
      fc.constantFrom('2026-02-31T00:00:00.000Z', '0000-01-01T00:00:00.000Z', '+275760-09-13T00:00:00.000Z', '2026-01-01', 'not-a-uuid', '00000000-0000-0000-0000-00000000000g'),
      fc.double(),
      fc.constantFrom(1e308, -1, 2 ** 53, 1.5, -0),
      fc.uuid(),
      fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
      fc.jsonValue(),
    );
    const forged = fc.oneof(fc.array(part, { maxLength: 3 }).map((a) => b64(JSON.stringify(a))), fc.string().map(b64), fc.string(), fc.jsonValue().map((v) => b64(JSON.stringify(v))));
    fc.assert(
      fc.property(forged, (cursor) => {
        for (const [shape, valid] of [
          [KEYSET_CURSOR, (v: unknown[]) => v.length === 2 && pgTimestamp(v[0]) && isUuid(v[1])],
          [POSITION_CURSOR, (v: unknown[]) => v.length === 1 && Number.isSafeInteger(v[0]) && (v[0] as number) >= 0],
        ] as const) {
          let out: unknown[] | null = null;
          if (!refused(() => (out = decodeCursor(cursor, shape)))) expect(valid(out!)).toBe(true);
        }
      }),
      { seed, numRuns: 1000 },
    );
  });
});

describe('DateTime', () => {
  it('takes exactly the calendar dates that exist, from year 1', () => {
    const pad = (n: number, w: number) => String(n).padStart(w, '0');
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 9999 }), fc.integer({ min: 0, max: 13 }), fc.integer({ min: 0, max: 32 }), fc.integer({ min: 0, max: 24 }), fc.constantFrom('Z', '+01:00', '-14:00'), (y, m, d, h, tz) => {
        const text = `${pad(y, 4)}-${pad(m, 2)}-${pad(d, 2)}T${pad(h, 2)}:00:00${tz}`;
        const probe = new Date(0);
        probe.setUTCFullYear(y, m - 1, d);
        const exists = y >= 1 && m >= 1 && m <= 12 && probe.getUTCMonth() === m - 1 && probe.getUTCDate() === d && h <= 24; // 24:00:00 is ISO 8601 for the midnight ending the day
        const instant = Date.parse(text);
        const inRange = instant >= Date.parse('0001-01-01T00:00:00Z');
        let ok = true;
        try {
          DateTimeScalar.parseValue(text);
        } catch {
          ok = false;
        }
        expect(ok).toBe(exists && inRange);
      }),
      { seed, numRuns: 1000 },
    );
  });
});
