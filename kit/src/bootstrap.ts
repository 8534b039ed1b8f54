import { assertProductionBacking, DEFAULT_PORTS, dataDir, envInt, envOptional, envString, metricsExposureFromEnv, subgraphUrl, type ServiceName, type SubgraphName } from './config.ts';
import { openDatabase, pgliteDirFor, queryRows, type Database } from './db.ts';
import { createLogger, type Logger } from './logger.ts';
import { openStore, type Store } from './store.ts';
import { loadInternalKeys } from './keyring.ts';
import { startSubgraph, type RunningSubgraph, type SubgraphContext, type SubgraphDefinition, type SubgraphRuntime } from './subgraph.ts';
import { startAuditRelay } from './audit/relay.ts';
import { createMetrics } from './metrics.ts';
import { count, isNull, sql } from 'drizzle-orm';
import { randomBytes } from 'node:crypto';
import { createAuditWriter, type AuditOutboxTable } from './audit/record.ts';

export interface SubgraphOptions {
  port?: number;
  host?: string;
  /** Postgres URL; absent → embedded PGlite under pgliteDir (memory when that is absent too). */
  databaseUrl?: string | null;
  pgliteDir?: string | null;
  /** Shared with the router when everything runs in one process. */
  store?: Store;
  log?: Logger;
  /** GraphQL URLs of the other subgraphs, where they differ from SUBGRAPH_URL env / defaults. */
  peers?: Partial<Record<SubgraphName, string>>;
  /** Addresses or CIDR ranges allowed to read /metrics; default loopback and private networks. */
  metricsAllow?: string[] | null;
}

/** Options for a subgraph running as its own process, from its environment. */
export function subgraphOptionsFromEnv(name: SubgraphName): SubgraphOptions {
  const upper = name.toUpperCase();
  const databaseUrl = envOptional(`${upper}_DATABASE_URL`) ?? envOptional('DATABASE_URL') ?? null;
  assertProductionBacking({ needsDatabase: true, databaseUrl, redisUrl: envOptional('REDIS_URL') });
  return {
    port: envInt(`${upper}_PORT`, envInt('PORT', DEFAULT_PORTS[name])),
    host: envString('HOST', '127.0.0.1'),
    databaseUrl,
    pgliteDir: databaseUrl ? null : pgliteDirFor(dataDir(), name),
    store: openStore(envOptional('REDIS_URL'), envOptional('REDIS_KEY_PREFIX')),
    metricsAllow: metricsExposureFromEnv().allow,
  };
}

export interface SubgraphSpec<TCtx extends SubgraphContext> {
  name: SubgraphName;
  migrationsFolder: string;
  /** Services besides the router whose signed calls this subgraph accepts. */
  trusts?: ServiceName[];
  /** The outbox to relay to the security subgraph (every subgraph but security itself). */
  outbox?: AuditOutboxTable;
  build(rt: SubgraphRuntime): Promise<SubgraphDefinition<TCtx>> | SubgraphDefinition<TCtx>;
}

export interface StartedSubgraph extends RunningSubgraph {
  database: Database;
}

/** Everything a subgraph needs before and after its schema: database, keys, store, relay, HTTP. */
export async function runSubgraph<TCtx extends SubgraphContext>(spec: SubgraphSpec<TCtx>, o: SubgraphOptions): Promise<StartedSubgraph> {
  const log = o.log ?? createLogger(spec.name);
  const ownsStore = !o.store;
  const store = o.store ?? openStore(undefined);
  const database = await openDatabase({
    url: o.databaseUrl ?? undefined,
    pgliteDir: o.pgliteDir ?? undefined,
    schema: spec.name === 'user' ? 'users' : spec.name === 'product' ? 'products' : spec.name === 'order' ? 'orders' : 'security',
    migrationsFolder: spec.migrationsFolder,
    // One name per process (pid 1 in every container would collide), so each replica can find its own connections.
    applicationName: `palisade-${spec.name}-${randomBytes(4).toString('hex')}`,
  });
  const keys = await loadInternalKeys(spec.name, ['router', ...(spec.trusts ?? [])]);
  const peerBase = (name: SubgraphName) => (o.peers?.[name] ?? subgraphUrl(name)).replace(/\/graphql$/, '');
  const metrics = createMetrics(spec.name, { allow: o.metricsAllow ?? undefined });
  const rt: SubgraphRuntime = { database, store, keys, log, peerBase, metrics };
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
  if (spec.outbox) {
    const outbox = spec.outbox;
    metrics.gauge('palisade_outbox_pending', 'Audit records written but not yet delivered to the security subgraph', async () => {
      const [row] = await database.db.select({ n: count() }).from(outbox).where(isNull(outbox.deliveredAt));
      return row?.n ?? 0;
    });
  }
  const def = await spec.build(rt);
  if (!def.recordAudit && spec.outbox) {
    const write = createAuditWriter(spec.name, spec.outbox);
    def.recordAudit = (caller, input) => database.db.transaction((tx) => write(tx, caller, input));
  }
  const running = await startSubgraph(def, rt, { port: o.port ?? DEFAULT_PORTS[spec.name], host: o.host ?? '127.0.0.1' });
  const relay = spec.outbox
    ? startAuditRelay({ service: spec.name, db: database.db, table: spec.outbox, signer: keys.signer, securityUrl: peerBase('security'), log })
    : null;
  return {
    ...running,
    database,
    async stop() {
      for (const job of def.stopWith ?? []) job.stop();
      await relay?.stop();
      await running.stop();
      await database.close();
      if (ownsStore) await store.close();
    },
  };
}
