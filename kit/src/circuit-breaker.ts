import CircuitBreaker from 'opossum';
import { Gauge } from 'prom-client';
import type { Logger } from './logger.ts';
import type { ServiceMetrics } from './metrics.ts';

/**
 * The one circuit breaker for calls between our services: the router's subgraph fetches and the service
 * client's subgraph-to-subgraph calls. When a peer keeps failing (more than half of at least five calls in
 * ten seconds), calls to it fail at once for `resetMs` instead of piling up; then one trial call is let
 * through, and its outcome closes the circuit or opens it for another `resetMs`.
 */
export type BreakerState = 'closed' | 'halfOpen' | 'open';

export interface BreakerOptions {
  /** Says whom the breaker guards in its log lines, e.g. `{ subgraph: 'user' }` or `{ peer: 'product' }`. */
  subject: Record<string, string>;
  log: Logger;
  /** How long an opened circuit fails fast before it lets a trial call through. */
  resetMs: number;
  /** Whether an error counts against the peer; default every error. A refusal of our own request does not. */
  isFailure?: (err: unknown) => boolean;
  /** Told on every change of state (for a gauge). */
  onState?: (state: BreakerState) => void;
  /** Exports the state as palisade_circuit_breaker_state{target} on this registry (router and service client alike). */
  gauge?: { metrics: ServiceMetrics; target: string };
}

export interface Breaker<A extends unknown[], R> {
  fire(...args: A): Promise<R>;
  state(): BreakerState;
  /** Stops its rolling-window timer. */
  shutdown(): void;
}

/** True for the error a call gets while its circuit is open (it never reached the peer). */
export const isCircuitOpen = (err: unknown) => (err as { code?: unknown } | null)?.code === 'EOPENBREAKER';

export function circuitBreaker<A extends unknown[], R>(action: (...args: A) => Promise<R>, o: BreakerOptions): Breaker<A, R> {
  const isFailure = o.isFailure ?? (() => true);
  const breaker = new CircuitBreaker(action, {
    timeout: false, // callers enforce their own deadline with an abort signal, which also frees the socket
    errorThresholdPercentage: 50,
    volumeThreshold: 5,
    rollingCountTimeout: 10_000,
    resetTimeout: o.resetMs,
    name: Object.values(o.subject).join('/'),
    errorFilter: (err: unknown) => !isFailure(err),
  });
  const state = (): BreakerState => (breaker.opened ? 'open' : breaker.halfOpen ? 'halfOpen' : 'closed');
  const exported = o.gauge ? breakerStateGauge(o.gauge.metrics) : null;
  const told = (s: BreakerState) => {
    o.onState?.(s);
    exported?.set({ target: o.gauge!.target }, BREAKER_STATE_VALUE[s]);
  };
  // A closed circuit is exported from the start, so "no series" never has to mean "healthy".
  exported?.set({ target: o.gauge!.target }, BREAKER_STATE_VALUE.closed);
  breaker.on('open', () => (o.log.error(o.subject, 'circuit opened: calls fail fast'), told('open')));
  breaker.on('halfOpen', () => (o.log.warn(o.subject, 'circuit half-open: trying again'), told('halfOpen')));
  breaker.on('close', () => (o.log.info(o.subject, 'circuit closed: healthy again'), told('closed')));
  return {
    fire: (...args) => breaker.fire(...args) as Promise<R>,
    state,
    shutdown: () => breaker.shutdown(),
  };
}

/** The value a breaker state is exported as: ordered, so max() over replicas reads as the worst. */
export const BREAKER_STATE_VALUE: Record<BreakerState, number> = { closed: 0, halfOpen: 1, open: 2 };

const STATE_GAUGE = 'palisade_circuit_breaker_state';

/** One gauge per registry, shared by every breaker of the service (a registry refuses a second of one name). */
function breakerStateGauge(m: ServiceMetrics): Gauge<'target'> {
  const existing = m.registry.getSingleMetric(STATE_GAUGE) as Gauge<'target'> | undefined;
  return existing ?? new Gauge({ name: STATE_GAUGE, help: 'Circuit breaker per target (a subgraph or peer): 0 closed, 1 half-open (one trial call), 2 open (failing fast)', labelNames: ['target'] as const, registers: [m.registry] });
}
