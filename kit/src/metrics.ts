import { Registry, collectDefaultMetrics, Counter, Gauge, Histogram } from 'prom-client';
import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import type { Handler } from './http.ts';
import type { Logger } from './logger.ts';

export interface ServiceMetrics {
  registry: Registry;
  requests: Counter<'operation' | 'outcome'>;
  duration: Histogram<'operation'>;
  authFailures: Counter<'reason'>;
  counter(name: string, help: string, labels?: string[]): Counter<string>;
  gauge(name: string, help: string, collect: () => Promise<number>): Gauge;
  route: Handler;
}

/** One registry per service, so services sharing a process in development keep their numbers apart. */
export function createMetrics(service: string): ServiceMetrics {
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
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5],
    registers: [registry],
  });
  const authFailures = new Counter({ name: 'palisade_auth_failures_total', help: 'Refused credentials by reason (token, login)', labelNames: ['reason'] as const, registers: [registry] });
  const route: Handler = async ({ res }) => {
    const text = await registry.metrics();
    res.writeHead(200, { 'content-type': registry.contentType });
    res.end(text);
  };
  return {
    registry,
    requests,
    duration,
    authFailures,
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
        async willSendResponse({ request, response }) {
          const operation = (request.operationName ?? 'anonymous').slice(0, 64);
          const errors = response.body.kind === 'single' ? response.body.singleResult.errors : undefined;
          const code = String(errors?.[0]?.extensions?.code ?? '');
          const outcome = errors?.length ? (OUTCOMES[code] ?? 'error') : 'ok';
          m.requests.inc({ operation, outcome });
          stop({ operation });
          contextValue.log?.info({ operation, outcome, ms: Math.round(performance.now() - started) }, 'operation');
        },
      };
    },
  };
}
