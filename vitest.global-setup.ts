import type { TestProject } from 'vitest/node';
import { resolveTestServers } from './kit/src/testing/real-servers.ts';

// Finds (or starts) the real Postgres and Redis every data test runs against, once per run.
export default async function setup(project: TestProject) {
  const servers = await resolveTestServers();
  for (const note of servers.notes) console.log(`[palisade] ${note}`);
  project.provide('databaseUrl', servers.databaseUrl ?? '');
  project.provide('redisUrl', servers.redisUrl ?? '');
  return () => servers.stop();
}
