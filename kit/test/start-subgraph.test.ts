import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { definePolicies } from '@palisade/auth';
import { defineSubgraph, startSubgraph } from '../src/index.ts';
import { suiteDatabase, testConfig } from '../src/testing/index.ts';

let db: Awaited<ReturnType<typeof suiteDatabase>>;
beforeAll(async () => {
  db = await suiteDatabase();
});
afterAll(async () => db?.drop());

/** A definition with nothing in it but a services() that fails, after using the pool kit opened. */
function failingDefinition() {
  const dir = mkdtempSync(join(tmpdir(), 'palisade-define-'));
  mkdirSync(join(dir, 'migrations', 'meta'), { recursive: true });
  writeFileSync(join(dir, 'migrations', 'meta', '_journal.json'), JSON.stringify({ version: '7', dialect: 'postgresql', entries: [] }));
  writeFileSync(join(dir, 'schema.graphql'), 'type Query { ping: String @public }\n');
  return defineSubgraph({
    name: 'product',
    dbSchema: 'start_test',
    migrationsFolder: join(dir, 'migrations'),
    sdlFile: join(dir, 'schema.graphql'),
    resolvers: {},
    policies: definePolicies({}),
    auditWriter: () => async () => {},
    // As a real one fails: after some start-up work on the database (a seed, re-sealing secrets).
    services: async (rt) => {
      await rt.database.db.execute(sql`select 1`);
      throw new Error('cannot start');
    },
    context: (base) => base,
  });
}

describe('a subgraph that fails to start', () => {
  it('closes the database connections it opened', async (ctx) => {
    if (!db.url) return ctx.skip();
    const url = db.url;
    await expect(startSubgraph(failingDefinition(), { config: testConfig(), port: 0, databaseUrl: url, pgliteDir: null, peers: {} })).rejects.toThrow('cannot start');
    const sql = postgres(url, { max: 1 });
    try {
      const [row] = await sql<{ n: number }[]>`select count(*)::int as n from pg_stat_activity where datname = current_database() and application_name like 'palisade-product-%'`;
      expect(row!.n).toBe(0);
    } finally {
      await sql.end();
    }
  });
});
