import { describe, expect, it } from 'vitest';
import postgres from 'postgres';
import { createTestDatabase, testServers, testSettings } from '../src/testing/index.ts';

const { databaseUrl } = testServers();
const required = testSettings().requireRealServers;

describe('the test harness', () => {
  it.skipIf(!databaseUrl && !required)('provides a real Postgres and isolated databases on it', async () => {
    expect(databaseUrl, 'PALISADE_REQUIRE_REAL_SERVERS=1 but no Postgres').toBeTruthy();
    const db = await createTestDatabase(databaseUrl!);
    const sql = postgres(db.url, { max: 1, onnotice: () => {} });
    try {
      const [{ version }] = (await sql`select version()`) as unknown as [{ version: string }];
      expect(version).toMatch(/^PostgreSQL \d+/);
      await sql`create table t (x int)`;
    } finally {
      await sql.end();
    }
    const name = new URL(db.url).pathname.slice(1);
    await db.drop();
    const admin = postgres(databaseUrl!, { max: 1, onnotice: () => {} });
    try {
      expect(await admin`select 1 from pg_database where datname = ${name}`).toHaveLength(0);
    } finally {
      await admin.end();
    }
  });
});
