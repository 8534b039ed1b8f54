import { configOrExit, runMain } from '@palisade/kit';
import { startSupergraph } from './supergraph.ts';
import { ensureConsoleBuilt } from './console-build.ts';

// `npm start`: everything in one process. Without DATABASE_URL / REDIS_URL it needs nothing installed.
const config = configOrExit('palisade', ['router', 'user', 'product', 'order', 'security']);
await runMain(
  'palisade',
  async () => {
    await ensureConsoleBuilt(undefined, (line) => process.stdout.write(`  ${line}\n`));
    const running = await startSupergraph({ config, dataDir: config.dataDir });
    const url = running.url.replace('127.0.0.1', 'localhost');
    process.stdout.write(
      `\n  Palisade is up: ${url}\n` +
        `  admin console: ${url.replace(/\/graphql$/, '/admin')}\n` +
        `  storage: ${config.database.url ? 'Postgres' : `embedded PGlite under ${config.dataDir}/`}, ${config.redis.url ? 'Redis' : 'in-process store'}\n\n`,
    );
    return running;
  },
  config.log,
);
