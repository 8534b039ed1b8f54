import autocannon from 'autocannon';
import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { childEnvironment, SUBGRAPH_NAMES, type SubgraphName } from '@palisade/kit';
import { backing, bench } from './settings.ts';
import { freePort, startThrowawayPostgres, startThrowawayRedis, waitFor } from '@palisade/kit/testing/real-servers';
import { createTestDatabase, testRedisPrefix } from '@palisade/kit/testing/databases';

// `npm run bench`: the four subgraphs on real Postgres and Redis, each in a process of its own, and each
// gateway in a process of its own over them; the load generator is this process. Every cell checks every
// answer (a fast wrong answer is not a result) and reads what the gateway and the subgraphs spent in CPU.
const SECONDS = bench.seconds;
// Rounds go through every gateway in turn and each figure is the median of its rounds: this machine's own
// noise (±15% between identical runs) would otherwise decide rankings.
const ROUNDS = bench.rounds;
const CONNECTIONS = bench.connections;
const USERS = 100;
const root = fileURLToPath(new URL('../../', import.meta.url));
const log = (s: string) => process.stderr.write(`${s}\n`);

const ALL_GATEWAYS = [
  ['Palisade (security on)', 'palisade'],
  ['Palisade (security off)', 'palisade-no-defences'],
  ['Apollo Gateway (bare)', 'apollo'],
  ['Hive Gateway', 'hive'],
] as const;
type Target = (typeof ALL_GATEWAYS)[number][0];
// BENCH_GATEWAYS=palisade,apollo and BENCH_WORKLOADS=storefront narrow a run; BENCH_PROFILE=palisade (or a subgraph's
// name) writes a V8 CPU profile of that process to BENCH_PROFILE_DIR (default .data/profiles) when the run ends.
const gatewayFilter = bench.gateways && new Set(bench.gateways);
const workloadFilter = bench.workloads && new Set(bench.workloads);
const GATEWAYS = ALL_GATEWAYS.filter(([, kind]) => !gatewayFilter || gatewayFilter.has(kind));
const profileDir = bench.profileDir ?? join(root, '.data', 'profiles');
const profiled = new Set(bench.profile);

const pg = backing.database.url ? null : await startThrowawayPostgres();
const redis = backing.redis.url ? null : await startThrowawayRedis();
const serverUrl = backing.database.url ?? pg?.url;
const redisUrl = backing.redis.url ?? redis?.url;
if (!serverUrl || !redisUrl) throw new Error('the benchmark needs real Postgres and Redis (DATABASE_URL / REDIS_URL or local binaries)');
const database = await createTestDatabase(serverUrl);
const work = mkdtempSync(join(tmpdir(), 'palisade-bench-'));
const output = createWriteStream(join(work, 'services.log'));
output.setMaxListeners(64);

const ports = Object.fromEntries(await Promise.all(SUBGRAPH_NAMES.map(async (n) => [n, await freePort()] as const))) as Record<SubgraphName, number>;
const subgraphUrls = Object.fromEntries(SUBGRAPH_NAMES.map((n) => [`${n.toUpperCase()}_URL`, `http://127.0.0.1:${ports[n]}/graphql`]));
const admin = { email: 'bench-admin@palisade.test', password: `pw-${randomBytes(8).toString('hex')}` };
const env = childEnvironment({
  NODE_ENV: 'development', // subgraphs with development keys; the routers get production behaviour explicitly
  LOG_LEVEL: 'error',
  LOG_FORMAT: 'json',
  RATE_LIMIT_SCALE: String(bench.rateLimitScale),
  DATABASE_URL: database.url,
  REDIS_URL: redisUrl,
  REDIS_KEY_PREFIX: testRedisPrefix(),
  PALISADE_DATA_DIR: work,
  ADMIN_EMAIL: admin.email,
  ADMIN_PASSWORD: admin.password,
  SEED_DEMO_DATA: 'true',
  ...subgraphUrls,
  // BENCH_SUBGRAPH_DEFENCES=off: Palisade's rows become "subgraph defences off" (the switch production refuses).
  ...(bench.subgraphDefences === 'off' ? { SUBGRAPH_DEFENCES: 'off', PALISADE_BENCHMARK_ONLY_UNSAFE: 'true' } : {}),
});

