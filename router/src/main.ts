import cluster from 'node:cluster';
import { ConfigError, configOrExit, createLogger, DEFAULT_PORTS, openStore, runMain } from '@palisade/kit';
import { planWorkers, superviseWorkers, workerMetrics, type WorkerPlan } from './workers.ts';

const config = configOrExit('router', ['router']);
const log = createLogger('router', config.log);

function planOrExit(): WorkerPlan {
  try {
    return planWorkers(config);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`router could not start, its configuration is refused:\n${err.problems.map((p) => `  - ${p}\n`).join('')}`);
    process.exit(1);
  }
}

const plan = cluster.isPrimary ? planOrExit() : { count: 1 };
if (plan.warning) log.warn(plan.warning);
if (plan.count > 1) superviseWorkers(plan.count, log);
else {
  // A worker of several (ROUTER_WORKERS) serves as the single process does, with its cluster's metrics.
  const metrics = cluster.isWorker ? workerMetrics() : null;
  await runMain(
    'router',
    async () => {
      // Loaded here, not above: the primary of several workers never runs the gateway.
      const { startRouter } = await import('./router.ts');
      const router = await startRouter({
        config,
        port: config.port ?? DEFAULT_PORTS.router,
        host: config.host,
        subgraphs: config.subgraphUrls,
        store: openStore(config.redis.url ?? undefined, config.redis.keyPrefix),
        metricsExposition: metrics?.exposition,
      });
      metrics?.join(router.registry);
      return router;
    },
    config.log,
  );
}
