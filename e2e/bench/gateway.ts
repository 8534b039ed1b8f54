import { configOrExit, keySettings, loadInternalKeys, openStore } from '@palisade/kit';
import { startRouter } from '@palisade/router';
import { startBareApolloGateway, startHiveGateway } from './peers.ts';

// One gateway under test in a process of its own, as each would be deployed, so no gateway shares an event
// loop with the subgraphs or the load generator: `node --import tsx e2e/bench/gateway.ts <kind>`.
// Subgraph URLs come from USER_URL, …; the port from PORT. It tells its parent its URL over IPC.
const kind = process.argv[2];
const config = configOrExit(`bench gateway ${kind}`, []);
const port = config.port ?? 0;
const urls = config.subgraphUrls;

async function start(): Promise<{ url: string; stop(): Promise<void> }> {
  if (kind === 'palisade' || kind === 'palisade-no-defences') {
    const store = openStore(config.redis.url ?? undefined, config.redis.keyPrefix);
    const router = await startRouter({ config, host: '127.0.0.1', port, subgraphs: urls, store, production: true, security: kind === 'palisade' });
    return { url: router.url, stop: async () => (await router.stop(), await store.close()) };
  }
  const { signer } = await loadInternalKeys('router', [], keySettings(config));
  if (kind === 'apollo') return startBareApolloGateway(signer, urls, port);
  if (kind === 'hive') return startHiveGateway(signer, urls, port);
  throw new Error(`unknown gateway kind ${kind}: palisade, palisade-no-defences, apollo or hive`);
}

const gateway = await start();
process.send?.({ url: gateway.url });
const stop = () => void gateway.stop().finally(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
process.on('disconnect', stop);
