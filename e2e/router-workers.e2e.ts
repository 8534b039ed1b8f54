import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { childEnvironment, SUBGRAPH_NAMES, type RedisStore } from '@palisade/kit';
import { eventually, freePort, testConfig, testServers, testSettings, waitFor } from '@palisade/kit/testing/index';
import { createTestEnvironment, type TestEnvironment } from './harness/supergraph.ts';

// The router entry with ROUTER_WORKERS=2, as its own process over subgraphs on real Postgres and Redis: two
// workers share the port, their budgets and revocations (through Redis) and one /metrics; SIGTERM drains both.
const root = fileURLToPath(new URL('../', import.meta.url));
let env: TestEnvironment | null = null;
let router: ChildProcess | null = null;
let port = 0;
let dataDir = '';

beforeAll(async () => {
  // Real budgets, one tight one to spend.
  env = await createTestEnvironment({ config: { rateLimits: { scale: 1, overrides: { 'Query.categories': { limit: 6, duration: 60 } } } } });
  if (!env.backing.redis) return;
  port = await freePort();
  dataDir = mkdtempSync(join(tmpdir(), 'palisade-workers-'));
  const urls = Object.fromEntries(SUBGRAPH_NAMES.map((n) => [`${n.toUpperCase()}_URL`, env!.supergraph.subgraphs[n].url]));
  router = fork(join(root, 'router/src/main.ts'), [], {
    execArgv: ['--import', 'tsx'],
    stdio: 'ignore',
    env: childEnvironment({
      NODE_ENV: 'development',
      PORT: String(port),
      ROUTER_WORKERS: '2',
      REDIS_URL: testServers().redisUrl ?? undefined,
      REDIS_KEY_PREFIX: (env.supergraph.store as Partial<RedisStore>).prefix,
      PALISADE_DATA_DIR: dataDir,
      PALISADE_KEYS_DIR: resolve(testConfig().keys.dir),
      ...urls,
    }),
  });
  await waitFor(async () => router!.exitCode === null && (await fetch(`http://127.0.0.1:${port}/health`)).ok, 'the router workers', 60_000);
}, 120_000);
afterAll(async () => {
  if (router && router.exitCode === null) await new Promise((exited) => (router!.once('exit', exited), router!.kill('SIGKILL')));
  await env?.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

/** A request on a connection of its own: the primary hands each new connection to the next worker. */
function post(path: string, body: object | null, headers: Record<string, string> = {}): Promise<{ status: number; text: string }> {
  const payload = body ? JSON.stringify(body) : '';
  return new Promise((done, fail) => {
    const req = request({ host: '127.0.0.1', port, path, method: body ? 'POST' : 'GET', agent: false, headers: { ...(body ? { 'content-type': 'application/json' } : {}), ...headers } }, (res) => {
      let text = '';
      res.on('data', (c) => (text += c));
      res.on('end', () => done({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', fail);
    req.end(payload);
  });
}
const gql = async (query: string, token?: string) => JSON.parse((await post('/graphql', { query }, token ? { authorization: `Bearer ${token}` } : {})).text) as { data?: any; errors?: { extensions?: { code?: string } }[] };
const codes = (r: { errors?: { extensions?: { code?: string } }[] }) => (r.errors ?? []).map((e) => e.extensions?.code);
const metric = (text: string, name: string) => [...text.matchAll(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'gm'))].reduce((s, m) => s + Number(m[1]), 0);

/** The primary's children, from /proc: the workers. */
function workerPids(primary: number): number[] {
  return readFileSync(`/proc/${primary}/task/${primary}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
}

describe('ROUTER_WORKERS=2', () => {
  const ready = (ctx: { skip(note?: string): void }) => {
    if (!router && !testSettings().requireRealServers) ctx.skip('NOT RUN: needs Redis');
    expect(router, 'the workers test needs real Redis').toBeTruthy();
  };

  it('runs two workers on one port and serves their sum at /metrics, whichever worker is scraped', async (ctx) => {
    ready(ctx);
    expect(workerPids(router!.pid!)).toHaveLength(2);
    const before = metric((await post('/metrics', null)).text, 'palisade_graphql_requests_total');
    for (let i = 0; i < 6; i++) expect((await gql('{ __typename }')).data).toEqual({ __typename: 'Query' });
    // Scrapes on fresh connections reach one worker, then the other: each shows both workers and every request.
    for (let i = 0; i < 2; i++) {
      const text = (await post('/metrics', null)).text;
      expect(metric(text, 'palisade_router_workers')).toBe(2);
      expect(metric(text, 'palisade_graphql_requests_total') - before).toBe(6);
    }
  });

  it('spends one budget and honours one logout across the workers', async (ctx) => {
    ready(ctx);
    const customer = await env!.asCustomer('Spread');
    const token = customer.token!;
    const outcomes: (string | undefined)[][] = [];
    for (let i = 0; i < 8; i++) outcomes.push(codes(await gql('{ categories { id } }', token)));
    expect(outcomes).toEqual([...Array(6).fill([]), ['RATE_LIMITED'], ['RATE_LIMITED']]);
    expect((await gql('mutation { logout }', token)).data).toEqual({ logout: true });
    for (let i = 0; i < 4; i++) expect(codes(await gql('{ me { id } }', token))).toEqual(['UNAUTHENTICATED']);
  });

  it('stops both workers on SIGTERM and exits 0', async (ctx) => {
    ready(ctx);
    const workers = workerPids(router!.pid!);
    const exited = new Promise<number | null>((r) => router!.once('exit', (code) => r(code)));
    router!.kill('SIGTERM');
    expect(await exited).toBe(0);
    await eventually(() => expect(workers.filter((pid) => { try { return process.kill(pid, 0); } catch { return false; } })).toEqual([]), 'the workers to exit', 5_000);
  });
});
