import { DEFAULT_PORTS, type PalisadeConfig, type SubgraphName } from './config/index.ts';
import { openDatabase, pgliteDirFor, queryRows, type Database } from './db.ts';
import { createLogger, type Logger } from './logger.ts';
import { openStore, type Store } from './store.ts';
import { keySettings, loadInternalKeys } from './keyring.ts';
import { serveSubgraph, type RunningSubgraph, type SubgraphContext, type SubgraphRuntime } from './subgraph.ts';
import { trustedSenders, type SubgraphDefinition } from './define-subgraph.ts';
import { parse } from 'graphql';
import { readSubgraphSdl, type SignedContextClaims } from '@palisade/auth';
import { startAuditRelay } from './audit/relay.ts';
import { createMetrics } from './metrics.ts';
import { createServiceClient } from './service-client.ts';
import { count, isNull, sql } from 'drizzle-orm';
import { randomBytes } from 'node:crypto';
import { createAuditWriter, type AuditOutboxTable } from './audit/record.ts';

export interface SubgraphOptions {
  /** The process's configuration; every option below defaults from it. */
  config: PalisadeConfig;
  port?: number;
  host?: string;
  /** Postgres URL; null → embedded PGlite under pgliteDir (memory when that is null too). */
  databaseUrl?: string | null;
  pgliteDir?: string | null;
  /** Shared with the router when everything runs in one process; else one of its own, from the configuration. */
  store?: Store;
  log?: Logger;
  /** GraphQL URLs of the other subgraphs, where they differ from the configured ones. */
  peers?: Partial<Record<SubgraphName, string>>;
  /** Addresses or CIDR ranges allowed to read /metrics; default loopback and private networks. */
  metricsAllow?: string[] | null;
}

/** A subgraph run as its own process listens on <NAME>_PORT, else PORT, else the contract's port. */
export const subgraphPort = (config: PalisadeConfig, name: SubgraphName) => config.ports[name] ?? config.port ?? DEFAULT_PORTS[name];

export interface StartedSubgraph<TServices = unknown> extends RunningSubgraph {
  database: Database;
  services: TServices;
}

