import type { DocumentNode, GraphQLSchema } from 'graphql';
import type { Server } from 'node:http';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginInlineTraceDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/resolverMap.js';
import { configureRateLimits, applyRateLimits } from './rate-limits.ts';
import type { RedisStore } from './store.ts';
import type { AuditInput, AuditWriter } from './audit/record.ts';
import { applyAccessRules, PublicError, bodyHash, operationHash, type Caller, type PolicyTable, type SignedContextClaims } from '@palisade/auth';
import { executeApollo } from './apollo-http.ts';
import { closeServer, createHttpServer, HttpError, isJson, listen, parseJsonBody, readBody, sendJson, type HttpContext, type Routes } from './http.ts';
import { errorReportingPlugin, maskError } from './errors.ts';
import { guardArguments } from './input-guard.ts';
import type { PalisadeConfig, SubgraphName } from './config/index.ts';
import { admitSignedRequest } from './signed-request.ts';
import { metricsPlugin, type ServiceMetrics } from './metrics.ts';
import { extractContext, inSpan, installTracing, traceIdOf, traceResolvers } from './tracing.ts';
import type { Database } from './db.ts';
import type { Store } from './store.ts';
import type { InternalKeys } from './keyring.ts';
import type { Logger } from './logger.ts';
import type { ServiceClient } from './service-client.ts';

export interface SubgraphContext {
  caller: Caller;
  requestId: string;
  log: Logger;
}

export interface SubgraphRuntime {
  /** The process's configuration, parsed once at its entry point. */
  config: PalisadeConfig;
  database: Database;
  store: Store;
  keys: InternalKeys;
  log: Logger;
  /** Signed calls to the peers the subgraph declares (and security, for its outbox). */
  peers: ServiceClient;
  metrics: ServiceMetrics;
  /** The subgraph's one audit writer: a record in the caller's transaction (its outbox, or security's chain). */
  audit: AuditWriter;
}

/** What the HTTP server of one subgraph needs, derived by startSubgraph from its definition (define-subgraph.ts). */
export interface ServeSpec<TCtx extends SubgraphContext> {
  name: SubgraphName;
  typeDefs: DocumentNode;
  resolvers: GraphQLResolverMap<TCtx>;
  policies: PolicyTable;
  createContext: (base: SubgraphContext) => TCtx;
  /** Service-to-service endpoints, each admitted only with a signed request from `from`. */
  internal: Record<string, { from: readonly string[]; handle: (payload: unknown, claims: SignedContextClaims) => Promise<unknown> }>;
  /** Plain public routes (e.g. a JWKS). */
  routes: Routes;
  /** Writes one audit record in its own transaction. */
  recordAudit: AuditSink;
  /** Told when a field's arguments are refused before its resolver ran (see guardArguments). */
  onInputRefused?: (ctx: TCtx, coordinate: string, args: Record<string, unknown>) => Promise<void> | void;
}

export type AuditSink = (caller: Caller, input: AuditInput) => Promise<void>;

export interface RunningSubgraph {
  name: SubgraphName;
  port: number;
  url: string;
  server: Server;
  stop(): Promise<void>;
}

