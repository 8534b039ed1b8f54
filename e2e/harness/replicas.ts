import { sql } from 'drizzle-orm';
import { startSupergraph, type RunningSupergraph } from '@palisade/ops/supergraph';
import { createTestDatabase, eventually, testConfig, testRedisPrefix, testServers, type ConfigOverrides } from '@palisade/kit/testing/index';
import { queryRows, type PalisadeConfig, type RedisStore, type SubgraphName } from '@palisade/kit';
import { GraphQLClient } from './client.ts';
import { ADMIN, login } from './supergraph.ts';

/**
 * Two replicas of the whole system on ONE Postgres database and ONE Redis key space, as two `palisade start-all`
 * processes would run: replica A is router A with replica 1 of every subgraph, replica B is router B with
 * replica 2, so each router spreads each subgraph's traffic to its own replica. They run in this process, but
 * share no runtime object: each has its own servers, its own store client (Redis connection), its own database
 * pools and its own background jobs (relays, settle jobs, checkpoints, mail queue). Whatever they agree on,
 * they agree on through Postgres and Redis only, which is what a second process would have.
 */
export interface Replicas {
  config: PalisadeConfig;
  /** Replica A and replica B, each a router with one replica of every subgraph. */
  sets: [RunningSupergraph, RunningSupergraph];
  /** Anonymous clients of router A and router B. */
  routers: [GraphQLClient, GraphQLClient];
  /** The administrator, signed in once, as a client of each router. */
  admin(): Promise<[GraphQLClient, GraphQLClient]>;
  /** A replica's subgraph, for direct checks (its database handle reaches the one shared database). */
  subgraph(replica: 0 | 1, name: SubgraphName): RunningSupergraph['subgraphs'][SubgraphName];
  stop(): Promise<void>;
}

/** Null when the suite has no real Postgres and Redis: replicas on PGlite or an in-process store prove nothing. */
export async function startReplicas(o: { config?: ConfigOverrides } = {}): Promise<Replicas | null> {
  const servers = testServers();
  if (!servers.databaseUrl || !servers.redisUrl) return null;
  const config = testConfig(o.config);
  config.user.admin = ADMIN;
  const database = await createTestDatabase(servers.databaseUrl);
  const redisPrefix = testRedisPrefix();
  const sets: RunningSupergraph[] = [];
  const start = () =>
    startSupergraph({ config, ports: { router: 0, user: 0, product: 0, order: 0, security: 0 }, databaseUrl: database.url, dataDir: null, redisUrl: servers.redisUrl, redisPrefix });
  try {
    // One after the other: the first runs the migrations, the second finds them done (as a rolling start would).
    sets.push(await start());
    sets.push(await start());
  } catch (err) {
    for (const s of sets) await s.stop().catch(() => {});
    await database.drop();
    throw err;
  }
  const [a, b] = sets as [RunningSupergraph, RunningSupergraph];
  const routers: [GraphQLClient, GraphQLClient] = [new GraphQLClient(a.url), new GraphQLClient(b.url)];
  let adminToken: string | null = null;
  return {
    config,
    sets: [a, b],
    routers,
    async admin() {
      adminToken ??= (await login(routers[0], ADMIN.email, ADMIN.password)).accessToken;
      return [routers[0].withToken(adminToken), routers[1].withToken(adminToken)];
    },
    subgraph: (replica, name) => sets[replica]!.subgraphs[name],
    async stop() {
      for (const s of sets) await s.stop().catch(() => {});
      await database.drop();
    },
  };
}

/** What the audit trail holds against what the producers wrote, read from the one shared database. */
export interface AuditLedger {
  /** Rows in the subgraphs' outboxes, and those no relay has settled yet. */
  outbox: number;
  undelivered: number;
  /** Outbox records whose id is not in the trail, and ids the trail holds more than once. */
  missing: number;
  duplicated: number;
  deadLetters: number;
  /** Records in the trail, and those of them the router sent (its stream shared by both routers). */
  trail: number;
  routerPending: number;
}

const OUTBOXES = sql`(select id, delivered_at from users.audit_outbox union all select id, delivered_at from products.audit_outbox union all select id, delivered_at from orders.audit_outbox)`;

export async function auditLedger(r: Replicas): Promise<AuditLedger> {
  const db = r.subgraph(1, 'security').database.db;
  const [row] = await queryRows<Omit<AuditLedger, 'routerPending'>>(
    db,
    sql`select (select count(*)::int from ${OUTBOXES} o) as outbox,
               (select count(*)::int from ${OUTBOXES} o where o.delivered_at is null) as undelivered,
               (select count(*)::int from ${OUTBOXES} o where not exists (select 1 from security.audit_events e where e.id = o.id)) as missing,
               (select count(*)::int from (select id from security.audit_events group by id having count(*) > 1) d) as duplicated,
               (select count(*)::int from security.audit_dead_letters) as "deadLetters",
               (select count(*)::int from security.audit_events) as trail`,
  );
  const store = r.sets[1].store as Partial<RedisStore>;
  const routerPending = store.redis ? await store.redis.xlen(`${store.prefix}audit:router`) : 0;
  return { ...row!, routerPending };
}

/** Waits until every record written so far has reached the trail; answers the ledger then. */
export async function drained(r: Replicas, timeoutMs = 15_000): Promise<AuditLedger> {
  return eventually(
    async () => {
      const l = await auditLedger(r);
      if (l.undelivered || l.routerPending) throw new Error(`${l.undelivered} outbox and ${l.routerPending} router records still pending`);
      return l;
    },
    'the relays draining every outbox and the router stream',
    timeoutMs,
  );
}
