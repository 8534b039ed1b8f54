import { randomBytes } from 'node:crypto';
import { startSupergraph, type RunningSupergraph, type SupergraphOptions } from '@palisade/ops/supergraph';
import { createTestDatabase, testConfig, testRedisPrefix, testServers, type ConfigOverrides } from '@palisade/kit/testing/index';
import type { PalisadeConfig } from '@palisade/kit';
import { GraphQLClient } from './client.ts';

export const ADMIN = { email: 'admin@palisade.test', password: 'bootstrap-password-for-tests-1' };

export interface TestEnvironment {
  /** The configuration every service of this environment runs with. */
  config: PalisadeConfig;
  supergraph: RunningSupergraph;
  url: string;
  /** What the suite runs on, for the report: real Postgres/Redis or the embedded stand-ins. */
  backing: { postgres: boolean; redis: boolean };
  asAnonymous(): GraphQLClient;
  asAdmin(): Promise<GraphQLClient>;
  /** Registers a fresh customer and returns a client holding its token. */
  asCustomer(name?: string): Promise<GraphQLClient & { userId: string; email: string; password: string }>;
  stop(): Promise<void>;
}

/**
 * Boots the real router and four subgraphs for one test file, on a fresh database of the harness's
 * Postgres (or PGlite when there is none) and a private key prefix on its Redis.
 */
export interface TestEnvironmentOptions {
  embedded?: boolean;
  /** Settings of this suite's services, over testConfig()'s (the administrator is always ADMIN). */
  config?: ConfigOverrides;
  router?: SupergraphOptions['router'];
  databaseUrls?: SupergraphOptions['databaseUrls'];
  redisUrl?: string;
}

export async function createTestEnvironment(o: TestEnvironmentOptions = {}): Promise<TestEnvironment> {
  const config = testConfig(o.config);
  config.user.admin = ADMIN;
  const servers = testServers();
  const useReal = !o.embedded;
  const database = useReal && servers.databaseUrl ? await createTestDatabase(servers.databaseUrl) : null;
  const redisUrl = o.redisUrl ?? (useReal ? servers.redisUrl : null);
  const supergraph = await startSupergraph({
    config,
    ports: { router: 0, user: 0, product: 0, order: 0, security: 0 },
    databaseUrl: database?.url ?? null,
    dataDir: null,
    redisUrl,
    redisPrefix: testRedisPrefix(),
    router: o.router,
    databaseUrls: o.databaseUrls,
  });
  const anon = new GraphQLClient(supergraph.url);
  let adminToken: string | null = null;
  return {
    config,
    supergraph,
    url: supergraph.url,
    backing: { postgres: Boolean(database), redis: Boolean(redisUrl) },
    asAnonymous: () => anon,
    async asAdmin() {
      adminToken ??= (await login(anon, ADMIN.email, ADMIN.password)).accessToken;
      return anon.withToken(adminToken);
    },
    async asCustomer(name = 'Customer') {
      const email = `${name.toLowerCase().replace(/\W/g, '')}-${randomBytes(4).toString('hex')}@example.com`;
      const password = `pw-${randomBytes(8).toString('hex')}`;
      const data = await anon.ok<{ register: { accessToken: string; user: { id: string } } }>(
        'mutation Register($input: RegisterInput!) { register(input: $input) { accessToken user { id } } }',
        { input: { email, password, displayName: name } },
      );
      return Object.assign(anon.withToken(data.register.accessToken), { userId: data.register.user.id, email, password });
    },
    async stop() {
      await supergraph.stop();
      await database?.drop();
    },
  };
}

export async function login(client: GraphQLClient, email: string, password: string) {
  const data = await client.ok<{ login: { accessToken: string; refreshToken: string; user: { id: string } } }>(
    'mutation Login($input: LoginInput!) { login(input: $input) { accessToken refreshToken user { id } } }',
    { input: { email, password } },
  );
  return data.login;
}
