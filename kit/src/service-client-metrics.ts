import { Counter, Histogram, type Registry } from 'prom-client';
import type { ServiceMetrics } from './metrics.ts';

/** How one service call ended: answered 2xx, refused (4xx), failed (5xx), never answered, or not tried. */
export type CallOutcome = 'ok' | 'refused' | 'failed' | 'unreachable' | 'deadline' | 'circuit_open';

export interface ServiceCallMetrics {
  /** Starts timing a call that reaches the wire; the returned function stops it. */
  time(peer: string): () => void;
  count(peer: string, outcome: CallOutcome): void;
}

// A registry refuses a second metric of the same name; a second client on one service shares the first's.
const registered = <T>(registry: Registry, name: string, make: () => T): T => (registry.getSingleMetric(name) as T | undefined) ?? make();

/**
 * The service client's series on a service's own registry, so /metrics shows them beside everything else
 * (each peer's circuit is palisade_circuit_breaker_state{target}, exported by the breaker itself).
 */
export function serviceCallMetrics(m: ServiceMetrics | undefined): ServiceCallMetrics {
  if (!m) return { time: () => () => {}, count: () => {} };
  const registers = [m.registry];
  const calls = registered(m.registry, 'palisade_service_calls_total', () =>
    new Counter({ name: 'palisade_service_calls_total', help: 'Signed calls to other services by peer and outcome (ok, refused, failed, unreachable, deadline, circuit_open)', labelNames: ['peer', 'outcome'] as const, registers }),
  );
  const duration = registered(m.registry, 'palisade_service_call_duration_seconds', () =>
    new Histogram({ name: 'palisade_service_call_duration_seconds', help: 'Latency of signed calls to other services', labelNames: ['peer'] as const, buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5], registers }),
  );
  return {
    time: (peer) => duration.startTimer({ peer }),
    count: (peer, outcome) => calls.inc({ peer, outcome }),
  };
}
