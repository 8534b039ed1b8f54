import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { request, type IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONTEXT_HEADER, operationHash, signContext } from '@palisade/auth';
import { childEnvironment, loadInternalKeys } from '@palisade/kit';
import { eventually, freePort, suiteDatabase, waitFor, testCaller, testConfig, testRedisPrefix, testServers } from '@palisade/kit/testing/index';

// A deploy sends SIGTERM: the service must stop taking connections, finish the requests it holds, close its
// database and Redis connections and exit 0 — each service as its own process, exactly as `npm run start:*`.
const root = fileURLToPath(new URL('../', import.meta.url));
let db: Awaited<ReturnType<typeof suiteDatabase>>;
let dataDir: string;
beforeAll(async () => {
  db = await suiteDatabase();
  dataDir = mkdtempSync(join(tmpdir(), 'palisade-shutdown-'));
});
afterAll(async () => {
  await db?.drop();
  rmSync(dataDir, { recursive: true, force: true });
});

async function startService(main: string, port: number): Promise<ChildProcess> {
  const { redisUrl } = testServers();
  const env = childEnvironment({
    // As `npm start` runs them: libraries that watch signals only outside tests must be in play here too.
    NODE_ENV: 'development',
    PORT: String(port),
    PALISADE_DATA_DIR: dataDir,
    // The service keys this test signs with (development keys are shared through this directory).
    PALISADE_KEYS_DIR: resolve(testConfig().keys.dir),
    DATABASE_URL: db.url ?? undefined,
    REDIS_URL: redisUrl ?? undefined,
    REDIS_KEY_PREFIX: testRedisPrefix(),
    SEED_DEMO_DATA: 'true',
    // Peers that are not there: this test is about one process.
    USER_URL: 'http://127.0.0.1:9/graphql',
    SECURITY_URL: 'http://127.0.0.1:9/graphql',
    ORDER_URL: 'http://127.0.0.1:9/graphql',
    PRODUCT_URL: 'http://127.0.0.1:9/graphql',
  });
  const child = fork(join(root, main), [], { execArgv: ['--import', 'tsx'], env, stdio: 'ignore' });
  try {
    await waitFor(async () => child.exitCode === null && (await fetch(`http://127.0.0.1:${port}/health`)).ok, main, 60_000);
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
  return child;
}

/**
 * Sends the headers and the first bytes of a body, and the rest only when told: a request held in flight.
 * `Expect: 100-continue` makes the server say when it has the request (Node answers 100 Continue as it
 * hands the request to the handler): `received` resolves then.
 */
function heldRequest(port: number, body: string, headers: Record<string, string>) {
  let answered!: (r: { status: number; body: string; connection?: string }) => void;
  const answer = new Promise<{ status: number; body: string; connection?: string }>((resolve) => (answered = resolve));
  const req = request(
    { host: '127.0.0.1', port, method: 'POST', path: '/graphql', headers: { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)), expect: '100-continue', ...headers } },
    (res: IncomingMessage) => {
      let text = '';
      res.on('data', (c) => (text += c));
      res.on('end', () => answered({ status: res.statusCode ?? 0, body: text, connection: res.headers.connection }));
    },
  );
  req.on('error', (err) => answered({ status: -1, body: err.message }));
  const received = new Promise<void>((resolve, reject) => {
    req.once('continue', () => resolve());
    void answer.then((a) => reject(new Error(`answered before the body was sent: ${a.status} ${a.body}`)));
  });
  req.write(body.slice(0, 5));
  return { finish: () => req.end(body.slice(5)), answer, received };
}

async function drains(main: string, body: string, headers: (port: number) => Promise<Record<string, string>>) {
  const port = await freePort();
  const child = await startService(main, port);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const held = heldRequest(port, body, await headers(port));
  await held.received; // the service has the request
  const stoppedAt = Date.now();
  child.kill('SIGTERM');
  // No new connections once stopping (while it still holds the request)…
  await eventually(() => expect(fetch(`http://127.0.0.1:${port}/health`)).rejects.toThrow(), 'the service to stop listening', 10_000);
  // …but the request it held is answered in full.
  held.finish();
  const answer = await held.answer;
  const code = await exited;
  return { answer, code, stopSeconds: (Date.now() - stoppedAt) / 1000 };
}

describe('SIGTERM', () => {
  it('lets a subgraph finish the request it holds, then close its database and Redis and exit 0', async () => {
    const query = '{ products(first: 2) { totalCount } }';
    const body = JSON.stringify({ query, variables: {} });
    const { answer, code, stopSeconds } = await drains('subgraphs/product/main.ts', body, async () => {
      const { signer } = await loadInternalKeys('router', []);
      return { [CONTEXT_HEADER]: await signContext(signer, 'product', operationHash({ query, variables: {} }), testCaller()) };
    });
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body).data.products.totalCount).toBeGreaterThan(0);
    // The client is told not to reuse a connection that is about to close.
    expect(answer.connection).toBe('close');
    // 0 only when stop() completed: a hung pool or Redis connection ends in the 15 s watchdog's exit 1.
    expect(code).toBe(0);
    expect(stopSeconds).toBeLessThan(15);
  });

  it('lets the router finish the request it holds, then exit 0', async () => {
    const { answer, code } = await drains('router/src/main.ts', JSON.stringify({ query: '{ __typename }' }), async () => ({}));
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body)).toEqual({ data: { __typename: 'Query' } });
    expect(answer.connection).toBe('close');
    expect(code).toBe(0);
  });
});
