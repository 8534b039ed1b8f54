import { assertProductionBacking, DEFAULT_PORTS, envInt, envOptional, envString, metricsExposureFromEnv, openStore, runMain, subgraphUrl, SUBGRAPH_NAMES, type SubgraphName } from '@palisade/kit';
import { startRouter } from './router.ts';

await runMain('router', async () => {
  assertProductionBacking({ needsDatabase: false, databaseUrl: null, redisUrl: envOptional('REDIS_URL') });
  return startRouter({
    port: envInt('PORT', DEFAULT_PORTS.router),
    host: envString('HOST', '127.0.0.1'),
    subgraphs: Object.fromEntries(SUBGRAPH_NAMES.map((n) => [n, subgraphUrl(n)])) as Record<SubgraphName, string>,
    store: openStore(envOptional('REDIS_URL'), envOptional('REDIS_KEY_PREFIX')),
    metrics: metricsExposureFromEnv(),
  });
});