const children: ChildProcess[] = [];
function spawnService(file: string, args: string[], extraEnv: Record<string, string>, profile = false): ChildProcess {
  const child = fork(join(root, file), args, { execArgv: ['--import', 'tsx', ...(profile ? ['--cpu-prof', '--cpu-prof-dir', profileDir] : [])], env: { ...env, ...extraEnv }, stdio: ['ignore', 'pipe', 'pipe', 'ipc'], cwd: root });
  child.stdout!.pipe(output, { end: false });
  child.stderr!.pipe(output, { end: false });
  children.push(child);
  return child;
}
async function stopAll() {
  await Promise.all(children.map((c) => new Promise<void>((r) => (c.exitCode !== null ? r() : (c.once('exit', () => r()), c.kill('SIGTERM'))))));
}
process.on('uncaughtException', async (err) => {
  log(`benchmark failed: ${err.stack}\nservice output: ${join(work, 'services.log')}`);
  await stopAll();
  process.exit(1);
});


/** CPU seconds a process has used (user + system), from /proc: what the work cost, not what the clock said. */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
}

log(`starting the subgraphs (a process each) on real Postgres and Redis …`);
// Security first: the others' audit relays and the product catalog seed reach it at start.
const subgraphs: Partial<Record<SubgraphName, ChildProcess>> = {};
for (const name of ['security', 'user', 'product', 'order'] as const) {
  subgraphs[name] = spawnService(`subgraphs/${name}/main.ts`, [], { PORT: String(ports[name]) }, profiled.has(name));
  await waitFor(async () => (await fetch(`http://127.0.0.1:${ports[name]}/health`)).ok, `${name} subgraph (see ${join(work, 'services.log')})`, 60_000);
}

log('starting the gateways (a process each) …');
async function startGateway(kind: string): Promise<{ url: string; child: ChildProcess }> {
  const child = spawnService('e2e/bench/gateway.ts', [kind], { PORT: '0', TRUST_PROXY_HOPS: '1' }, profiled.has(kind));
  const url = await new Promise<string>((resolve, reject) => {
    child.once('message', (m) => resolve((m as { url: string }).url));
    child.once('exit', (code) => reject(new Error(`${kind} exited with ${code}; see ${join(work, 'services.log')}`)));
  });
  return { url, child };
}
const gateways = new Map<Target, { url: string; child: ChildProcess }>();
await Promise.all(GATEWAYS.map(async ([target, kind]) => gateways.set(target, await startGateway(kind))));
// Seeding goes through Palisade's router even when it is not measured.
const palisade = (gateways.get('Palisade (security on)') ?? (await startGateway('palisade'))).url;

async function gql<T>(token: string | null, query: string, variables?: object): Promise<T> {
  const res = await fetch(palisade, { method: 'POST', headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) }, body: JSON.stringify({ query, variables }) });
  const body = (await res.json()) as { data: T; errors?: unknown[] };
  if (body.errors) throw new Error(JSON.stringify(body.errors));
  return body.data;
}

log(`seeding ${USERS} customers with orders …`);
const adminToken = (await gql<{ login: { accessToken: string } }>(null, 'mutation($i: LoginInput!) { login(input: $i) { accessToken } }', { i: admin })).login.accessToken;
const productId = (await gql<{ createProduct: { id: string } }>(adminToken, 'mutation($i: CreateProductInput!) { createProduct(input: $i) { id } }', { i: { sku: `BENCH-${randomBytes(3).toString('hex')}`, name: 'Benchmark widget', description: 'plenty', price: '1.00', currency: 'USD', initialStock: 1_000_000 } })).createProduct.id;
const address = { line1: '1 Bench St', city: 'Load', postalCode: '1', country: 'US' };
const users: { token: string; name: string }[] = [];
for (let i = 0; i < USERS; i += 10) {
  users.push(
    ...(await Promise.all(
      Array.from({ length: 10 }, async (_, k) => {
        const name = `Bench ${i + k}`;
        const email = `bench-${i + k}-${randomBytes(3).toString('hex')}@example.com`;
        const token = (await gql<{ register: { accessToken: string } }>(null, 'mutation($i: RegisterInput!) { register(input: $i) { accessToken } }', { i: { email, password: `pw-${randomBytes(8).toString('hex')}`, displayName: name } })).register.accessToken;
        for (let o = 0; o < 2; o++) await gql(token, 'mutation($i: PlaceOrderInput!) { placeOrder(input: $i) { id } }', { i: { items: [{ productId, quantity: 1 }], shippingAddress: address } });
        return { token, name };
      }),
    )),
  );
}

