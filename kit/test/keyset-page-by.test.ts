import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { eq, sql } from 'drizzle-orm';
import { pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import postgres from 'postgres';
import { drizzle as drizzlePostgres } from 'drizzle-orm/postgres-js';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { PGlite } from '@electric-sql/pglite';
import { keysetPage, keysetPageBy, type Db } from '../src/index.ts';
import { suiteDatabase } from '../src/testing/index.ts';

// keysetPageBy prepares keysetPage's statements once: its pages, cursors and totals must be keysetPage's, for
// every page size, direction and owner, walking every page (rows sharing a millisecond included).
const rows = pgTable('kpb_rows', { id: uuid('id').primaryKey(), owner: text('owner').notNull(), createdAt: timestamp('created_at', { withTimezone: true }).notNull() });
let suite: Awaited<ReturnType<typeof suiteDatabase>>;
let client: postgres.Sql | null = null;
const drivers: [string, Db][] = [];
const owners = ['a', 'b', 'c'];

beforeAll(async () => {
  suite = await suiteDatabase();
  if (suite.url) {
    client = postgres(suite.url, { max: 2, onnotice: () => {} });
    drivers.push(['postgres', drizzlePostgres(client) as unknown as Db]);
  }
  drivers.push(['pglite', drizzlePglite(await PGlite.create('memory://')) as unknown as Db]);
  const base = Date.parse('2026-01-01T00:00:00.000Z');
  // Owner a: 23 rows, several in one millisecond (and microseconds apart); b: 1 row; c: none.
  const values = [
    ...Array.from({ length: 23 }, (_, i) => ({ id: randomUUID(), owner: 'a', createdAt: new Date(base + Math.floor(i / 3)) })),
    { id: randomUUID(), owner: 'b', createdAt: new Date(base) },
  ];
  for (const [, db] of drivers) {
    await db.execute(sql`create table kpb_rows (id uuid primary key, owner text not null, created_at timestamptz not null)`);
    await db.insert(rows).values(values);
    await db.execute(sql`update kpb_rows set created_at = created_at + (random() * interval '900 microseconds')`);
  }
});
afterAll(async () => {
  await client?.end();
  await suite?.drop();
});

describe('keysetPageBy', () => {
  it('walks the same pages as keysetPage, over generated owners, sizes and directions', async () => {
    const pagers = { asc: keysetPageBy(rows, rows.owner, 'asc'), desc: keysetPageBy(rows, rows.owner, 'desc') };
    for (const [, db] of drivers) {
      await fc.assert(
        fc.asyncProperty(fc.constantFrom(...owners), fc.integer({ min: 0, max: 9 }), fc.constantFrom('asc' as const, 'desc' as const), fc.boolean(), async (owner, first, direction, count) => {
          let after: string | null = null;
          for (let page = 0; page < 30; page++) {
            const mine = await pagers[direction](db, owner, { first, after, count });
            const theirs = await keysetPage(db, rows, { where: eq(rows.owner, owner), first, after, direction, count });
            expect(mine).toEqual(theirs);
            if (!mine.pageInfo.hasNextPage || first === 0) break;
            after = mine.pageInfo.endCursor;
          }
        }),
        { numRuns: 40 },
      );
    }
  });

  it('refuses a forged cursor as keysetPage does', async () => {
    const pager = keysetPageBy(rows, rows.owner, 'desc');
    await expect(pager(drivers[0]![1], 'a', { after: 'not-a-cursor' })).rejects.toMatchObject({ extensions: { code: 'BAD_USER_INPUT' } });
  });
});
