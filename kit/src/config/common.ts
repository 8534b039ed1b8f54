import { z } from 'zod';
import { addressList } from '../metrics-access.ts';
import { family, optional, setting } from './setting.ts';
import { DEFAULT_PORTS, SERVICE_NAMES, SUBGRAPH_NAMES, subgraphUrlVar } from './services.ts';
import { int, json, list, oneOf, port, positiveNumber, text, url } from './values.ts';

export const MODES = ['development', 'production', 'test'] as const;
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const rateLimitOverrides = z.record(z.string().regex(/^[A-Za-z_]\w*(\.[A-Za-z_]\w*)?$/, 'must name a type or Type.field'), z.strictObject({ limit: z.number().int().min(1), duration: z.number().int().min(1) }));
const jwk = z.looseObject({ kty: z.string().min(1) });

/** What every service reads: where it listens, its storage, its keys, its limits' scale, its logs and traces. */
export const commonSettings = {
  mode: setting('NODE_ENV', oneOf(MODES), 'development', '`production` disables Sandbox and introspection, hides suggestions, and refuses missing secrets'),
  host: setting('HOST', text(), '127.0.0.1', 'interface to listen on'),
  port: optional('PORT', port(), 'listening port of a service run on its own; `USER_PORT`, … override per subgraph', { shown: '4000 (router) / 4001–4004' }),
  ports: family(SUBGRAPH_NAMES, (n) => optional(`${n.toUpperCase()}_PORT`, port(), `port of the ${n} subgraph run on its own`), {
    names: '`USER_PORT`, `PRODUCT_PORT`, `ORDER_PORT`, `SECURITY_PORT`',
    shown: '`PORT`',
    describe: 'listening port of one subgraph run on its own',
  }),
  dataDir: setting('PALISADE_DATA_DIR', text(), '.data', 'embedded database files and development keys'),
  database: {
    url: optional('DATABASE_URL', url('postgres', 'postgresql'), 'Postgres for all subgraphs (each in its own schema); `USER_DATABASE_URL`, … give one its own database', { shown: 'unset → PGlite', secret: true }),
    urls: family(SUBGRAPH_NAMES, (n) => optional(`${n.toUpperCase()}_DATABASE_URL`, url('postgres', 'postgresql'), `Postgres of the ${n} subgraph`, { secret: true }), {
      names: '`USER_DATABASE_URL`, `PRODUCT_DATABASE_URL`, `ORDER_DATABASE_URL`, `SECURITY_DATABASE_URL`',
      shown: '`DATABASE_URL`',
      describe: 'a database of its own for one subgraph',
    }),
    poolSize: setting('DATABASE_POOL_SIZE', int(1, 1_000), 10, 'Postgres connections each subgraph process may open'),
  },
  redis: {
    url: optional('REDIS_URL', url('redis', 'rediss'), 'Redis for revocations, replay guards and rate limits', { shown: 'unset → in-process', secret: true }),
    keyPrefix: setting('REDIS_KEY_PREFIX', text(), 'palisade:', 'prefix of every Redis key (several deployments on one Redis)'),
  },
  subgraphUrls: family(SUBGRAPH_NAMES, (n) => setting(subgraphUrlVar(n), url('http', 'https'), `http://127.0.0.1:${DEFAULT_PORTS[n]}/graphql`, `where the router and peers find the ${n} subgraph`), {
    names: '`USER_URL`, `PRODUCT_URL`, `ORDER_URL`, `SECURITY_URL`',
    shown: '`http://127.0.0.1:400x/graphql`',
    describe: 'where the router and peers find each subgraph',
  }),
  tokens: {
    issuer: setting('TOKEN_ISSUER', text(), 'palisade', '`iss` of access tokens (the router and the user subgraph must agree)'),
    audience: setting('TOKEN_AUDIENCE', text(), 'palisade-api', '`aud` of access tokens'),
  },
  trustProxyHops: setting('TRUST_PROXY_HOPS', int(0, 32), 0, 'proxies in front of the router whose `X-Forwarded-For` entries are believed (client IPs for throttling and audit)'),
  rateLimits: {
    scale: setting('RATE_LIMIT_SCALE', positiveNumber(), 1, 'multiplies every rate-limit budget (tests and load tests raise it)'),
    overrides: setting('RATE_LIMITS', json(rateLimitOverrides), {}, 'override or add `@rateLimit` budgets, JSON: `{"Mutation.login": {"limit": 5, "duration": 60}, "Query": {"limit": 2000, "duration": 60}}`', { shown: 'unset' }),
  },
  metricsAllow: optional('METRICS_ALLOW', list((entry) => addressList([entry])), 'comma-separated addresses/CIDRs that may read `/metrics` (requests through a proxy never may)', { shown: 'loopback + private ranges' }),
  keys: {
    dir: optional('PALISADE_KEYS_DIR', text(), 'development service keys (generated)', { shown: '`.data/keys`' }),
    private: family(SERVICE_NAMES, (n) => optional(`PALISADE_KEY_${n.toUpperCase()}`, json(jwk), `the ${n}'s Ed25519 private JWK`, { secret: true }), {
      names: '`PALISADE_KEY_<SERVICE>`',
      shown: '— (development: generated)',
      describe: "production: each service's Ed25519 private JWK (`npm run palisade -- keys internal` makes a set)",
    }),
    public: family(SERVICE_NAMES, (n) => optional(`PALISADE_PUBKEY_${n.toUpperCase()}`, json(jwk), `the ${n}'s Ed25519 public JWK`), {
      names: '`PALISADE_PUBKEY_<SERVICE>`',
      shown: '— (development: generated)',
      describe: 'production: the public JWKs of the services a service trusts',
    }),
  },
  tracing: {
    endpoint: optional('OTEL_EXPORTER_OTLP_ENDPOINT', url('http', 'https'), 'export traces over OTLP/HTTP (e.g. `http://jaeger:4318`)'),
    serviceName: optional('OTEL_SERVICE_NAME', text(), 'the service name spans are exported under', { shown: '`palisade-<service>`' }),
    exportDelayMs: setting('OTEL_BSP_SCHEDULE_DELAY', int(1, 600_000), 5_000, 'milliseconds between exports of recorded spans'),
  },
  log: {
    file: optional('LOG_FILE', text(), 'write JSON log lines to this file instead of stdout'),
    level: optional('LOG_LEVEL', oneOf(LOG_LEVELS), 'pino level', { shown: '`info` (`warn` under `NODE_ENV=test`)' }),
    format: optional('LOG_FORMAT', oneOf(['json', 'pretty'] as const), '`json` forces JSON lines; pretty lines otherwise on a terminal (never in production)', { shown: 'pretty on a TTY' }),
  },
};

/** The operator CLI's own (`npm run palisade`); it also reads `ADMIN_*` and the database settings. */
export const cliSettings = {
  routerUrl: setting('ROUTER_URL', url('http', 'https'), 'http://localhost:4000', 'the router the operator CLI (`npm run palisade`) talks to'),
};
