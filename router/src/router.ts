import type { Server } from 'node:http';
import { ApolloGateway } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import {
  closeServer, createHttpServer, operationNamesFromManifest, type MetricsExposure, extractContext, inSpan, installTracing, traceIdOf, createLogger, createMetrics, createServiceClient, executeApollo, HttpError, isJson, keySettings, listen, loadInternalKeys,
  maskError, parseJsonBody, assertJsonDepth, readBody, sendJson, SUBGRAPH_NAMES, type HttpContext, type Logger, type PalisadeConfig, type Routes, type Store, type SubgraphName,
} from '@palisade/kit';
import type { ExternalIssuerConfig } from '@palisade/auth';
import type { RouterContext } from './context.ts';
import { loadSupergraph } from './supergraph.ts';
import { assemblePlugins, type GraphQLHttpRequest } from './plugin.ts';
import { routerPlugins } from './plugins/index.ts';
import { useSignedContext } from './plugins/useSignedContext.ts';
import { useAuditForwarding } from './plugins/useAuditForwarding.ts';
import { useOperationMerging } from './plugins/useOperationMerging.ts';
import type { OperationLimits } from './plugins/useOperationLimits.ts';
import type { PersistedMode } from './plugins/usePersistedOperations.ts';
import { readFileSync } from 'node:fs';
import type { Registry } from 'prom-client';

/** The configured certificate and key (the configuration checked they come as a pair), read. */
function readTls({ certFile, keyFile }: PalisadeConfig['router']['tls']): { cert: string; key: string } | null {
  if (!certFile || !keyFile) return null;
  return { cert: readFileSync(certFile, 'utf8'), key: readFileSync(keyFile, 'utf8') };
}

export interface RouterOptions {
  /** The process's configuration; the options below that are left out default from it. */
  config: PalisadeConfig;
  /** The built admin console (admin/dist by default), served at /admin. */
  consoleDir?: string;
  port: number;
  host: string;
  /** GraphQL URL of each subgraph. */
  subgraphs: Record<SubgraphName, string>;
  store: Store;
  supergraphSdl?: string;
  log?: Logger;
  /** Defaults to OIDC_ISSUERS (a JSON array). */
  externalIssuers?: ExternalIssuerConfig[];
  /** Production behaviour (no Sandbox, no introspection, no suggestions); defaults to NODE_ENV. */
  production?: boolean;
  limits?: OperationLimits;
  /** Browser origins allowed to call the API; defaults to CORS_ORIGINS (comma-separated). */
  corsOrigins?: string[];
  /** Trusted documents: off | allow | enforce; default PERSISTED_OPERATIONS, else allow. */
  persistedOperations?: PersistedMode;
  /**
   * false only to measure what the router's own defences cost (the benchmark's "security off"): no
   * operation limits, threat signals, revocation look-ups or router audit. Tokens are still verified and
   * subgraphs still enforce every rule.
   */
  security?: boolean;
  /** TLS certificate and key (PEM); default TLS_CERT_FILE / TLS_KEY_FILE. */
  tls?: { cert: string; key: string } | null;
  /** Who may read /metrics and on which port; default METRICS_ALLOW / METRICS_PORT. */
  metrics?: MetricsExposure;
  /** What /metrics serves given this process's registry (a worker of several: their sum, from the primary). */
  metricsExposition?: (registry: Registry) => Promise<string>;
}

export interface RunningRouter {
  port: number;
  url: string;
  server: Server;
  /** The port serving /metrics when it has one of its own. */
  metricsPort: number | null;
  /** This process's metrics, for a cluster primary to add up. */
  registry: Registry;
  stop(): Promise<void>;
}

const baseOf = (url: string) => url.replace(/\/graphql$/, '');

