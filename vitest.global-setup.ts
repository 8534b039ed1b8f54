import type { TestProject } from 'vitest/node';
import { resolveTestServers } from './kit/src/testing/real-servers.ts';
import { ensureConsoleBuilt } from './ops/src/console-build.ts';

// Finds (or starts) the real Postgres and Redis every data test runs against, once per run.
export default async function setup(project: TestProject) {
  // Built once here: two console suites running side by side must not both rebuild admin/dist at once.
  await ensureConsoleBuilt();
  const servers = await resolveTestServers();
  for (const note of servers.notes) console.log(`[palisade] ${note}`);
  project.provide('databaseUrl', servers.databaseUrl ?? '');
  project.provide('redisUrl', servers.redisUrl ?? '');
  return () => servers.stop();
}
