import { inject } from 'vitest';

export * from './real-servers.ts';
export * from './databases.ts';
export * from './signed-client.ts';
export * from './config.ts';
export * from './signed-post.ts';

let warned = false;

/** The servers the global setup found, as a test sees them. */
export function testServers(): { databaseUrl: string | null; redisUrl: string | null; real: { postgres: boolean; redis: boolean } } {
  const databaseUrl = inject('databaseUrl') || null;
  const redisUrl = inject('redisUrl') || null;
  if ((!databaseUrl || !redisUrl) && !warned) {
    warned = true;
    console.warn(`[palisade] this suite is NOT running for real: ${!databaseUrl ? 'PGlite instead of Postgres ' : ''}${!redisUrl ? 'in-process store instead of Redis' : ''}`);
  }
  return { databaseUrl, redisUrl, real: { postgres: Boolean(databaseUrl), redis: Boolean(redisUrl) } };
}

declare module 'vitest' {
  export interface ProvidedContext {
    databaseUrl: string;
    redisUrl: string;
  }
}

/** A fresh database for one suite on the harness's Postgres; null (→ PGlite in memory) when there is none. */
export async function suiteDatabase(): Promise<{ url: string | null; drop(): Promise<void> }> {
  const { databaseUrl } = testServers();
  if (!databaseUrl) return { url: null, drop: async () => {} };
  const { createTestDatabase } = await import('./databases.ts');
  return createTestDatabase(databaseUrl);
}
