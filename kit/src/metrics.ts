import { Registry, collectDefaultMetrics, Counter, Gauge, Histogram } from 'prom-client';
import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import { HttpError, type Handler } from './http.ts';
import type { Logger } from './logger.ts';
import { operationLabeller, operationNamesFromManifest } from './metric-labels.ts';
import { DEFAULT_METRICS_ALLOW, metricsAccess } from './metrics-access.ts';

export * from './metric-labels.ts';
export * from './metrics-access.ts';

export interface MetricsOptions {
  /** Operation names that label series as themselves (default: the trusted documents' names); others are `other`. */
  knownOperations?: ReadonlySet<string>;
  /** Client addresses or CIDR ranges that may read /metrics (default: loopback and private networks). */
  allow?: readonly string[];
  /** The text /metrics serves (default: this registry's); a router worker serves its cluster's sum instead. */
  exposition?: (registry: Registry) => Promise<string>;
}

export interface ServiceMetrics {
  registry: Registry;
  requests: Counter<'operation' | 'outcome'>;
  duration: Histogram<'operation'>;
  authFailures: Counter<'reason'>;
  /** The label a client-chosen operation name is counted under: one of a bounded set. */
  operationLabel(name: string | null | undefined): string;
  counter(name: string, help: string, labels?: string[]): Counter<string>;
  gauge(name: string, help: string, collect: () => Promise<number>): Gauge;
  route: Handler;
}

/** One registry per service, so services sharing a process in development keep their numbers apart. */
export function createMetrics(service: string, o: MetricsOptions = {}): ServiceMetrics {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry });
  const requests = new Counter({
    name: 'palisade_graphql_requests_total',
    help: 'GraphQL operations by name and outcome (ok, error, denied, rate_limited, too_complex, bad_input)',
    labelNames: ['operation', 'outcome'] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'palisade_graphql_request_duration_seconds',
    help: 'GraphQL operation latency',
    labelNames: ['operation'] as const,
    // 0.3 is the latency objective's threshold (ops/prometheus/rules/slo.yml): a ratio of buckets needs a bucket there.
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.3, 0.5, 1, 2, 5],
    registers: [registry],
  });
  const authFailures = new Counter({ name: 'palisade_auth_failures_total', help: 'Refused credentials by reason (token, login)', labelNames: ['reason'] as const, registers: [registry] });
  const allowed = metricsAccess(o.allow ?? DEFAULT_METRICS_ALLOW);
  // Refused like a path that does not exist: no hint that there is anything to read.
  const route: Handler = async ({ req, res }) => {
    if (!allowed(req)) throw new HttpError(404, 'NOT_FOUND', 'Not found');
    const text = await (o.exposition ?? ((r: Registry) => r.metrics()))(registry);
    res.writeHead(200, { 'content-type': registry.contentType });
    res.end(text);
  };
  return {
    registry,
    requests,
    duration,
    authFailures,
    operationLabel: operationLabeller(o.knownOperations ?? operationNamesFromManifest()),
    counter: (name, help, labels = []) => new Counter({ name, help, labelNames: labels, registers: [registry] }),
    gauge: (name, help, collect) =>
      new Gauge({
        name,
        help,
        registers: [registry],
        async collect() {
          this.set(await collect().catch(() => -1));
        },
      }),
    route,
  };
}

const OUTCOMES: Record<string, string> = {
  FORBIDDEN: 'denied',
  UNAUTHENTICATED: 'denied',
  RATE_LIMITED: 'rate_limited',
  QUERY_TOO_COMPLEX: 'too_complex',
  BAD_USER_INPUT: 'bad_input',
  PERSISTED_QUERY_NOT_FOUND: 'bad_input',
};

/**
 * Counts and times every operation by name (the outcome is the first error's kind, or ok) and writes one
 * access-log line for it. At debug level the operation's variables and headers are logged too, through
 * the logger's redaction, which keeps credentials out.
 */
export function metricsPlugin<T extends BaseContext & { log?: Logger }>(m: ServiceMetrics): ApolloServerPlugin<T> {
  return {
    async requestDidStart({ request, contextValue }) {
      const stop = m.duration.startTimer();
      const started = performance.now();
      contextValue.log?.debug({ variables: request.variables, headers: Object.fromEntries(request.http?.headers ?? []) }, 'operation received');
      return {
        async willSendResponse({ request, response, operationName }) {
          // The name the document resolved to, else whatever the client sent; either way one of a bounded set.
          const operation = m.operationLabel(operationName ?? request.operationName);
          const errors = response.body.kind === 'single' ? response.body.singleResult.errors : undefined;
          const code = String(errors?.[0]?.extensions?.code ?? '');
          const outcome = errors?.length ? (OUTCOMES[code] ?? 'error') : 'ok';
          m.requests.inc({ operation, outcome });
          stop({ operation });
          contextValue.log?.info({ operation: (request.operationName ?? 'anonymous').slice(0, 64), outcome, ms: Math.round(performance.now() - started) }, 'operation');
        },
      };
    },
  };
}
