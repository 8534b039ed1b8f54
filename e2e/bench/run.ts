import autocannon from 'autocannon';
import { randomBytes } from 'node:crypto';
import { cpus, totalmem } from 'node:os';
import { loadInternalKeys, openStore, type SubgraphName } from '@palisade/kit';
import { startThrowawayPostgres, startThrowawayRedis } from '@palisade/kit/testing/real-servers';
import { createTestDatabase, testRedisPrefix } from '@palisade/kit/testing/databases';
import { startSupergraph } from '@palisade/ops/supergraph';
import { startRouter } from '@palisade/router';
import { startBareApolloGateway, startHiveGateway } from './peers.ts';

// `npm run bench`: Palisade (security on and off), a bare Apollo Gateway and Hive Gateway over the same
// subgraphs on real Postgres and Redis; three workloads at 50 connections; prints a table with ratios.
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const USERS = 100;
process.env.RATE_LIMIT_SCALE ??= '100000'; // one load generator must not be throttled as an attacker would be
process.env.LOG_LEVEL ??= 'error';
process.env.NODE_ENV ??= 'production';
process.env.ADMIN_EMAIL ??= 'bench-admin@palisade.test';
process.env.ADMIN_PASSWORD ??= 'bench-admin-password-1';

const log = (s: string) => process.stderr.write(`${s}\n`);
const pg = process.env.DATABASE_URL ? null : await startThrowawayPostgres();
const redis = process.env.REDIS_URL ? null : await startThrowawayRedis();
const serverUrl = process.env.DATABASE_URL ?? pg?.url;
const redisUrl = process.env.REDIS_URL ?? redis?.url;
if (!serverUrl || !redisUrl) throw new Error('the benchmark needs real Postgres and Redis (DATABASE_URL / REDIS_URL or local binaries)');
const database = await createTestDatabase(serverUrl);
const prefix = testRedisPrefix();

log('starting Palisade on real Postgres and Redis …');
// Production mode would demand real secrets; the routers below get production behaviour explicitly instead.
process.env.NODE_ENV = 'development';
const sg = await startSupergraph({ ports: { router: 0, user: 0, product: 0, order: 0, security: 0 }, databaseUrl: database.url, redisUrl, redisPrefix: prefix, dataDir: null, router: { production: true } });
const urls = Object.fromEntries(Object.entries(sg.subgraphs).map(([n, s]) => [n, s.url])) as Record<SubgraphName, string>;
const store = openStore(redisUrl, prefix);
const securityOff = await startRouter({ host: '127.0.0.1', port: 0, subgraphs: urls, store, production: true, security: false });
const { signer } = await loadInternalKeys('router', []);
const bare = await startBareApolloGateway(signer, urls);
const hive = await startHiveGateway(signer, urls);

async function gql<T>(token: string | null, query: string, variables?: object): Promise<T> {
  const res = await fetch(sg.url, { method: 'POST', headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) }, body: JSON.stringify({ query, variables }) });
  const body = (await res.json()) as { data: T; errors?: unknown[] };
  if (body.errors) throw new Error(JSON.stringify(body.errors));
  return body.data;
}

log(`seeding ${USERS} customers with orders …`);
const adminToken = (await gql<{ login: { accessToken: string } }>(null, 'mutation($i: LoginInput!) { login(input: $i) { accessToken } }', { i: { email: process.env.ADMIN_EMAIL, password: process.env.ADMIN_PASSWORD } })).login.accessToken;
const productId = (await gql<{ createProduct: { id: string } }>(adminToken, 'mutation($i: CreateProductInput!) { createProduct(input: $i) { id } }', { i: { sku: `BENCH-${randomBytes(3).toString('hex')}`, name: 'Benchmark widget', description: 'plenty', price: '1.00', currency: 'USD', initialStock: 1_000_000 } })).createProduct.id;
const tokens: string[] = [];
for (let i = 0; i < USERS; i++) {
  const email = `bench-${i}-${randomBytes(3).toString('hex')}@example.com`;
  const t = (await gql<{ register: { accessToken: string } }>(null, 'mutation($i: RegisterInput!) { register(input: $i) { accessToken } }', { i: { email, password: `pw-${randomBytes(8).toString('hex')}`, displayName: `Bench ${i}` } })).register.accessToken;
  tokens.push(t);
  for (let k = 0; k < 2; k++) await gql(t, 'mutation($i: PlaceOrderInput!) { placeOrder(input: $i) { id } }', { i: { items: [{ productId, quantity: 1 }], shippingAddress: { line1: '1 Bench St', city: 'Load', postalCode: '1', country: 'US' } } });
}

