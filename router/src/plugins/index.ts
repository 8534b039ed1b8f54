import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginLandingPageLocalDefault } from '@apollo/server/plugin/landingPage/default';
import { errorReportingPlugin, HttpError, metricsPlugin, sendJson, type Logger, type PalisadeConfig, type ServiceMetrics, type Store, type SubgraphName } from '@palisade/kit';
import type { ExternalIssuerConfig } from '@palisade/auth';
import type { RouterContext } from '../context.ts';
import type { RouterPlugin } from '../plugin.ts';
import { costModelFromSupergraph } from '../cost-model.ts';
import { refuseCostlyToValidate } from '../document-shape.ts';
import type { AuditForwarder } from './useAuditForwarding.ts';
import { useAdminConsole } from './useAdminConsole.ts';
import { useConsoleSession } from './useConsoleSession.ts';
import { useCors } from './useCors.ts';
import { useJwtAuth } from './useJwtAuth.ts';
import { useOperationLimits, type OperationLimits } from './useOperationLimits.ts';
import { usePersistedOperations, type PersistedMode } from './usePersistedOperations.ts';
import { usePublicCache } from './usePublicCache.ts';
import { useSecurityHeaders } from './useSecurityHeaders.ts';
import { useSubgraphMetrics } from './useSubgraphMetrics.ts';
import { useSubgraphResilience } from './useSubgraphResilience.ts';
import { useThreatSignals } from './useThreatSignals.ts';
import { useUnavailableStatus } from './useUnavailableStatus.ts';

/** What the plugins are built from: settings resolved by startRouter, and the few parts they share. */
export interface RouterPluginDeps {
  settings: PalisadeConfig['router'];
  tokens: PalisadeConfig['tokens'];
  /** RATE_LIMIT_SCALE and RATE_LIMITS: the public cache spends visitors' budgets as the subgraphs would. */
  rateLimits: PalisadeConfig['rateLimits'];
  production: boolean;
  /** false: the benchmark's "security off" (see RouterOptions.security). */
  security: boolean;
  tls: boolean;
  limits: OperationLimits;
  supergraphSdl: string;
  persistedOperations: PersistedMode;
  manifest: string | undefined;
  corsOrigins: string[];
  externalIssuers: ExternalIssuerConfig[];
  consoleDir: string | undefined;
  /** Serve /metrics on the router's port (false when it has a port of its own). */
  metricsRoute: boolean;
  subgraphs: Record<SubgraphName, string>;
  store: Store;
  log: Logger;
  metrics: ServiceMetrics;
  audit: AuditForwarder;
}

const baseOf = (url: string) => url.replace(/\/graphql$/, '');

/** The router, as the list of its plugins, in the order their hooks run. */
export function routerPlugins(d: RouterPluginDeps): RouterPlugin[] {
  const consoleSession = useConsoleSession({ secure: d.tls, maxAgeSeconds: 30 * 86_400 });
  const cors = useCors(d.corsOrigins);
  const persisted = usePersistedOperations(d.persistedOperations, d.manifest);
  const securityHeaders = useSecurityHeaders({ tls: d.tls, landingPage: !d.production });
  const authenticate = useJwtAuth({
    issuer: d.tokens.issuer,
    audience: d.tokens.audience,
    jwksUrl: `${baseOf(d.subgraphs.user)}/.well-known/jwks.json`,
    log: d.log,
    store: d.security ? d.store : null,
    audit: d.audit,
    onRejected: () => d.metrics.authFailures.inc({ reason: 'token' }),
    externalIssuers: d.externalIssuers,
  });
  const defences: RouterPlugin[] = [
    // Before Apollo validates the document (superlinear for some shapes): no Apollo hook can answer a request between parsing and validating.
    { name: 'document-shape', request: (_h, r) => refuseCostlyToValidate(r.operation?.query, d.limits) },
    {
      name: 'operation-limits',
      apollo: [useOperationLimits(d.limits, costModelFromSupergraph(d.supergraphSdl), (ctx, reason) => d.audit.record(ctx.caller, { action: 'operation.too_complex', outcome: 'DENIED', metadata: { reason } }))],
    },
    { name: 'threat-signals', apollo: [useThreatSignals(d.audit, { slowMs: d.settings.slowOperationMs })] },
  ];
  return [
    { name: 'landing-page', apollo: [d.production ? ApolloServerPluginLandingPageDisabled() : ApolloServerPluginLandingPageLocalDefault({ embed: true, includeCookies: false })] },
    { name: 'error-reporting', apollo: [errorReportingPlugin<RouterContext>(d.log)] },
    { name: 'metrics', apollo: [metricsPlugin<RouterContext>(d.metrics)], fetch: useSubgraphMetrics(d.metrics), routes: d.metricsRoute ? { 'GET /metrics': d.metrics.route } : {} },
    { name: 'unavailable-status', apollo: [useUnavailableStatus<RouterContext>()] },
    { name: 'security-headers', request: (h) => securityHeaders(h.res) },
    { name: 'cors', request: (h) => void cors.apply(h), routes: { 'OPTIONS /graphql': (h) => cors.preflight(h) } },
    {
      name: 'persisted-operations',
      request: (_h, r) => {
        if (r.operation) r.operation = persisted(r.operation);
      },
    },
    {
      name: 'console-session',
      request: (h, r) => {
        if (r.method === 'POST' && r.operation) r.operation = consoleSession.prepare(h, r.operation);
      },
      context: (h) => ({ console: consoleSession.isConsole(h) }),
      apollo: [consoleSession.plugin as never],
    },
    ...(d.security ? defences : []),
    { name: 'jwt-auth', context: async (h) => ({ caller: await authenticate(h) }) },
    {
      name: 'public-cache',
      apollo: [usePublicCache({ settings: d.settings.publicCache, rateLimits: d.rateLimits, supergraphSdl: d.supergraphSdl, store: d.store, metrics: d.metrics, audit: d.audit, log: d.log })],
    },
    { name: 'subgraph-resilience', fetch: useSubgraphResilience(d.log, { timeoutMs: d.settings.subgraphTimeoutMs, resetMs: d.settings.breakerResetMs, metrics: d.metrics }) },
    { name: 'audit-forwarding', stop: () => d.audit.stop() },
    { name: 'admin-console', routes: useAdminConsole(d.consoleDir) },
    { name: 'jwks', routes: { 'GET /.well-known/jwks.json': jwksProxy(d.subgraphs.user) } },
  ];
}

/** The user subgraph's signing keys, republished on the router's origin for clients and other verifiers. */
function jwksProxy(userUrl: string) {
  let cache: { at: number; body: unknown } | null = null;
  return async ({ res }: { res: Parameters<typeof sendJson>[0] }) => {
    if (!cache || Date.now() - cache.at > 10_000) {
      const r = await fetch(`${baseOf(userUrl)}/.well-known/jwks.json`, { signal: AbortSignal.timeout(3_000) }).catch(() => null);
      if (!r?.ok) throw new HttpError(503, 'INTERNAL_SERVER_ERROR', 'Key set unavailable');
      cache = { at: Date.now(), body: await r.json() };
    }
    sendJson(res, 200, cache.body, { 'cache-control': 'public, max-age=10' });
  };
}
