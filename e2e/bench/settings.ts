import { configOrExit, int, list, loadSettings, oneOf, optional, positiveNumber, setting, text } from '@palisade/kit';

/** The benchmark's own variables (README "Benchmark"), read once. */
const BENCH_SETTINGS = {
  seconds: setting('BENCH_SECONDS', int(1, 3_600), 8, 'seconds each cell runs'),
  rounds: setting('BENCH_ROUNDS', int(1, 100), 3, 'rounds through every gateway; each figure is the median'),
  connections: setting('BENCH_CONNECTIONS', int(1, 10_000), 50, 'concurrent connections of the load generator'),
  gateways: optional('BENCH_GATEWAYS', list(), 'only these gateways (palisade, palisade-no-defences, apollo, hive)'),
  workloads: optional('BENCH_WORKLOADS', list(), 'only these workloads'),
  profile: setting('BENCH_PROFILE', list(), [] as string[], 'processes (a gateway kind or a subgraph) to CPU-profile'),
  subgraphDefences: setting('BENCH_SUBGRAPH_DEFENCES', oneOf(['on', 'off'] as const), 'on', '`off`: the subgraphs run without their own defences, to measure what those cost'),
  profileDir: optional('BENCH_PROFILE_DIR', text(), 'where the profiles go', { shown: '`.data/profiles`' }),
  // One load generator must not be throttled as an attacker would be.
  rateLimitScale: setting('RATE_LIMIT_SCALE', positiveNumber(), 100_000, 'budgets of the services under load'),
};

export const bench = loadSettings(BENCH_SETTINGS);
/** Real Postgres and Redis to run on, when given (DATABASE_URL / REDIS_URL); else throwaway local ones. */
export const backing = configOrExit('bench', []);
