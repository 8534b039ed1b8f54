import { createRequire } from 'node:module';
import { defineConfig } from 'vitest/config';

const require = createRequire(import.meta.url);

export default defineConfig({
  // Node resolves `graphql` to its CommonJS build (the package has no exports map); Vite would pick the
  // ESM one for our sources. Two copies of graphql cannot share schemas, so everyone gets Node's.
  resolve: { alias: [{ find: /^graphql$/, replacement: require.resolve('graphql') }] },
  test: {
    include: ['{auth,kit,schema,router,ops}/test/**/*.test.ts', 'subgraphs/*/test/**/*.test.ts', 'e2e/**/*.e2e.ts'],
    globalSetup: ['./vitest.global-setup.ts'],
    // Suites boot real servers; two cores run two files at a time.
    pool: 'forks',
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // For processes the suites start (they read their environment); suites themselves build configurations (testConfig).
    env: { NODE_ENV: 'test', SEED_DEMO_DATA: 'true', RATE_LIMIT_SCALE: '100' },
  },
});
