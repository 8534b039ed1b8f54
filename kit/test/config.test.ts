import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, SETTINGS, variablesOf } from '../src/config/index.ts';
import { configTable, withConfigTable } from '../src/config/docs.ts';
import { testConfig } from '../src/testing/config.ts';

const refusal = (env: Record<string, string>, services?: Parameters<typeof loadConfig>[1]) => {
  try {
    loadConfig(env, services);
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('the configuration was accepted');
};

describe('loadConfig', () => {
  it('gives every setting its documented default when nothing is set', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({
      mode: 'development',
      production: false,
      host: '127.0.0.1',
      port: null,
      dataDir: '.data',
      database: { url: null, poolSize: 10 },
      redis: { url: null, keyPrefix: 'palisade:' },
      subgraphUrls: { user: 'http://127.0.0.1:4001/graphql', security: 'http://127.0.0.1:4004/graphql' },
      tokens: { issuer: 'palisade', audience: 'palisade-api' },
      trustProxyHops: 0,
      rateLimits: { scale: 1, overrides: {} },
      keys: { dir: '.data/keys' },
      log: { level: 'info', file: null, format: null },
      router: { limits: { maxDepth: 12, maxCost: 5000, maxSpreads: 100 }, persistedOperations: 'allow', corsOrigins: [], externalIssuers: [], subgraphTimeoutMs: 10_000 },
      user: { loginIpFailureLimit: 20, loginLockBaseSeconds: 60, passwordHashing: { concurrency: 4, hashConcurrency: 2, maxQueuedHashes: 16 }, totpIssuer: 'Palisade' },
      product: { seedDemoData: true },
      order: { restockRetryMs: 10_000, reservationTtlSeconds: 120, reservationSweepMs: 10_000 },
      security: { checkpointIntervalMs: 60_000, detection: { bruteForce: 5, stuffingAccounts: 10, maxSourcesPerType: 5 } },
    });
  });

  it('parses what is set: numbers, lists, enums and JSON settings', () => {
    const c = loadConfig({
      NODE_ENV: 'test',
      MAX_QUERY_DEPTH: '7',
      RATE_LIMIT_SCALE: '2.5',
      RATE_LIMITS: '{"Mutation.login": {"limit": 5, "duration": 60}}',
      CORS_ORIGINS: 'https://shop.example.com, http://localhost:5173',
      METRICS_ALLOW: '10.0.0.0/8,::1',
      PERSISTED_OPERATIONS: 'enforce',
      SEED_DEMO_DATA: 'off',
      OIDC_ISSUERS: '[{"issuer":"https://sso.example.com","jwksUrl":"https://sso.example.com/certs","audience":"palisade","rolesClaim":"roles"}]',
      PALISADE_DATA_DIR: '/tmp/p',
    });
    expect(c.router.limits.maxDepth).toBe(7);
    expect(c.rateLimits).toEqual({ scale: 2.5, overrides: { 'Mutation.login': { limit: 5, duration: 60 } } });
    expect(c.router.corsOrigins).toEqual(['https://shop.example.com', 'http://localhost:5173']);
    expect(c.metricsAllow).toEqual(['10.0.0.0/8', '::1']);
    expect(c.router.persistedOperations).toBe('enforce');
    expect(c.product.seedDemoData).toBe(false);
    expect(c.router.externalIssuers[0]?.issuer).toBe('https://sso.example.com');
    expect(c.keys.dir).toBe('/tmp/p/keys');
    expect(c.log.level).toBe('warn');
  });

  it('names every bad variable in one error, and never repeats a secret', () => {
    const err = refusal({
      MAX_QUERY_DEPTH: 'twelve',
      TRUST_PROXY_HOPS: '-1',
      NODE_ENV: 'staging',
      PERSISTED_OPERATIONS: 'sometimes',
      DATABASE_URL: 'mysql://root:hunter2@db/shop',
      REDIS_URL: 'not a url',
      RATE_LIMIT_SCALE: '0',
      RATE_LIMITS: '{"Mutation.login": {"limit": 0, "duration": 60}}',
      OIDC_ISSUERS: '{"issuer": "x"}',
      METRICS_ALLOW: '10.0.0.0/8,everyone',
      CORS_ORIGINS: 'https://shop.example.com/path',
      SMTP_URL: 'http://mail:s3cret@example.com',
      ADMIN_PASSWORD: '',
      PALISADE_KEY_USER: '{not json s3cret',
      DATA_ENCRYPTION_KEYS: 'k1:c2hvcnQ=',
      TLS_CERT_FILE: '/etc/cert.pem',
    });
    expect([...err.variables].sort()).toEqual(
      ['CORS_ORIGINS', 'DATABASE_URL', 'DATA_ENCRYPTION_KEYS', 'MAX_QUERY_DEPTH', 'METRICS_ALLOW', 'NODE_ENV', 'OIDC_ISSUERS', 'PALISADE_KEY_USER', 'PERSISTED_OPERATIONS', 'RATE_LIMITS', 'RATE_LIMIT_SCALE', 'REDIS_URL', 'SMTP_URL', 'TLS_CERT_FILE', 'TLS_KEY_FILE', 'TRUST_PROXY_HOPS'].sort(),
    );
    expect(err.problems).toHaveLength(15);
    for (const v of err.variables) expect(err.message).toContain(v);
    expect(err.message).toContain('MAX_QUERY_DEPTH must be an integer from 1 to 1000 (got "twelve")');
    expect(err.message).toContain('RATE_LIMITS at Mutation.login.limit');
    expect(err.message).toContain('METRICS_ALLOW: not an address or CIDR range: "everyone"');
    for (const secret of ['hunter2', 's3cret', 'c2hvcnQ']) expect(err.message).not.toContain(secret);
  });

  it('refuses, in production, to start a service on development stand-ins, naming each missing setting', () => {
    const router = refusal({ NODE_ENV: 'production' }, { services: ['router'] });
    expect(router.problems).toEqual([
      'REDIS_URL must be set in production (the embedded stand-ins are for development)',
      'PALISADE_KEY_ROUTER must be set in production (an Ed25519 JWK; generate with: npm run palisade -- keys internal)',
    ]);
    const user = refusal({ NODE_ENV: 'production', REDIS_URL: 'redis://r:6379', PALISADE_KEY_USER: '{"kty":"OKP"}', DATA_ENCRYPTION_KEYS: `dev:${Buffer.alloc(32, 1).toString('base64')}` }, { services: ['user'] });
    expect(user.problems).toEqual([
      'DATABASE_URL must be set in production (the embedded stand-ins are for development)',
      'ADMIN_EMAIL and ADMIN_PASSWORD are required in production',
      'SMTP_URL is required in production (password reset and email verification send mail)',
      'DATA_ENCRYPTION_KEYS seals with the development key id "dev"; give production a key of its own',
    ]);
    // A subgraph of its own database needs no shared one; another subgraph in the same process does.
    const two = refusal({ NODE_ENV: 'production', REDIS_URL: 'redis://r:6379', ORDER_DATABASE_URL: 'postgres://o@db/o', PALISADE_KEY_ORDER: '{"kty":"OKP"}', PALISADE_KEY_PRODUCT: '{"kty":"OKP"}' }, { services: ['order', 'product'] });
    expect(two.problems).toEqual(['DATABASE_URL (or PRODUCT_DATABASE_URL) must be set in production (the embedded stand-ins are for development)']);
    expect(() => loadConfig({ NODE_ENV: 'production', REDIS_URL: 'redis://r:6379', PALISADE_KEY_ROUTER: '{"kty":"OKP"}' }, { services: ['router'] })).not.toThrow();
    expect(() => loadConfig({ NODE_ENV: 'production' }, { services: [] })).not.toThrow();
    expect(() => loadConfig({}, { services: ['user'] })).not.toThrow();
  });
});

describe('testConfig', () => {
  it('starts from the test defaults and lays overrides over them, deeply', () => {
    const c = testConfig({ trustProxyHops: 1, router: { limits: { maxDepth: 3 } }, user: { admin: { email: 'a@example.com' } } });
    expect(c.mode).toBe('test');
    expect(c.rateLimits.scale).toBe(100);
    expect(c.trustProxyHops).toBe(1);
    expect(c.router.limits).toMatchObject({ maxDepth: 3, maxAliases: 30 });
    expect(c.user.admin).toEqual({ email: 'a@example.com', password: null });
    expect(testConfig({ mode: 'production' })).toMatchObject({ production: true, log: { production: true } });
  });
});

describe("the README's configuration table", () => {
  it('is the one the settings write (npm run config:docs)', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    expect(withConfigTable(readme, configTable())).toBe(readme);
  });

  it('has a row for every variable a service reads', () => {
    const table = configTable();
    for (const v of variablesOf(SETTINGS)) if (!/^PALISADE_(PUB)?KEY_/.test(v)) expect(table, v).toContain(`\`${v}\``);
  });
});