export async function serveSubgraph<TCtx extends SubgraphContext>(
  def: ServeSpec<TCtx>,
  rt: SubgraphRuntime,
  listenOn: { port: number; host: string },
): Promise<RunningSubgraph> {
  // Audit of denials and limits is best effort: it must never turn a clean refusal into a 500.
  const audit = (caller: Caller, input: AuditInput) =>
    void def.recordAudit(caller, input).catch((err) => rt.log.warn({ err: (err as Error).message }, 'could not record audit event'));
  const spans = installTracing(def.name, rt.config.tracing);
  const typeDefs = configureRateLimits(def.typeDefs, rt.config.rateLimits);
  const built = buildSubgraphSchema({ typeDefs, resolvers: traceResolvers(spans, def.resolvers as never) });
  const defend = (built: GraphQLSchema) => {
    const guarded = guardArguments<TCtx>(built, { onRefused: def.onInputRefused });
    const limited = applyRateLimits<TCtx>(guarded, {
      service: def.name,
      store: rt.store,
      keyPrefix: rt.store.kind === 'redis' ? (rt.store as RedisStore).prefix : undefined,
      onLimited: (ctx, coordinate, retryAfterSeconds) => audit(ctx.caller, { action: 'rate_limit.exceeded', outcome: 'DENIED', resourceType: 'Field', resourceId: coordinate, metadata: { retryAfterSeconds } }),
    });
    return applyAccessRules(limited, typeDefs, def.policies, {
      onDenied: (ctx, coordinate) => audit(ctx.caller, { action: 'access.denied', outcome: 'DENIED', resourceType: 'Field', resourceId: coordinate }),
    });
  };
  // SUBGRAPH_DEFENCES=off (the benchmark's, refused in production by the configuration) measures what they cost.
  const defended = rt.config.benchmark.subgraphDefences === 'on';
  const schema = defended ? defend(built) : built;
  if (!defended) rt.log.warn('subgraph defences are OFF (benchmark only): no access rules, input guards or rate limits');
  const apollo = new ApolloServer<TCtx>({
    schema,
    introspection: !rt.config.production,
    includeStacktraceInErrorResponses: false,
    // runMain owns the process's signals and stops everything in order; Apollo must not race it.
    stopOnTerminationSignals: false,
    formatError: (formatted) => maskError(formatted, { hideSuggestions: rt.config.production }),
    // No cache-control plugin: the SDLs give no cache hints, so its per-field hook (and Apollo's wrapping of every
    // resolver to call it) only ever concluded "no-store", which the route below says once per answer instead.
    plugins: [ApolloServerPluginLandingPageDisabled(), ApolloServerPluginInlineTraceDisabled(), ApolloServerPluginCacheControlDisabled(), errorReportingPlugin<TCtx>(rt.log), metricsPlugin<TCtx>(rt.metrics)],
  });
  await apollo.start();
  const routerGuard = { audience: def.name, trusted: pick(rt.keys.trusted, ['router']), store: rt.store, log: rt.log };

  const readJson = async (h: HttpContext) => {
    if (!isJson(h.req)) throw new HttpError(415, 'BAD_USER_INPUT', 'Content-Type must be application/json');
    const raw = await readBody(h.req);
    return { raw, body: parseJsonBody(raw) };
  };

  const routes: Routes = {
    'GET /health': ({ res }) => sendJson(res, 200, { status: 'ok', service: def.name }),
    'GET /health/ready': async ({ res }) => {
      const [db, store] = await Promise.all([rt.database.ping(), rt.store.ping()]);
      sendJson(res, db && store ? 200 : 503, { status: db && store ? 'ready' : 'unavailable', database: db, store });
    },
    'GET /metrics': rt.metrics.route,
    'POST /graphql': async (h) => {
      const { body } = await readJson(h);
      if (!body || typeof body !== 'object' || Array.isArray(body)) throw new HttpError(400, 'BAD_USER_INPUT', 'Expected one GraphQL operation');
      const claims = await admitSignedRequest(routerGuard, h, operationHash(body as Record<string, never>));
      if (!claims.caller) throw new HttpError(401, 'UNAUTHENTICATED', 'Request carries no caller');
      const caller = claims.caller;
      // Continue the router's trace: one trace id from the client's request down to the SQL.
      await inSpan(spans, `${def.name}.graphql`, extractContext(h.req.headers), async (span) => {
        span.setAttribute('palisade.request_id', caller.requestId);
        const log = rt.log.child({ requestId: caller.requestId, traceId: traceIdOf(span), userId: caller.userId ?? undefined });
        const base: SubgraphContext = { caller, requestId: caller.requestId, log };
        const ctx = def.createContext(base);
        // A subgraph's answer is one caller's: never stored by anything between it and the router.
        h.res.setHeader('cache-control', 'no-store');
        await executeApollo(apollo, h, body, async () => ctx);
      });
    },
    ...def.routes,
  };
  for (const [path, ep] of Object.entries(def.internal)) {
    const guard = { audience: def.name, trusted: pick(rt.keys.trusted, ep.from), store: rt.store, log: rt.log };
    routes[`POST ${path}`] = async (h) => {
      const { raw, body } = await readJson(h);
      const claims = await admitSignedRequest(guard, h, bodyHash(raw));
      try {
        sendJson(h.res, 200, (await ep.handle(body, claims)) ?? { ok: true });
      } catch (err) {
        if (err instanceof PublicError) throw new HttpError(400, String(err.extensions.code), err.message);
        throw err;
      }
    };
  }

  const server = createHttpServer(routes, rt.log, null, rt.config.trustProxyHops);
  const port = await listen(server, listenOn.port, listenOn.host);
  rt.log.info({ port }, `${def.name} subgraph listening`);
  return {
    name: def.name,
    port,
    url: `http://${listenOn.host}:${port}/graphql`,
    server,
    async stop() {
      await closeServer(server);
      await apollo.stop();
    },
  };
}

function pick<V>(map: ReadonlyMap<string, V>, names: readonly string[]): Map<string, V> {
  const out = new Map<string, V>();
  for (const n of names) {
    const v = map.get(n);
    if (v) out.set(n, v);
  }
  return out;
}
