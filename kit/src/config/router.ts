import { parseExternalIssuers } from '@palisade/auth';
import { optional, setting } from './setting.ts';
import { int, list, oneOf, parsedAs, port, text } from './values.ts';

export const PERSISTED_MODES = ['off', 'allow', 'enforce'] as const;

const origin = (entry: string) => {
  if (!URL.canParse(entry) || new URL(entry).origin !== entry) throw new Error(`not an origin (like https://shop.example.com): "${entry}"`);
};
// The shape is auth's to say (roles, claims); its messages name the entry at fault.
const issuers = parsedAs('a JSON array of issuers', (s) => {
  try {
    JSON.parse(s);
  } catch {
    throw new Error('must be JSON');
  }
  return parseExternalIssuers(s);
});

/** The router's: operation limits, trusted documents, browsers, TLS, external issuers, its subgraph fetch. */
export const routerSettings = {
  limits: {
    maxDepth: setting('MAX_QUERY_DEPTH', int(1, 1_000), 12, 'deepest selection an operation may nest (`QUERY_TOO_COMPLEX` beyond)'),
    maxAliases: setting('MAX_QUERY_ALIASES', int(0, 10_000), 30, 'aliases an operation may use'),
    maxDirectives: setting('MAX_QUERY_DIRECTIVES', int(0, 10_000), 50, 'directives an operation may use'),
    maxTokens: setting('MAX_QUERY_TOKENS', int(1, 1_000_000), 5_000, 'tokens the parser reads before refusing the document'),
    maxCost: setting('MAX_QUERY_COST', int(1, 10_000_000), 5_000, 'estimated cost: each field times the list sizes above it (`first`, else `@listSize`)'),
    maxFragments: setting('MAX_QUERY_FRAGMENTS', int(0, 10_000), 32, 'fragments a document may define (refused before validation)'),
    maxSpreads: setting('MAX_QUERY_SPREADS', int(0, 100_000), 100, 'fragment spreads a document may hold (refused before validation)'),
    maxSelectionsPerSet: setting('MAX_QUERY_SET_SELECTIONS', int(1, 100_000), 100, 'selections one selection set may hold (refused before validation)'),
  },
  persistedOperations: setting('PERSISTED_OPERATIONS', oneOf(PERSISTED_MODES), 'allow', '`off`, `allow` (trusted documents by id plus any query) or `enforce` (only `schema/operations/**` run; the admin console works in every mode); APQ works in `off` and `allow`'),
  persistedOperationsManifest: optional('PERSISTED_OPERATIONS_MANIFEST', text(), 'trusted-documents manifest the router loads', { shown: '`schema/operations/manifest.json`' }),
  corsOrigins: setting('CORS_ORIGINS', list(origin), [] as string[], 'comma-separated browser origins allowed to call the API', { shown: 'unset (no cross-origin)' }),
  tls: {
    certFile: optional('TLS_CERT_FILE', text(), 'serve HTTPS (and send HSTS) with this PEM certificate (needs `TLS_KEY_FILE`)'),
    keyFile: optional('TLS_KEY_FILE', text(), 'the PEM key of `TLS_CERT_FILE`'),
  },
  externalIssuers: setting('OIDC_ISSUERS', issuers, [], 'external OpenID Connect issuers to trust, a JSON array: `[{"issuer":"https://sso.example.com/realms/shop","jwksUrl":"…/protocol/openid-connect/certs","audience":"palisade","rolesClaim":"realm_access.roles","roleMap":{"shop-admin":"ADMIN"}}]`', { shown: 'unset' }),
  // Unset: one per core (as the CPU quota allows), or one without REDIS_URL; router/src/workers.ts decides.
  workers: optional('ROUTER_WORKERS', int(1, 256), 'router worker processes sharing its port (`1`: a single process); more than one needs `REDIS_URL`, as budgets and revocations must be shared', { shown: 'one per core' }),
  metricsPort: optional('METRICS_PORT', port(), "serve the router's `/metrics` on this port only"),
  slowOperationMs: setting('SLOW_OPERATION_MS', int(1, 3_600_000), 2_000, 'operations slower than this raise a LOW alert'),
  subgraphTimeoutMs: setting('SUBGRAPH_TIMEOUT_MS', int(1, 3_600_000), 10_000, 'deadline for one subgraph fetch'),
  breakerResetMs: setting('SUBGRAPH_BREAKER_RESET_MS', int(1, 3_600_000), 10_000, 'how long an opened circuit waits before trying a subgraph again'),
  publicCache: {
    maxAgeSeconds: setting('PUBLIC_CACHE_MAX_AGE_SECONDS', int(0, 3_600), 30, "how long the router keeps an anonymous visitor's all-public catalog answer (sent as `Cache-Control: public, max-age`); `0` turns the public cache off"),
    maxEntryBytes: setting('PUBLIC_CACHE_MAX_ENTRY_BYTES', int(1_024, 16_777_216), 262_144, 'larger answers are not cached'),
    memoryEntries: setting('PUBLIC_CACHE_MEMORY_ENTRIES', int(1, 1_000_000), 10_000, 'answers kept in the router process when there is no Redis (oldest stored first out)'),
    budgetLimit: setting('PUBLIC_CACHE_BUDGET_LIMIT', int(1, 100_000_000), 3_000, "points a cached answer spends of the visitor's product `Query` budget, as a miss would: the product SDL's `@rateLimit(limit)` on Query (`RATE_LIMITS` `Query` overrides, `RATE_LIMIT_SCALE` scales)"),
    budgetSeconds: setting('PUBLIC_CACHE_BUDGET_SECONDS', int(1, 86_400), 60, 'the window of that budget: the product SDL\'s `@rateLimit(duration)` on Query'),
  },
};
