import { configOrExit, int, list, loadSettings, oneOf, optional, positiveNumber, setting, text } from '@palisade/kit';

/** The benchmark's own variables (README "Benchmark"), read once. */
const BENCH_SETTINGS = {
  seconds: setting('BENCH_SECONDS', int(1, 3_600), 8, 'seconds each cell runs'),
  rounds: setting('BENCH_ROUNDS', int(1, 100), 3, 'rounds through every gateway; each figure is the median'),
  connections: setting('BENCH_CONNECTIONS', int(1, 10_000), 50, 'concurrent connections of the load generator'),
  gateways: optional('BENCH_GATEWAYS', list(), 'only these gateways (palisade, palisade-workers, palisade-no-defences, apollo, hive)'),
  workloads: optional('BENCH_WORKLOADS', list(), 'only these workloads'),
  profile: setting('BENCH_PROFILE', list(), [] as string[], 'processes (a gateway kind or a subgraph) to CPU-profile'),
  subgraphDefences: setting('BENCH_SUBGRAPH_DEFENCES', oneOf(['on', 'off'] as const), 'on', '`off`: the subgraphs run without their own defences, to measure what those cost'),
  routerWorkers: setting('BENCH_ROUTER_WORKERS', int(1, 64), 1, 'more than 1 adds the gateway "Palisade (N workers)" (the router as N cluster workers on one port, kind `palisade-workers`) beside Palisade in one process'),
  soak: {
    seconds: optional('BENCH_SOAK_SECONDS', int(30, 86_400), 'instead of the cells: mixed traffic on Palisade for this long, sampling every process\'s memory'),
    warmupSeconds: setting('BENCH_SOAK_WARMUP_SECONDS', int(5, 3_600), 60, 'the soak\'s warm-up; memory growth is measured after it (less than `BENCH_SOAK_SECONDS`)'),
    sampleSeconds: setting('BENCH_SOAK_SAMPLE_SECONDS', int(1, 600), 5, 'how often the soak reads each process\'s RSS'),
  },
  profileDir: optional('BENCH_PROFILE_DIR', text(), 'where the profiles go', { shown: '`.data/profiles`' }),
  // One load generator must not be throttled as an attacker would be.
  rateLimitScale: setting('RATE_LIMIT_SCALE', positiveNumber(), 100_000, 'budgets of the services under load'),
};

export const bench = loadSettings(BENCH_SETTINGS);
if (bench.soak.seconds !== null && bench.soak.warmupSeconds >= bench.soak.seconds) {
  process.stderr.write(`the benchmark's configuration is refused:\n  - BENCH_SOAK_WARMUP_SECONDS (${bench.soak.warmupSeconds}) must be less than BENCH_SOAK_SECONDS (${bench.soak.seconds})\n`);
  process.exit(1);
}
/** Real Postgres and Redis to run on, when given (DATABASE_URL / REDIS_URL); else throwaway local ones. */
export const backing = configOrExit('bench', []);