/** Starts a defined subgraph: database, keys, store, metrics, services, HTTP, jobs and the outbox relay. */
export async function startSubgraph<TServices, TCtx extends SubgraphContext, TOptions extends SubgraphOptions>(
  def: SubgraphDefinition<TServices, TCtx, TOptions>,
  o: TOptions,
): Promise<StartedSubgraph<TServices>> {
  const config = o.config;
  const log = o.log ?? createLogger(def.name, config.log);
  const ownsStore = !o.store;
  const store = o.store ?? openStore(config.redis.url ?? undefined, config.redis.keyPrefix);
  const databaseUrl = o.databaseUrl !== undefined ? o.databaseUrl : (config.database.urls[def.name] ?? config.database.url);
  const pgliteDir = o.pgliteDir !== undefined ? o.pgliteDir : databaseUrl ? null : pgliteDirFor(config.dataDir, def.name);
  const database = await openDatabase({
    url: databaseUrl ?? undefined,
    pgliteDir: pgliteDir ?? undefined,
    poolSize: config.database.poolSize,
    schema: def.dbSchema,
    migrationsFolder: def.migrationsFolder,
    // One name per process (pid 1 in every container would collide), so each replica can find its own connections.
    applicationName: `palisade-${def.name}-${randomBytes(4).toString('hex')}`,
  });
  const keys = await loadInternalKeys(def.name, trustedSenders(def.internal), keySettings(config));
  // A subgraph reaches only the peers it declares (and security, where its outbox goes).
  const reachable = new Set<SubgraphName>([...(def.peers ?? []), ...(def.outbox ? (['security'] as const) : [])]);
  const peerBase = (name: SubgraphName) => {
    if (!reachable.has(name)) throw new Error(`${def.name} does not declare ${name} among its peers`);
    return (o.peers?.[name] ?? config.subgraphUrls[name]).replace(/\/graphql$/, '');
  };
  const metrics = createMetrics(def.name, { allow: (o.metricsAllow === undefined ? config.metricsAllow : o.metricsAllow) ?? undefined });
  // One client for every call this subgraph makes to another: signed, kept alive, deadlined, breakered, traced, counted.
  const peers = createServiceClient({ from: def.name, signer: keys.signer, peers: peerBase, metrics, log });
  const base = { config, database, store, keys, log, peers, metrics };
  const outbox = def.outbox;
  const audit = def.auditWriter?.(base) ?? (outbox ? createAuditWriter(def.name, outbox) : null);
  if (!audit) throw new Error(`${def.name} needs an outbox or an audit writer`);
  const rt: SubgraphRuntime = { ...base, audit };
  registerStorageGauges(rt, outbox);

  // A start that fails after the pool and store are open must close them: a caller that goes on (a test, a
  // supervisor retrying) would otherwise keep their connections.
  const closeOpened = async () => {
    await peers.close();
    await database.close();
    if (ownsStore) await store.close();
  };
  let services: TServices;
  let running: RunningSubgraph;
  try {
    services = await def.services(rt, o);
    running = await serveSubgraph<TCtx>(
      {
        name: def.name,
        typeDefs: parse(readSubgraphSdl(def.sdlFile)),
        resolvers: def.resolvers,
        policies: def.policies,
        createContext: (ctx) => def.context(ctx, services),
        internal: Object.fromEntries(Object.entries(def.internal ?? {}).map(([path, r]) => [path, { from: r.from, handle: (payload: unknown, claims: SignedContextClaims) => r.handle(services, payload, claims) }])),
        routes: def.routes?.(services) ?? {},
        recordAudit: (caller, input) => database.db.transaction((tx) => audit(tx, caller, input)),
        onInputRefused: def.onInputRefused,
      },
      rt,
      { port: o.port ?? subgraphPort(config, def.name), host: o.host ?? config.host },
    );
  } catch (err) {
    await closeOpened().catch(() => {});
    throw err;
  }
  const jobs = def.jobs?.(services, rt, o) ?? [];
  const relay = outbox ? startAuditRelay({ service: def.name, db: database.db, table: outbox, client: peers, log }) : null;
  const started: StartedSubgraph<TServices> = {
    ...running,
    database,
    services,
    async stop() {
      for (const job of jobs) job.stop();
      await relay?.stop();
      await running.stop();
      await closeOpened();
    },
  };
  try {
    await def.started?.(services, rt, o);
  } catch (err) {
    await started.stop();
    throw err;
  }
  return started;
}

/** Pool, connection and outbox gauges: what an operator looks at first when a subgraph slows down. */
function registerStorageGauges({ database, metrics }: SubgraphRuntime, outbox: AuditOutboxTable | undefined) {
  if (database.kind === 'postgres') {
    metrics.gauge('palisade_db_pool_size', 'Connections the database pool may open', async () => database.poolSize);
    // postgres.js keeps its pool's state private; Postgres itself knows which of our connections are open and busy.
    const connections = (busy: boolean) => async () => {
      const [row] = await queryRows<{ n: number }>(database.db, sql`select count(*)::int as n from pg_stat_activity where application_name = ${database.applicationName} and (${!busy} or (state <> 'idle' and pid <> pg_backend_pid()))`);
      return row?.n ?? 0;
    };
    metrics.gauge('palisade_db_connections', 'Open database connections of this process', connections(false));
    metrics.gauge('palisade_db_connections_busy', 'Database connections of this process running a statement or transaction, besides the scrape', connections(true));
  }
  if (outbox) {
    metrics.gauge('palisade_outbox_pending', 'Audit records written but not yet delivered to the security subgraph', async () => {
      const [row] = await database.db.select({ n: count() }).from(outbox).where(isNull(outbox.deliveredAt));
      return row?.n ?? 0;
    });
  }
}