const WORKLOADS = {
  catalog: { auth: false, query: 'query Catalog { products(first: 20) { totalCount edges { node { id name price { amount currency } inStock category { name } } } } }', variables: {} },
  storefront: { auth: true, query: 'query MyAccount { me { displayName orders(first: 5) { edges { node { id status total { amount } items { quantity product { name price { amount } } } } } } } }', variables: {} },
  placeOrder: { auth: true, query: 'mutation PlaceOrder($i: PlaceOrderInput!) { placeOrder(input: $i) { id total { amount } } }', variables: { i: { items: [{ productId, quantity: 1 }], shippingAddress: { line1: '1 Bench St', city: 'Load', postalCode: '1', country: 'US' } } } },
} as const;

async function measure(url: string, w: (typeof WORKLOADS)[keyof typeof WORKLOADS], seconds = SECONDS) {
  const body = JSON.stringify({ query: w.query, variables: w.variables });
  // A sample first: numbers for a gateway that answers errors would be meaningless.
  const probe = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...(w.auth ? { authorization: `Bearer ${tokens[0]}` } : {}) }, body });
  const sample = (await probe.json()) as { errors?: unknown };
  if (!probe.ok || sample.errors) throw new Error(`${url} answers errors: ${JSON.stringify(sample.errors ?? probe.status)}`);
  let n = 0;
  const result = await autocannon({
    url,
    method: 'POST',
    connections: CONNECTIONS,
    duration: seconds,
    headers: { 'content-type': 'application/json' },
    body,
    requests: [{ setupRequest: (req: any) => (w.auth ? { ...req, headers: { ...req.headers, authorization: `Bearer ${tokens[n++ % tokens.length]}` } } : req) }],
  } as never);
  return { rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99, errors: result.errors + result.non2xx };
}

const targets = [
  ['Palisade (security on)', sg.url],
  ['Palisade (security off)', securityOff.url],
  ['Apollo Gateway (bare)', bare.url],
  ['Hive Gateway', hive.url],
] as const;
const rows: { target: string; workload: string; rps: number; p50: number; p99: number; errors: number }[] = [];
for (const [workload, w] of Object.entries(WORKLOADS)) {
  for (const [target, url] of targets) {
    log(`measuring ${workload} on ${target} (${SECONDS}s at ${CONNECTIONS} connections, after a 2 s warm-up) …`);
    await measure(url, w, 2); // JIT, caches and connection pools warm for every target alike
    rows.push({ target, workload, ...(await measure(url, w)) });
  }
}

const rps = (t: string, w: string) => rows.find((r) => r.target === t && r.workload === w)!.rps;
const lines = [
  `Machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}; ${SECONDS}s per cell, ${CONNECTIONS} connections`,
  '',
  '| workload | gateway | req/s | p50 ms | p99 ms | errors |',
  '|---|---|---:|---:|---:|---:|',
  ...rows.map((r) => `| ${r.workload} | ${r.target} | ${r.rps.toFixed(0)} | ${r.p50} | ${r.p99} | ${r.errors} |`),
  '',
  '| workload | security overhead | Palisade ÷ Apollo Gateway | Palisade ÷ Hive Gateway |',
  '|---|---:|---:|---:|',
  ...Object.keys(WORKLOADS).map((w) => {
    const on = rps('Palisade (security on)', w);
    return `| ${w} | ${(((rps('Palisade (security off)', w) - on) / rps('Palisade (security off)', w)) * 100).toFixed(1)}% | ${(on / rps('Apollo Gateway (bare)', w)).toFixed(2)}× | ${(on / rps('Hive Gateway', w)).toFixed(2)}× |`;
  }),
];
console.log(lines.join('\n'));

await new Promise((r) => setTimeout(r, 1_500)); // requests still in flight when autocannon stopped
await hive.stop();
await bare.stop();
await securityOff.stop();
await store.close();
await sg.stop();
await database.drop();
await pg?.stop();
await redis?.stop();
process.exit(0);
