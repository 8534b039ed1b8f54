import type { PalisadeConfig } from './load.ts';
import type { Problems } from './setting.ts';
import { setting } from './setting.ts';
import { bool, oneOf } from './values.ts';

/**
 * Switches that exist only to measure what a defence costs (`npm run bench`). Turning one off takes both
 * the switch and `PALISADE_BENCHMARK_ONLY_UNSAFE=true`, and production refuses it whatever else is set.
 */
export const benchmarkSettings = {
  subgraphDefences: setting('SUBGRAPH_DEFENCES', oneOf(['on', 'off'] as const), 'on', '`off` starts the subgraphs without access rules, input guards and rate limits, to measure their cost; only with `PALISADE_BENCHMARK_ONLY_UNSAFE=true`, never in production'),
  unsafe: setting('PALISADE_BENCHMARK_ONLY_UNSAFE', bool(), false, 'allows the benchmark-only switches above outside production'),
};

export function checkBenchmarkSwitches(c: PalisadeConfig, problems: Problems): void {
  if (c.benchmark.subgraphDefences === 'on') return;
  if (c.production) problems.add('SUBGRAPH_DEFENCES', 'SUBGRAPH_DEFENCES=off is refused in production: the subgraphs always enforce their access rules, input guards and rate limits');
  else if (!c.benchmark.unsafe) problems.addAbout(['SUBGRAPH_DEFENCES', 'PALISADE_BENCHMARK_ONLY_UNSAFE'], 'SUBGRAPH_DEFENCES=off is for the benchmark only and needs PALISADE_BENCHMARK_ONLY_UNSAFE=true');
}
