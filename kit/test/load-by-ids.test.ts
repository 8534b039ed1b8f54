import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { sql } from 'drizzle-orm';
import { pgTable, text, uuid } from 'drizzle-orm/pg-core';
import postgres from 'postgres';
import { drizzle as drizzlePostgres } from 'drizzle-orm/postgres-js';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { PGlite } from '@electric-sql/pglite';
import { loadByIds, type Db } from '../src/index.ts';
import { suiteDatabase } from '../src/testing/index.ts';

// loadByIds' statement is built once per database and table (one array parameter for any number of ids):
// on both drivers it must answer exactly what the ids ask, in their order, and inside a transaction see it.
const things = pgTable('lbi_things', { id: uuid('id').primaryKey(), name: text('name').notNull() });
let suite: Awaited<ReturnType<typeof suiteDatabase>>;
let client: postgres.Sql | null = null;
const drivers: [string, Db][] = [];
const known: string[] = Array.from({ length: 12 }, () => randomUUID());

beforeAll(async () => {
  suite = await suiteDatabase();
  if (suite.url) {
    client = postgres(suite.url, { max: 2, onnotice: () => {} });
    drivers.push(['postgres', drizzlePostgres(client) as unknown as Db]);
  }
  drivers.push(['pglite', drizzlePglite(await PGlite.create('memory://')) as unknown as Db]);
  for (const [, db] of drivers) {
    await db.execute(sql`create table lbi_things (id uuid primary key, name text not null)`);
    await db.insert(things).values(known.map((id, i) => ({ id, name: `thing ${i}` })));
  }
});
afterAll(async () => {
  await client?.end();
  await suite?.drop();
});

const idAsked = fc.oneof(fc.constantFrom(...known), fc.uuid(), fc.constantFrom('not-a-uuid', '', "1' or '1'='1"));

describe('loadByIds', () => {
  it('answers each id with its row or null, in the order asked, on every driver (generated id lists)', async () => {
    for (const [, db] of drivers) {
      await fc.assert(
        fc.asyncProperty(fc.array(idAsked, { maxLength: 30 }), async (ids) => {
          const rows = await loadByIds(db, things, ids);
          expect(rows.map((r) => r?.id ?? null)).toEqual(ids.map((id) => (known.includes(id) ? id : null)));
        }),
        { numRuns: 60 },
      );
    }
  });

  it('inside a transaction, reads through it (its own uncommitted rows included)', async () => {
    for (const [, db] of drivers) {
      const id = randomUUID();
      await db
        .transaction(async (tx) => {
          await tx.insert(things).values({ id, name: 'uncommitted' });
          expect((await loadByIds(tx as unknown as Db, things, [id]))[0]?.name).toBe('uncommitted');
          tx.rollback();
        })
        .catch(() => {});
      expect(await loadByIds(db, things, [id])).toEqual([null]);
    }
  });
});
