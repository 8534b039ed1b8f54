import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sql, type SQL } from 'drizzle-orm';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePostgres } from 'drizzle-orm/postgres-js';
import { migrate as migratePostgres } from 'drizzle-orm/postgres-js/migrator';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import postgres from 'postgres';
import { PGlite } from '@electric-sql/pglite';
import { recordStatement } from './tracing.ts';

export type Db = PgDatabase<PgQueryResultHKT>;
export type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];
export type DbOrTx = Db | Tx;

export interface Database {
  readonly kind: 'postgres' | 'pglite';
  readonly db: Db;
  /** Sees every statement this process sends (tests count them to prove batching). */
  observe(listener: (sql: string) => void): () => void;
  ping(): Promise<boolean>;
  close(): Promise<void>;
  /** What Postgres knows this process's connections by, and how many it may open (0 on PGlite). */
  readonly applicationName: string;
  readonly poolSize: number;
}

export interface DatabaseOptions {
  /** A postgres:// URL; without one the subgraph runs on an embedded PGlite. */
  url?: string | undefined;
  /** PGlite data directory; `memory://` or undefined keeps it in memory. */
  pgliteDir?: string | undefined;
  /**
   * The Postgres schema this subgraph owns; migrations bookkeeping lives there too. The migrator
   * creates it first, so each init migration says CREATE SCHEMA IF NOT EXISTS.
   */
  schema: string;
  migrationsFolder: string;
  applicationName: string;
  /** Postgres connections the pool may open (DATABASE_POOL_SIZE); PGlite has one. */
  poolSize: number;
}

export async function openDatabase(o: DatabaseOptions): Promise<Database> {
  const listeners = new Set<(sql: string) => void>();
  const logger = {
    logQuery: (query: string) => {
      recordStatement(query);
      listeners.forEach((l) => l(query));
    },
  };
  const observe = (l: (sql: string) => void) => {
    listeners.add(l);
    return () => void listeners.delete(l);
  };
  const migrateConfig = { migrationsFolder: o.migrationsFolder, migrationsSchema: o.schema, migrationsTable: '__migrations' };
  if (o.url) {
    const poolSize = o.poolSize;
    const client = postgres(o.url, {
      max: poolSize,
      onnotice: () => {},
      connection: { application_name: o.applicationName },
      connect_timeout: 10,
    });
    const db = drizzlePostgres(client, { logger }) as unknown as Db;
    // Replicas starting together must not both migrate: one waits for the other's advisory lock,
    // held on a single dedicated connection so lock and unlock meet.
    const lockClient = postgres(o.url, { max: 1, onnotice: () => {} });
    try {
      // A schema already current needs no DDL: so a service role that may only read and write its tables
      // (a separate owner role ran the migrations) starts as well.
      if (!(await migrationsCurrent(lockClient, o))) {
        await lockClient`select pg_advisory_lock(hashtext(${'palisade-migrate:' + o.schema}))`;
        await migratePostgres(drizzlePostgres(lockClient), migrateConfig);
      }
    } finally {
      await lockClient`select pg_advisory_unlock(hashtext(${'palisade-migrate:' + o.schema}))`.catch(() => {});
      await lockClient.end();
    }
    return {
      kind: 'postgres',
      db,
      applicationName: o.applicationName,
      poolSize,
      observe,
      ping: () => pingDb(db),
      close: () => client.end({ timeout: 5 }),
    };
  }
  if (o.pgliteDir && !o.pgliteDir.startsWith('memory://')) mkdirSync(o.pgliteDir, { recursive: true });
  const client = await PGlite.create(o.pgliteDir ?? 'memory://');
  const db = drizzlePglite(client, { logger }) as unknown as Db;
  await migratePglite(drizzlePglite(client), migrateConfig);
  return { kind: 'pglite', db, observe, applicationName: o.applicationName, poolSize: 0, ping: () => pingDb(db), close: () => client.close() };
}

async function migrationsCurrent(client: postgres.Sql, o: DatabaseOptions): Promise<boolean> {
  try {
    const journal = JSON.parse(readFileSync(join(o.migrationsFolder, 'meta', '_journal.json'), 'utf8')) as { entries: { when: number }[] };
    const latest = Math.max(...journal.entries.map((e) => e.when));
    const [row] = await client`select max(created_at)::text as at from ${client(o.schema)}.__migrations`;
    return Number(row?.at ?? 0) >= latest;
  } catch {
    return false; // no bookkeeping yet, or not readable: let the migrator decide
  }
}

async function pingDb(db: Db): Promise<boolean> {
  try {
    await db.execute(sql`select 1`);
    return true;
  } catch {
    return false;
  }
}

export const pgliteDirFor = (dataDir: string, service: string) => join(dataDir, 'pglite', service);

/** Raw SQL rows on either driver (postgres-js answers an array, PGlite an object with rows). */
export async function queryRows<T>(db: DbOrTx, query: SQL): Promise<T[]> {
  const result = (await db.execute(query)) as unknown;
  return (Array.isArray(result) ? result : ((result as { rows?: T[] }).rows ?? [])) as T[];
}
