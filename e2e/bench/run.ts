import autocannon from 'autocannon';
import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { childEnvironment, SUBGRAPH_NAMES, type SubgraphName } from '@palisade/kit';
import { backing, bench } from './settings.ts';
import { cpuSeconds, processTree } from './processes.ts';
import { soak } from './soak.ts';
import { benchWorkloads, type Workload } from './workloads.ts';
import { report, type Row } from './report.ts';
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

// BENCH_ROUTER_WORKERS=2 adds Palisade as the router entry runs it with ROUTER_WORKERS=2 (selected with palisade).
const WORKERS = bench.routerWorkers;
const WORKERS_TARGET = `Palisade (${WORKERS} workers)`;
const ALL_GATEWAYS: [string, string][] = [
  ['Palisade (security on)', 'palisade'],
  ...(WORKERS > 1 ? [[WORKERS_TARGET, 'palisade-workers'] as [string, string]] : []),
  ['Palisade (security off)', 'palisade-no-defences'],
  ['Apollo Gateway (bare)', 'apollo'],
  ['Hive Gateway', 'hive'],
];
type Target = string;
// BENCH_GATEWAYS=palisade,apollo and BENCH_WORKLOADS=storefront narrow a run; BENCH_PROFILE=palisade (or a subgraph's
// name) writes a V8 CPU profile of that process to BENCH_PROFILE_DIR (default .data/profiles) when the run ends.
const gatewayFilter = bench.gateways && new Set(bench.gateways);
const workloadFilter = bench.workloads && new Set(bench.workloads);
const GATEWAYS = bench.soak.seconds ? [] : ALL_GATEWAYS.filter(([, kind]) => !gatewayFilter || gatewayFilter.has(kind) || (kind === 'palisade-workers' && gatewayFilter.has('palisade')));
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

log(`starting the subgraphs (a process each) on real Postgres and Redis …`);
// Security first: the others' audit relays and the product catalog seed reach it at start.
const subgraphs: Partial<Record<SubgraphName, ChildProcess>> = {};
for (const name of ['security', 'user', 'product', 'order'] as const) {
  subgraphs[name] = spawnService(`subgraphs/${name}/main.ts`, [], { PORT: String(ports[name]) }, profiled.has(name));
  await waitFor(async () => (await fetch(`http://127.0.0.1:${ports[name]}/health`)).ok, `${name} subgraph (see ${join(work, 'services.log')})`, 60_000);
}

log('starting the gateways (a process each) …');
async function startGateway(kind: string): Promise<{ url: string; child: ChildProcess }> {
  const child = spawnService('e2e/bench/gateway.ts', [kind], { PORT: '0', TRUST_PROXY_HOPS: '1', ROUTER_WORKERS: String(WORKERS) }, profiled.has(kind));
  const url = await new Promise<string>((resolve, reject) => {
    child.once('message', (m) => resolve((m as { url: string }).url));
    child.once('exit', (code) => reject(new Error(`${kind} exited with ${code}; see ${join(work, 'services.log')}`)));
  });
  return { url, child };
}
const gateways = new Map<Target, { url: string; child: ChildProcess }>();
await Promise.all(GATEWAYS.map(async ([target, kind]) => gateways.set(target, await startGateway(kind))));
// Seeding goes through Palisade's router even when it is not measured.
const seeder = gateways.get('Palisade (security on)') ?? (await startGateway('palisade'));
const palisade = seeder.url;

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

const WORKLOADS = benchWorkloads(users, productId, address);

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
  // A gateway's CPU is its whole process tree's: the workers' and their primary's.
  const subgraphPids = SUBGRAPH_NAMES.map((name) => subgraphs[name]!.pid!);
  const cpu0 = { gateway: cpuSeconds(processTree(child.pid!)), subgraphs: cpuSeconds(subgraphPids) };
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
  const cpu = { gateway: cpuSeconds(processTree(child.pid!)) - cpu0.gateway, subgraphs: cpuSeconds(subgraphPids) - cpu0.subgraphs };
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

const machine = `Machine: ${cpus().length} × ${cpus()[0]?.model.trim() ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
async function finish(): Promise<never> {
  await stopAll();
  output.end();
  await database.drop();
  await pg?.stop();
  await redis?.stop();
  rmSync(work, { recursive: true, force: true });
  process.exit(0);
}

// BENCH_SOAK_SECONDS: no cells; the selected workloads in turn on Palisade (BENCH_ROUTER_WORKERS of it) for that long.
if (bench.soak.seconds) {
  const router = WORKERS > 1 ? await startGateway('palisade-workers') : seeder;
  // A worker's /metrics is one worker's here (the benchmark's gateway does not add them up): no heap figure then.
  const processes = {
    [WORKERS > 1 ? WORKERS_TARGET : 'Palisade router']: { pids: () => processTree(router.child.pid!), metrics: WORKERS > 1 ? undefined : router.url.replace(/graphql$/, 'metrics') },
    ...Object.fromEntries(SUBGRAPH_NAMES.map((n) => [`${n} subgraph`, { pids: () => [subgraphs[n]!.pid!], metrics: `http://127.0.0.1:${ports[n]}/metrics` }])),
  };
  const mixed = Object.entries(WORKLOADS).filter(([name]) => !workloadFilter || workloadFilter.has(name)).map(([, w]) => w);
  log(`soaking Palisade for ${bench.soak.seconds}s …`);
  const lines = await soak({ url: router.url, workloads: mixed, seconds: bench.soak.seconds, warmupSeconds: bench.soak.warmupSeconds, sampleSeconds: bench.soak.sampleSeconds, connections: CONNECTIONS, processes });
  console.log([machine, '', ...lines].join('\n'));
  await finish();
}

type Measured = Awaited<ReturnType<typeof measure>>;
const rows: Row[] = [];
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

const peaks: [string, number[]][] = [...[...gateways].map(([target, g]) => [target, processTree(g.child.pid!)] as [string, number[]]), ...SUBGRAPH_NAMES.map((n) => [`${n} subgraph`, [subgraphs[n]!.pid!]] as [string, number[]])];
console.log(report({ machine, rounds: ROUNDS, seconds: SECONDS, connections: CONNECTIONS, rows, workloads: workloads.map(([w]) => w), subgraphDefencesOff: bench.subgraphDefences === 'off', workers: WORKERS, workersTarget: WORKERS_TARGET, peaks }).join('\n'));
await finish();