export async function startRouter(o: RouterOptions): Promise<RunningRouter> {
  const { config } = o;
  const settings = config.router;
  const log = o.log ?? createLogger('router', config.log);
  const production = o.production ?? config.production;
  const spans = installTracing('router', config.tracing);
  const keys = await loadInternalKeys('router', [], keySettings(config));
  const supergraphSdl = o.supergraphSdl ?? loadSupergraph();
  const limits = o.limits ?? settings.limits;
  const exposure = o.metrics ?? { allow: config.metricsAllow, port: settings.metricsPort };
  const manifest = settings.persistedOperationsManifest ?? undefined;
  const metrics = createMetrics('router', { allow: exposure.allow ?? undefined, knownOperations: operationNamesFromManifest(manifest), exposition: o.metricsExposition });
  // The router's own signed calls (its audit events to security) go through the client the subgraphs use.
  const peers = createServiceClient({ from: 'router', signer: keys.signer, peers: (name) => baseOf(o.subgraphs[name]), metrics, log });
  const audit = useAuditForwarding({ client: peers, log, store: o.store });
  const tls = o.tls === undefined ? readTls(settings.tls) : o.tls;
  const plugins = assemblePlugins(
    routerPlugins({
      settings, tokens: config.tokens, rateLimits: config.rateLimits, production, security: o.security !== false, tls: Boolean(tls), limits, supergraphSdl,
      persistedOperations: o.persistedOperations ?? settings.persistedOperations, manifest, corsOrigins: o.corsOrigins ?? settings.corsOrigins,
      externalIssuers: o.externalIssuers ?? settings.externalIssuers, consoleDir: o.consoleDir, metricsRoute: exposure.port === null,
      subgraphs: o.subgraphs, store: o.store, log, metrics, audit,
    }),
  );
  const gateway = new ApolloGateway({ supergraphSdl, buildService: useSignedContext(keys.signer, o.subgraphs, plugins.fetch) });
  const merged = metrics.counter('palisade_merged_operations_total', 'Queries answered by an identical in-flight execution for the same caller');
  const apollo = new ApolloServer<RouterContext>({
    gateway: useOperationMerging(gateway as never, { merged }),
    introspection: !production,
    csrfPrevention: true,
    // runMain owns the process's signals and stops everything in order; Apollo must not race it.
    stopOnTerminationSignals: false,
    allowBatchedHttpRequests: false,
    parseOptions: { maxTokens: limits.maxTokens },
    includeStacktraceInErrorResponses: false,
    formatError: (formatted) => maskError(formatted, { hideSuggestions: production }),
    plugins: plugins.apollo,
  });
  await apollo.start();

  const graphql = async (h: HttpContext) => {
    const request = await readGraphQLRequest(h);
    plugins.request(h, request);
    const body = request.method === 'POST' ? (request.operation ?? request.asSent) : undefined;
    if (request.method === 'GET' && typeof request.operation?.query === 'string' && !h.url.searchParams.get('query')) h.url.searchParams.set('query', request.operation.query);
    // One span per client request; the gateway's own spans (plan, fetch) and the subgraphs' nest under it.
    await inSpan(spans, 'router.graphql', extractContext(h.req.headers), async (span) => {
      span.setAttribute('palisade.request_id', h.requestId);
      await executeApollo(apollo, h, body, async () => {
        const added = await plugins.context(h);
        const caller = added.caller!;
        return { ...added, caller, requestId: h.requestId, log: log.child({ requestId: h.requestId, traceId: traceIdOf(span), userId: caller.userId ?? undefined }) };
      });
    });
  };

  const routes: Routes = {
    'GET /health': ({ res }) => sendJson(res, 200, { status: 'ok', service: 'router' }),
    'GET /health/ready': async ({ res }) => {
      const checks = await Promise.all(
        SUBGRAPH_NAMES.map(async (name) => {
          try {
            const r = await fetch(`${baseOf(o.subgraphs[name])}/health/ready`, { signal: AbortSignal.timeout(2_000) });
            return [name, r.ok] as const;
          } catch {
            return [name, false] as const;
          }
        }),
      );
      const store = await o.store.ping();
      const ready = store && checks.every(([, ok]) => ok);
      sendJson(res, ready ? 200 : 503, { status: ready ? 'ready' : 'unavailable', store, subgraphs: Object.fromEntries(checks) });
    },
    ...plugins.routes,
    'GET /graphql': graphql,
    'POST /graphql': graphql,
    'GET /': ({ res }) => {
      res.writeHead(302, { location: '/graphql' });
      res.end();
    },
  };

  const server = createHttpServer(routes, log, tls, config.trustProxyHops);
  const port = await listen(server, o.port, o.host);
  log.info({ port }, `router listening: http://${o.host === '0.0.0.0' ? 'localhost' : o.host}:${port}/graphql`);
  const metricsServer = exposure.port === null ? null : createHttpServer({ 'GET /metrics': metrics.route }, log);
  const metricsPort = metricsServer ? await listen(metricsServer, exposure.port!, o.host) : null;
  return {
    port,
    url: `${tls ? 'https' : 'http'}://${o.host}:${port}/graphql`,
    server,
    metricsPort,
    registry: metrics.registry,
    async stop() {
      await closeServer(server);
      if (metricsServer) await closeServer(metricsServer);
      await apollo.stop();
      await plugins.stop();
      await peers.close();
    },
  };
}

/** The operation of a GET (from the URL) or a POST (its JSON body), before any plugin has looked at it. */
async function readGraphQLRequest(h: HttpContext): Promise<GraphQLHttpRequest & { asSent?: unknown }> {
  if (h.req.method === 'POST') {
    const raw = await readBody(h.req);
    // Non-JSON bodies go to Apollo as-is so its CSRF prevention refuses them with a clear message.
    if (!isJson(h.req)) return { method: 'POST', operation: null, asSent: raw.toString('utf8') };
    const body = parseJsonBody(raw);
    if (Array.isArray(body)) throw new HttpError(400, 'BAD_USER_INPUT', 'Batched requests are not accepted');
    // Anything but an object goes to Apollo as sent, for its own clear refusal.
    return body && typeof body === 'object' ? { method: 'POST', operation: body as Record<string, unknown> } : { method: 'POST', operation: null, asSent: body };
  }
  // GET carries the operation in the URL; the same trust rules apply to it.
  const params = h.url.searchParams;
  for (const name of ['variables', 'extensions']) assertJsonDepth(params.get(name) ?? '');
  const extensions = params.get('extensions');
  let parsed: Record<string, unknown> = {};
  try {
    parsed = extensions ? (JSON.parse(extensions) as Record<string, unknown>) : {};
  } catch {}
  return { method: 'GET', operation: { query: params.get('query') ?? undefined, documentId: params.get('documentId') ?? undefined, extensions: parsed } };
}
