import { optional, setting } from '../config/setting.ts';
import { bool, int, text, url } from '../config/values.ts';

/** Test infrastructure's own variables: which servers the suites run on, replays of generated runs, the browser. */
export const TEST_SETTINGS = {
  databaseUrl: optional('TEST_DATABASE_URL', url('postgres', 'postgresql'), 'the Postgres server suites create their databases on (else `DATABASE_URL`, else one started from local binaries)', { secret: true }),
  redisUrl: optional('TEST_REDIS_URL', url('redis', 'rediss'), 'the Redis suites use (else `REDIS_URL`, else one started from local binaries)', { secret: true }),
  requireRealServers: setting('PALISADE_REQUIRE_REAL_SERVERS', bool(), false, 'a suite that cannot reach real Postgres, Redis or a browser fails instead of skipping (CI sets it)'),
  postgresBin: optional('PG_BIN', text(), 'the folder of `initdb` and `postgres` to start a throwaway server from', { shown: 'the newest under `/usr/lib/postgresql`' }),
  chromium: setting('CHROMIUM_PATH', text(), '/usr/bin/chromium', 'the browser the console tests drive'),
  screenshots: optional('SCREENSHOTS_DIR', text(), 'where the console tests leave screenshots', { shown: '`.ci/screenshots`' }),
  fuzzSeed: setting('FUZZ_SEED', int(0, 2 ** 31 - 1), 20261126, 'replay a fuzz run'),
  fuzzRuns: setting('FUZZ_RUNS', int(1, 100_000), 40, 'fuzz runs per field and caller'),
  propertySeed: setting('FC_SEED', int(-(2 ** 31), 2 ** 31 - 1), 20261126, 'replay a property test run'),
  keepLogs: setting('KEEP_LOGS', bool(), false, 'keep the log files the logging tests write'),
};
