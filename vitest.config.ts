import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['{auth,kit,schema,router,ops}/test/**/*.test.ts', 'subgraphs/*/test/**/*.test.ts', 'e2e/**/*.e2e.ts'],
    globalSetup: ['./vitest.global-setup.ts'],
    // Suites boot real servers; two cores run two files at a time.
    pool: 'forks',
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // One graphql module for everyone: shield/middleware loaded outside Vite would bring a second realm.
    server: { deps: { inline: ['graphql-middleware', 'graphql-shield', /@graphql-tools/] } },
    env: { NODE_ENV: 'test', LOG_LEVEL: process.env.LOG_LEVEL ?? 'error', SEED_DEMO_DATA: 'true' },
  },
});
