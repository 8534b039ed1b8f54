import { startRouter, type RouterOptions, type RunningRouter } from '@palisade/router';
import { startUserSubgraph } from '@palisade/user';
import { startProductSubgraph } from '@palisade/product';
import { startOrderSubgraph } from '@palisade/order';
import { startSecuritySubgraph } from '@palisade/security';
import { createLogger, DEFAULT_PORTS, openStore, pgliteDirFor, SUBGRAPH_NAMES, type PalisadeConfig, type StartedSubgraph, type Store, type SubgraphName } from '@palisade/kit';

export interface SupergraphOptions {
  /** The process's configuration, handed to every service; the options below override parts of it. */
  config: PalisadeConfig;
  host?: string;
  /** Port 0 everywhere picks free ports (tests); defaults are the contract's 4000–4004. */
  ports?: Partial<Record<SubgraphName | 'router', number>>;
  /** One Postgres URL for all subgraphs (each in its own schema), or null for embedded PGlite; default DATABASE_URL. */
  databaseUrl?: string | null;
  /** A database of its own for some subgraphs. */
  databaseUrls?: Partial<Record<SubgraphName, string>>;
  /** PGlite data directory root (and the development outbox's); null, the default, keeps embedded data in memory. */
  dataDir?: string | null;
  /** Default REDIS_URL, REDIS_KEY_PREFIX. */
  redisUrl?: string | null;
  redisPrefix?: string;
  /** Router settings beyond ports and URLs (production mode, limits, CORS, TLS). */
  router?: Partial<Omit<RouterOptions, 'port' | 'host' | 'subgraphs' | 'store' | 'config'>>;
}

export interface RunningSupergraph {
  router: RunningRouter;
  subgraphs: Record<SubgraphName, StartedSubgraph> & { user: Awaited<ReturnType<typeof startUserSubgraph>> };
  store: Store;
  url: string;
  /** Stops one subgraph (as a crash or deploy would); `start` brings it back on the same port. */
  stopSubgraph(name: SubgraphName): Promise<void>;
  startSubgraph(name: SubgraphName): Promise<void>;
  stop(): Promise<void>;
}

const starters = { security: startSecuritySubgraph, user: startUserSubgraph, product: startProductSubgraph, order: startOrderSubgraph };

/**
 * The whole supergraph in one process: four subgraphs and the router, each on its own port with real
 * HTTP between them, sharing one store (Redis, or in-process when there is none).
 */
export async function startSupergraph(o: SupergraphOptions): Promise<RunningSupergraph> {
  const { config } = o;
  const host = o.host ?? config.host;
  const redisUrl = o.redisUrl !== undefined ? o.redisUrl : config.redis.url;
  const store = openStore(redisUrl ?? undefined, o.redisPrefix ?? config.redis.keyPrefix);
  const databaseUrl = o.databaseUrl !== undefined ? o.databaseUrl : config.database.url;
  const databaseUrls = o.databaseUrls ?? config.database.urls;
  const started: Partial<Record<SubgraphName, StartedSubgraph>> = {};
  const urls: Partial<Record<SubgraphName, string>> = {};
  try {
    // Ports are fixed before anything starts, so peers (order → product, relays → security) know each other.
    const portOf = (n: SubgraphName) => o.ports?.[n] ?? DEFAULT_PORTS[n];
    const needsDiscovery = SUBGRAPH_NAMES.some((n) => portOf(n) === 0);
    const optionsFor = new Map<SubgraphName, Parameters<(typeof starters)['user']>[0]>();
    for (const name of ['security', 'user', 'product', 'order'] as const) {
      const peers = needsDiscovery ? { ...urls } : Object.fromEntries(SUBGRAPH_NAMES.map((n) => [n, `http://${host}:${portOf(n)}/graphql`]));
      const url = databaseUrls[name] ?? databaseUrl ?? null;
      const options = {
        config,
        outboxDir: o.dataDir ? `${o.dataDir}/outbox` : null,
        host,
        port: portOf(name),
        databaseUrl: url,
        pgliteDir: url ? null : o.dataDir ? pgliteDirFor(o.dataDir, name) : null,
        store,
        log: createLogger(name, config.log),
        peers,
      };
      started[name] = await starters[name](options);
      urls[name] = started[name]!.url;
      // Later subgraphs may have taken port 0: every peer map sees the final URLs.
      optionsFor.set(name, options);
    }
    for (const options of optionsFor.values()) Object.assign(options.peers!, urls);
    const subgraphs = started as RunningSupergraph['subgraphs'];
    const router = await startRouter({ ...o.router, config, host, port: o.ports?.router ?? DEFAULT_PORTS.router, subgraphs: urls as Record<SubgraphName, string>, store });
    return {
      router,
      subgraphs,
      store,
      url: router.url,
      async stopSubgraph(name) {
        await subgraphs[name].stop();
      },
      async startSubgraph(name) {
        const options = { ...optionsFor.get(name)!, port: subgraphs[name].port };
        (subgraphs as Record<SubgraphName, StartedSubgraph>)[name] = await starters[name](options);
      },
      async stop() {
        await router.stop();
        for (const name of ['order', 'product', 'user', 'security'] as const) await subgraphs[name].stop();
        await store.close();
      },
    };
  } catch (err) {
    for (const s of Object.values(started)) await s.stop().catch(() => {});
    await store.close();
    throw err;
  }
}
