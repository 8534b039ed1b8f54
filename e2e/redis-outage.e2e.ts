import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startThrowawayRedis, testSettings, waitFor, type PausableServer } from '@palisade/kit/testing/index';
import { createTestEnvironment, login, type TestEnvironment } from './harness/supergraph.ts';
import { codesOf, type GraphQLClient } from './harness/client.ts';

// The supergraph on a Redis of its own, which this test kills mid-traffic and brings back.
let redis: PausableServer | null = null;
let env: TestEnvironment | undefined;
const required = testSettings().requireRealServers;
beforeAll(async () => {
  redis = await startThrowawayRedis({ persistent: true });
  if (!redis) {
    if (required) throw new Error('no redis-server binary: the Redis outage test cannot run');
    console.warn('[palisade] NOT RUN: Redis outage test needs a local redis-server');
    return;
  }
  env = await createTestEnvironment({ redisUrl: redis.url });
});
afterAll(async () => {
  await env?.stop();
  await redis?.stop();
});

const STOREFRONT = '{ me { id } products(first: 1) { totalCount } }';
const LEAKS = /redis|ECONNREFUSED|MaxRetries|Connection is closed|\n\s+at |\.ts:\d+/i;

/** Sends a request and returns its HTTP status, codes and raw text. */
async function send(client: GraphQLClient, query: string, variables?: Record<string, unknown>) {
  const res = await fetch(client.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(client.token ? { authorization: `Bearer ${client.token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  const text = await res.text();
  const body = JSON.parse(text) as { data?: Record<string, unknown> | null; errors?: { extensions?: { code?: string } }[] };
  return { status: res.status, text, body, codes: codesOf(body as never) };
}

describe('Redis goes away mid-traffic', () => {
  it('fails closed with SERVICE_UNAVAILABLE (503), never crashes or leaks, and is whole again once Redis returns', async (ctx) => {
    // Without redis-server this cannot run: under CI beforeAll has already failed; elsewhere it shows as skipped.
    if (!env || !redis) return ctx.skip('NOT RUN: needs a local redis-server');
    const customer = await env.asCustomer('Outage');
    const revoked = await env.asCustomer('Revoked');
    await revoked.ok('mutation { logout }');
    expect(codesOf(await revoked.request('{ me { id } }'))).toEqual(['UNAUTHENTICATED']);
    expect((await send(customer, STOREFRONT)).status).toBe(200);

    await redis.pause();
    // Traffic of every kind while the store is down: signed-in reads, a revoked token, anonymous browsing,
    // sign-in (its lockout counters live in the store) and a mutation.
    const during = await Promise.all([
      ...Array.from({ length: 10 }, () => send(customer, STOREFRONT)),
      send(revoked, '{ me { id } }'),
      send(env.asAnonymous(), '{ products(first: 2) { totalCount } }'),
      send(env.asAnonymous(), 'mutation($i: LoginInput!) { login(input: $i) { accessToken } }', { i: { email: customer.email, password: customer.password } }),
      send(customer, 'mutation { updateProfile(input: { displayName: "Still here" }) { id } }'),
    ]);
    for (const r of during) {
      expect(r.text).not.toMatch(LEAKS);
      expect(r.codes).not.toContain('INTERNAL_SERVER_ERROR');
      expect(r.status).not.toBe(500);
      // Every decision here needs the store (revocation, replay guard, lockout), so none may be granted.
      expect(r.codes).toContain('SERVICE_UNAVAILABLE');
    }
    // A token that can't be checked against revocation is refused outright with 503.
    const signedIn = during[0]!;
    expect(signedIn.status).toBe(503);
    expect(signedIn.body.data ?? null).toBeNull();
    expect(during[11]!.status).toBe(503); // anonymous browsing: the subgraph's replay guard could not run
    // The revoked token is not honoured in the outage either.
    expect(during[10]!.body.data?.me ?? null).toBeNull();
    expect((await fetch(env.url.replace(/\/graphql$/, '/health'))).status).toBe(200); // the process is alive
    expect((await fetch(env.url.replace(/\/graphql$/, '/health/ready'))).status).toBe(503);

    await redis.resume();
    await waitFor(async () => (await send(customer, STOREFRONT)).status === 200, 'service back after Redis returned', 15_000);
    const after = await send(customer, STOREFRONT);
    expect(after.codes).toEqual([]);
    expect((after.body.data?.me as { id: string }).id).toBe(customer.userId);
    // Revocations made before the outage still hold after it.
    expect(codesOf(await revoked.request('{ me { id } }'))).toEqual(['UNAUTHENTICATED']);
    expect((await login(env.asAnonymous(), customer.email, customer.password)).accessToken).toBeTruthy();
    await waitFor(async () => (await fetch(env!.url.replace(/\/graphql$/, '/health/ready'))).status === 200, 'ready again', 15_000);
  }, 90_000);
});
