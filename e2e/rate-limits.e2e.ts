import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { childEnvironment } from '@palisade/kit';
import { freePort, signedSubgraphRequest, testCaller, testServers, testSettings, testRedisPrefix, waitFor } from '@palisade/kit/testing/index';
import { createTestEnvironment, login, type TestEnvironment } from './harness/supergraph.ts';
import { codesOf } from './harness/client.ts';

// Real budgets (not the test-wide scale), and a small shared query budget to show cost at work.
let env: TestEnvironment;
beforeAll(async () => {
  env = await createTestEnvironment({ config: { rateLimits: { scale: 1, overrides: { Query: { limit: 250, duration: 60 } } } } });
});
afterAll(async () => env?.stop());

/** Waits (a little) for `atLeast` records to arrive through the outbox relay, then answers the count as it is. */
async function auditTotal(action: string, atLeast = 1) {
  const admin = await env.asAdmin();
  const count = async () => (await admin.ok<{ auditEvents: { totalCount: number } }>('query($a: String) { auditEvents(filter: { action: $a }) { totalCount } }', { a: action })).auditEvents.totalCount;
  await waitFor(async () => (await count()) >= atLeast, `${atLeast} ${action} audit record(s)`, 4_000).catch(() => {});
  return count();
}

describe('cost-based rate limits', () => {
  it('charges a list its page size against the caller’s budget', async () => {
    const c = await env.asCustomer('Spender');
    const page = '{ products(first: 100) { edges { node { id } } } }';
    expect(codesOf(await c.request(page))).toEqual([]);
    expect(codesOf(await c.request(page))).toEqual([]);
    const third = await c.request(page); // 300 > 250
    expect(codesOf(third)).toEqual(['RATE_LIMITED']);
    expect(third.errors?.[0]?.extensions?.retryAfterSeconds).toBeGreaterThan(0);
    // someone else's budget is untouched
    const other = await env.asCustomer('Saver');
    expect(codesOf(await other.request(page))).toEqual([]);
    expect(await auditTotal('rate_limit.exceeded')).toBeGreaterThanOrEqual(1);
  });

  it('limits sign-in per address and email tightly', async () => {
    const c = await env.asCustomer('Hammer');
    for (let i = 0; i < 10; i++) await login(env.asAnonymous(), c.email, c.password);
    const r = await env.asAnonymous().request('mutation($i: LoginInput!) { login(input: $i) { accessToken } }', { i: { email: c.email, password: c.password } });
    expect(codesOf(r)).toEqual(['RATE_LIMITED']);
  });

  it('limits placing orders per user', async () => {
    const c = await env.asCustomer('Shopaholic');
    const [p] = (await c.ok<{ products: { edges: { node: { id: string } }[] } }>('{ products(first: 1) { edges { node { id } } } }')).products.edges;
    const place = () =>
      c.request('mutation($i: PlaceOrderInput!) { placeOrder(input: $i) { id } }', {
        i: { items: [{ productId: p!.node.id, quantity: 1 }], shippingAddress: { line1: '1 Loop', city: 'Limit', postalCode: '1', country: 'US' } },
      });
    for (let i = 0; i < 10; i++) expect(codesOf(await place())).toEqual([]);
    expect(codesOf(await place())).toEqual(['RATE_LIMITED']);
  });

  it('limits the data export (costly: it gathers from every subgraph) to a few an hour per user', async () => {
    const [c, other] = [await env.asCustomer('Exporter'), await env.asCustomer('Bystander')];
    for (let i = 0; i < 3; i++) expect(codesOf(await c.request('{ exportMyData }'))).toEqual([]);
    const r = await c.request('{ exportMyData }');
    expect(codesOf(r)).toEqual(['RATE_LIMITED']);
    expect(r.errors?.[0]?.extensions?.retryAfterSeconds).toBeGreaterThan(60);
    expect(codesOf(await other.request('{ exportMyData }'))).toEqual([]); // one user's budget, not everyone's
  });

  it('audits denials', async () => {
    const c = await env.asCustomer('Prober');
    expect(codesOf(await c.request('{ users { totalCount } }'))).toEqual(['FORBIDDEN']);
    expect(await auditTotal('access.denied')).toBeGreaterThanOrEqual(1);
  });
});

describe('limits shared across replicas', () => {
  const children: ChildProcess[] = [];
  const dirs: string[] = [];
  afterAll(async () => {
    await Promise.all(children.map((c) => (c.exitCode !== null ? null : new Promise((exited) => (c.once('exit', exited), c.kill('SIGTERM'))))));
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('two processes of the product subgraph on one Redis spend one budget', async (ctx) => {
    const { redisUrl } = testServers();
    // Without Redis this cannot run: a failure under CI (below), a visible skip elsewhere — never a pass.
    if (!redisUrl && !testSettings().requireRealServers) return ctx.skip('NOT RUN: needs Redis');
    expect(redisUrl).toBeTruthy();
    const root = fileURLToPath(new URL('..', import.meta.url));
    const ports = [await freePort(), await freePort()];
    const prefix = testRedisPrefix();
    for (const port of ports) {
      dirs.push(`/tmp/palisade-replica-${port}`);
      const child = spawn(process.execPath, ['--import', 'tsx', 'subgraphs/product/main.ts'], {
        cwd: root,
        env: childEnvironment({
          PORT: String(port),
          RATE_LIMIT_SCALE: '1',
          REDIS_URL: redisUrl!,
          REDIS_KEY_PREFIX: prefix,
          DATABASE_URL: '',
          PALISADE_DATA_DIR: `/tmp/palisade-replica-${port}`,
          PALISADE_KEYS_DIR: `${root}.data/keys`, // the development keys this test signs with
          SECURITY_URL: 'http://127.0.0.1:9/graphql',
          RATE_LIMITS: JSON.stringify({ 'Query.categories': { limit: 6, duration: 60 } }),
          LOG_LEVEL: 'error',
        }),
        stdio: 'ignore',
      });
      children.push(child);
    }
    const urls = ports.map((p) => `http://127.0.0.1:${p}`);
    for (const u of urls) await waitFor(async () => (await fetch(`${u}/health/ready`)).ok, `product replica at ${u}`, 30_000);
    const caller = testCaller({ userId: randomUUID() });
    const outcomes: string[] = [];
    for (let i = 0; i < 10; i++) {
      const r = await signedSubgraphRequest(`${urls[i % 2]}/graphql`, 'product', caller, '{ categories { id } }');
      outcomes.push(String(r.body.errors?.[0]?.extensions?.code ?? 'OK'));
    }
    expect(outcomes).toEqual(['OK', 'OK', 'OK', 'OK', 'OK', 'OK', 'RATE_LIMITED', 'RATE_LIMITED', 'RATE_LIMITED', 'RATE_LIMITED']);
  }, 90_000);
});
