import cluster from 'node:cluster';
import { configOrExit, createLogger, keySettings, loadInternalKeys, openStore } from '@palisade/kit';
import { superviseWorkers } from '@palisade/router/workers';

// One gateway under test in a process of its own, as each would be deployed, so no gateway shares an event
// loop with the subgraphs or the load generator: `node --import tsx e2e/bench/gateway.ts <kind>`.
// Subgraph URLs come from USER_URL, …; the port from PORT. It tells its parent its URL over IPC.
const kind = process.argv[2];
const config = configOrExit(`bench gateway ${kind}`, []);
const port = config.port ?? 0;
const urls = config.subgraphUrls;

async function start(): Promise<{ url: string; stop(): Promise<void> }> {
  // Loaded here: a cluster's primary runs no gateway, and holds no more memory than the router entry's does.
  if (kind === 'palisade' || kind === 'palisade-no-defences' || kind === 'palisade-workers') {
    const { startRouter } = await import('@palisade/router');
    const store = openStore(config.redis.url ?? undefined, config.redis.keyPrefix);
    const router = await startRouter({ config, host: '127.0.0.1', port, subgraphs: urls, store, production: true, security: kind !== 'palisade-no-defences' });
    return { url: router.url, stop: async () => (await router.stop(), await store.close()) };
  }
  const { signer } = await loadInternalKeys('router', [], keySettings(config));
  const { startBareApolloGateway, startHiveGateway } = await import('./peers.ts');
  if (kind === 'apollo') return startBareApolloGateway(signer, urls, port);
  if (kind === 'hive') return startHiveGateway(signer, urls, port);
  throw new Error(`unknown gateway kind ${kind}: palisade, palisade-workers, palisade-no-defences, apollo or hive`);
}

// palisade-workers: the router entry's own supervision of ROUTER_WORKERS workers, each a `palisade` gateway on
// the one port (listen(0) in workers: the primary picks one port for all). Its URL is told once all listen.
if (kind === 'palisade-workers' && cluster.isPrimary) {
  const count = config.router.workers ?? 2;
  let listening = 0;
  cluster.on('listening', (_worker, address) => void (++listening === count && process.send?.({ url: `http://127.0.0.1:${address.port}/graphql` })));
  superviseWorkers(count, createLogger(`bench gateway ${kind}`, config.log));
  process.on('disconnect', () => process.kill(process.pid, 'SIGTERM'));
} else {
  const gateway = await start();
  process.send?.({ url: gateway.url });
  const stop = () => void gateway.stop().finally(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  process.on('disconnect', stop);
}
