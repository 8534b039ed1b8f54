import CircuitBreaker from 'opossum';
import { envInt, type Logger } from '@palisade/kit';

/**
 * Each subgraph gets a deadline and a circuit breaker: when one keeps failing, calls to it fail at once for
 * a while instead of piling up, and the gateway answers the rest of the query with partial data.
 */
export function useSubgraphResilience(log: Logger, o: { timeoutMs?: number; resetMs?: number } = {}) {
  const timeout = o.timeoutMs ?? envInt('SUBGRAPH_TIMEOUT_MS', 10_000);
  const resetTimeout = o.resetMs ?? envInt('SUBGRAPH_BREAKER_RESET_MS', 10_000);
  return (subgraph: string, f: typeof fetch): typeof fetch => {
    const breaker = new CircuitBreaker((input: Parameters<typeof fetch>[0], init?: RequestInit) => f(input, { ...init, signal: AbortSignal.timeout(timeout) }), {
      timeout: false, // the fetch's own AbortSignal enforces the deadline and frees the socket
      errorThresholdPercentage: 50,
      volumeThreshold: 5,
      rollingCountTimeout: 10_000,
      resetTimeout,
      name: subgraph,
    });
    breaker.on('open', () => log.error({ subgraph }, 'circuit opened: subgraph failing, calls fail fast'));
    breaker.on('halfOpen', () => log.warn({ subgraph }, 'circuit half-open: trying the subgraph again'));
    breaker.on('close', () => log.info({ subgraph }, 'circuit closed: subgraph healthy again'));
    return (input, init) => breaker.fire(input, init);
  };
}