interface Workload {
  query: string;
  variables: object;
  /** The caller for the n-th request, and a string its answer must contain. */
  caller(n: number): { token: string | null; expect: string; from?: string };
}
const WORKLOADS: Record<string, Workload> = {
  catalog: {
    query: 'query Catalog { products(first: 20) { totalCount edges { node { id name price { amount currency } inStock category { name } } } } }',
    variables: {},
    caller: () => ({ token: null, expect: '"category":{"name":' }),
  },
  // The same page for 100 anonymous visitors at different addresses (through one trusted proxy): different
  // callers to Palisade, whose merging then has nothing to share; the peers see no difference.
  'catalog (100 visitors)': {
    query: 'query Catalog { products(first: 20) { totalCount edges { node { id name price { amount currency } inStock category { name } } } } }',
    variables: {},
    caller: (n) => ({ token: null, expect: '"category":{"name":', from: `10.0.0.${n % 100}` }),
  },
  storefront: {
    query: 'query MyAccount { me { displayName orders(first: 5) { edges { node { id status total { amount } items { quantity product { name price { amount } } } } } } } }',
    variables: {},
    // Each answer must be the asker's own account: a gateway that merged different callers' calls fails here.
    caller: (n) => {
      const u = users[n % users.length]!;
      return { token: u.token, expect: `"displayName":"${u.name}","orders":{"edges":[{"node":{"id":` };
    },
  },
  placeOrder: {
    query: 'mutation PlaceOrder($i: PlaceOrderInput!) { placeOrder(input: $i) { id total { amount } } }',
    variables: { i: { items: [{ productId, quantity: 1 }], shippingAddress: address } },
    caller: (n) => ({ token: users[n % users.length]!.token, expect: '"placeOrder":{"id":' }),
  },
};

async function subgraphOperations(): Promise<number> {
  let total = 0;
  for (const name of SUBGRAPH_NAMES) {
    const text = await (await fetch(`http://127.0.0.1:${ports[name]}/metrics`)).text();
    for (const m of text.matchAll(/^palisade_graphql_requests_total\{[^}]*\} (\d+)/gm)) total += Number(m[1]);
  }
  return total;
}

async function measure(target: Target, w: Workload, seconds: number) {
  const { url, child } = gateways.get(target)!;
  const probe = w.caller(0);
  const body = JSON.stringify({ query: w.query, variables: w.variables });
  const sample = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...(probe.token ? { authorization: `Bearer ${probe.token}` } : {}), ...(probe.from ? { 'x-forwarded-for': probe.from } : {}) }, body });
  const text = await sample.text();
  if (!sample.ok || !text.includes(probe.expect)) throw new Error(`${target} answers ${sample.status} ${text.slice(0, 500)}`);
  let n = 0;
  let wrong = 0;
  const cpu0 = { gateway: cpuSeconds(child.pid!), subgraphs: SUBGRAPH_NAMES.reduce((s, name) => s + cpuSeconds(subgraphs[name]!.pid!), 0) };
  const ops0 = await subgraphOperations();
  const result = await autocannon({
    url,
    method: 'POST',
    connections: CONNECTIONS,
    duration: seconds,
    headers: { 'content-type': 'application/json' },
    body,
    requests: [
      {
        setupRequest: (req: any, context: any) => {
          const c = w.caller(n++);
          context.expect = c.expect;
          return { ...req, headers: { ...req.headers, ...(c.token ? { authorization: `Bearer ${c.token}` } : {}), ...(c.from ? { 'x-forwarded-for': c.from } : {}) } };
        },
        onResponse: (status: number, answer: string, context: any) => {
          if (status === 200 && (!answer.includes(context.expect) || answer.includes('"errors"'))) wrong++;
        },
      },
    ],
  } as never);
  // Requests autocannon abandoned at the end are still running in the gateway: let them finish before reading.
  await new Promise((r) => setTimeout(r, 1_000));
  const done = result.requests.total || 1;
  const cpu = { gateway: cpuSeconds(child.pid!) - cpu0.gateway, subgraphs: SUBGRAPH_NAMES.reduce((s, name) => s + cpuSeconds(subgraphs[name]!.pid!), 0) - cpu0.subgraphs };
  return {
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.non2xx,
    wrong,
    gatewayCpuMs: (cpu.gateway * 1000) / done,
    subgraphCpuMs: (cpu.subgraphs * 1000) / done,
    subgraphCalls: ((await subgraphOperations()) - ops0) / done,
  };
}

