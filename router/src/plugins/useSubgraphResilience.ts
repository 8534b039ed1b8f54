import { circuitBreaker, type Logger, type ServiceMetrics } from '@palisade/kit';

/**
 * Each subgraph gets a deadline and a circuit breaker (kit's, the one subgraphs use for their calls to each
 * other): when one keeps failing, calls to it fail at once for a while instead of piling up, and the gateway
 * answers the rest of the query with partial data.
 */
export interface SubgraphResilienceOptions {
  /** SUBGRAPH_TIMEOUT_MS: the deadline of one fetch. */
  timeoutMs: number;
  /** SUBGRAPH_BREAKER_RESET_MS: how long an opened circuit waits before trying again. */
  resetMs: number;
  /** Where each subgraph's circuit is exported (palisade_circuit_breaker_state{target}). */
  metrics?: ServiceMetrics;
}

export function useSubgraphResilience(log: Logger, o: SubgraphResilienceOptions) {
  const timeout = o.timeoutMs;
  const resetMs = o.resetMs;
  return (subgraph: string, f: typeof fetch): typeof fetch => {
    // The fetch's own AbortSignal enforces the deadline and frees the socket. Only a fetch that throws (no
    // answer) counts against the subgraph: an answer, even a 5xx, goes to the gateway as it came.
    const breaker = circuitBreaker((input: Parameters<typeof fetch>[0], init?: RequestInit) => f(input, { ...init, signal: AbortSignal.timeout(timeout) }), {
      subject: { subgraph },
      log,
      resetMs,
      gauge: o.metrics && { metrics: o.metrics, target: subgraph },
    });
    return (input, init) => breaker.fire(input, init);
  };
}
