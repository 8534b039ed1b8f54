import { assertProductionBacking, dataDir, envOptional, envString, runMain } from '@palisade/kit';
import { startSupergraph } from './supergraph.ts';
import { ensureConsoleBuilt } from './console-build.ts';

// `npm start`: everything in one process. Without DATABASE_URL / REDIS_URL it needs nothing installed.
await runMain('palisade', async () => {
  const databaseUrl = envOptional('DATABASE_URL') ?? null;
  const redisUrl = envOptional('REDIS_URL') ?? null;
  assertProductionBacking({ needsDatabase: true, databaseUrl, redisUrl });
  await ensureConsoleBuilt(undefined, (line) => process.stdout.write(`  ${line}\n`));
  const running = await startSupergraph({ host: envString('HOST', '127.0.0.1'), databaseUrl, redisUrl, dataDir: dataDir() });
  process.stdout.write(
    `\n  Palisade is up: ${running.url.replace('127.0.0.1', 'localhost')}\n` +
      `  admin console: ${running.url.replace('127.0.0.1', 'localhost').replace(/\/graphql$/, '/admin')}\n` +
      `  storage: ${databaseUrl ? 'Postgres' : `embedded PGlite under ${dataDir()}/`}, ${redisUrl ? 'Redis' : 'in-process store'}\n\n`,
  );
  return running;
});