type Measured = Awaited<ReturnType<typeof measure>>;
const rows: ({ target: Target; workload: string } & Measured)[] = [];
const workloads = Object.entries(WORKLOADS).filter(([name]) => !workloadFilter || workloadFilter.has(name));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
for (const [workload, w] of workloads) {
  const rounds = new Map<Target, Measured[]>(GATEWAYS.map(([t]) => [t, []]));
  for (const [target] of GATEWAYS) await measure(target, w, 2); // JIT, caches and connection pools warm for every target alike
  for (let round = 1; round <= ROUNDS; round++) {
    for (const [target] of GATEWAYS) {
      log(`measuring ${workload} on ${target}, round ${round} of ${ROUNDS} (${SECONDS}s at ${CONNECTIONS} connections) …`);
      rounds.get(target)!.push(await measure(target, w, SECONDS));
    }
  }
  for (const [target, ms] of rounds) {
    const med = (k: keyof Measured) => median(ms.map((m) => m[k]));
    const sum = (k: keyof Measured) => ms.reduce((a, m) => a + m[k], 0);
    rows.push({ target, workload, rps: med('rps'), p50: med('p50'), p99: med('p99'), errors: sum('errors'), wrong: sum('wrong'), gatewayCpuMs: med('gatewayCpuMs'), subgraphCpuMs: med('subgraphCpuMs'), subgraphCalls: med('subgraphCalls') });
  }
}

const row = (t: Target, w: string) => rows.find((r) => r.target === t && r.workload === w);
const ratio = (a: number | undefined, b: number | undefined) => (a && b ? `${(a / b).toFixed(2)}×` : '–');
const lines = [
  `Machine: ${cpus().length} × ${cpus()[0]?.model.trim() ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}; median of ${ROUNDS} rounds of ${SECONDS}s per cell, ${CONNECTIONS} connections; each gateway and subgraph a process of its own`,
  '',
  '| workload | gateway | req/s | p50 ms | p99 ms | errors | wrong answers | gateway CPU ms/req | subgraph CPU ms/req | subgraph calls/req |',
  '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|',
  ...rows.map((r) => `| ${r.workload} | ${bench.subgraphDefences === 'off' && r.target.startsWith('Palisade') ? r.target.replace(')', ', subgraph defences off)') : r.target} | ${r.rps.toFixed(0)} | ${r.p50} | ${r.p99} | ${r.errors} | ${r.wrong} | ${r.gatewayCpuMs.toFixed(2)} | ${r.subgraphCpuMs.toFixed(2)} | ${r.subgraphCalls.toFixed(2)} |`),
  '',
  'Throughput is of the whole system on this machine (gateway, subgraphs, Postgres, Redis and the load generator share it); "per gateway core" divides the gateways\' own CPU per request.',
  '',
  '| workload | security overhead | Palisade ÷ Apollo Gateway | Palisade ÷ Hive Gateway | per gateway core: ÷ Apollo | per gateway core: ÷ Hive |',
  '|---|---:|---:|---:|---:|---:|',
  ...workloads.map(([w]) => {
    const on = row('Palisade (security on)', w);
    const off = row('Palisade (security off)', w);
    const apollo = row('Apollo Gateway (bare)', w);
    const hive = row('Hive Gateway', w);
    const overhead = on && off ? `${(((off.rps - on.rps) / off.rps) * 100).toFixed(1)}%` : '–';
    return `| ${w} | ${overhead} | ${ratio(on?.rps, apollo?.rps)} | ${ratio(on?.rps, hive?.rps)} | ${ratio(apollo?.gatewayCpuMs, on?.gatewayCpuMs)} | ${ratio(hive?.gatewayCpuMs, on?.gatewayCpuMs)} |`;
  }),
];
console.log(lines.join('\n'));

await stopAll();
output.end();
await database.drop();
await pg?.stop();
await redis?.stop();
rmSync(work, { recursive: true, force: true });
process.exit(0);
