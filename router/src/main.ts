import { configOrExit, DEFAULT_PORTS, openStore, runMain } from '@palisade/kit';
import { startRouter } from './router.ts';

const config = configOrExit('router', ['router']);
await runMain(
  'router',
  () =>
    startRouter({
      config,
      port: config.port ?? DEFAULT_PORTS.router,
      host: config.host,
      subgraphs: config.subgraphUrls,
      store: openStore(config.redis.url ?? undefined, config.redis.keyPrefix),
    }),
  config.log,
);
