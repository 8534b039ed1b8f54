import { Counter, Histogram } from 'prom-client';
import type { ServiceMetrics } from '@palisade/kit';

/** Times every subgraph fetch and counts the ones that fail (network errors and non-2xx answers). */
export function useSubgraphMetrics(m: ServiceMetrics) {
  const duration = new Histogram({ name: 'palisade_subgraph_fetch_duration_seconds', help: 'Router → subgraph fetch latency', labelNames: ['subgraph'], buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5], registers: [m.registry] });
  const errors = new Counter({ name: 'palisade_subgraph_fetch_errors_total', help: 'Router → subgraph fetches that failed', labelNames: ['subgraph'], registers: [m.registry] });
  return (subgraph: string, f: typeof fetch): typeof fetch =>
    async (input, init) => {
      const stop = duration.startTimer({ subgraph });
      try {
        const res = await f(input, init);
        if (!res.ok) errors.inc({ subgraph });
        return res;
      } catch (err) {
        errors.inc({ subgraph });
        throw err;
      } finally {
        stop();
      }
    };
}
