import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { createLogger, createServiceClient, loadInternalKeys } from '@palisade/kit';
import { testServers, waitFor } from '@palisade/kit/testing/index';
import { useAuditForwarding } from '@palisade/router/plugins/useAuditForwarding';
import { createTestEnvironment, login, type TestEnvironment } from './harness/supergraph.ts';
import type { GraphQLClient } from './harness/client.ts';

let env: TestEnvironment;
let auditor: GraphQLClient;
beforeAll(async () => {
  env = await createTestEnvironment({ config: { trustProxyHops: 1 } });
  const a = await env.asCustomer('Auditor');
  await (await env.asAdmin()).ok('mutation($id: ID!) { setUserRoles(userId: $id, roles: [AUDITOR]) { id } }', { id: a.userId });
  auditor = env.asAnonymous().withToken((await login(env.asAnonymous(), a.email, a.password)).accessToken);
});
afterAll(async () => env?.stop());

type Event = { action: string; resourceId: string | null; ip: string | null; metadata: Record<string, unknown> | null };
const ROUTER_ACTIONS = ['auth.token_rejected', 'security.suspicious_input'];
const eventsFrom = async (ip: string) => {
  const q = 'query($a: String) { auditEvents(filter: { action: $a }, first: 20) { edges { node { action resourceId ip metadata } } } }';
  const pages = await Promise.all(ROUTER_ACTIONS.map((a) => auditor.ok<{ auditEvents: { edges: { node: Event }[] } }>(q, { a })));
  return pages.flatMap((p) => p.auditEvents.edges.map((e) => e.node)).filter((e) => e.ip === ip);
};

describe('the attack that wedged router audit', () => {
  it('is recorded, cleaned, and router events after it still reach the trail', async () => {
    const attacker = '203.0.113.66';
    const name = `Q${'A'.repeat(10_000)}`;
    const res = await fetch(env.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': attacker },
      body: JSON.stringify({ operationName: name, query: `query ${name}($s: String) { products(filter: { search: $s }) { totalCount } }`, variables: { s: "' OR 1=1; --\u0000" } }),
    });
    expect(res.status).toBeLessThan(500);

    // Ordinary traffic afterwards: a refused token and another suspicious search, from another client.
    const later = '203.0.113.67';
    await env.asAnonymous().from(later).request('{ me { id } }', undefined, { authorization: 'Bearer not.a.token' });
    await env.asAnonymous().from(later).request('query Search($s: String) { products(filter: { search: $s }) { totalCount } }', { s: "x' OR 'a'='a" });
    await waitFor(async () => (await eventsFrom(later)).length >= 2, 'router events after the attack to reach auditEvents', 20_000);
    expect((await eventsFrom(later)).map((e) => e.action).sort()).toEqual(['auth.token_rejected', 'security.suspicious_input']);

    const [recorded] = (await eventsFrom(attacker)).filter((e) => e.action === 'security.suspicious_input');
    expect(recorded!.resourceId).toBe(name.slice(0, 200)); // clipped, not refused
    expect(JSON.stringify(recorded!.metadata)).not.toContain('\\u0000');
  });
});

describe('router events and a router crash', () => {
  // With the in-process store (the embedded, single-process case) router events wait in memory instead.
  it.skipIf(!testServers().redisUrl)('are delivered by another router from the shared stream', async () => {
    // A router that records events and dies before the security subgraph ever answers it.
    const { signer } = await loadInternalKeys('router', []);
    const log = createLogger('router');
    const client = createServiceClient({ from: 'router', signer, peers: () => 'http://127.0.0.1:9', log });
    const doomed = useAuditForwarding({ client, log, store: env.supergraph.store, intervalMs: 60_000 });
    const marker = randomUUID();
    for (let i = 0; i < 5; i++) doomed.record(null, { action: 'operation.too_complex', outcome: 'DENIED', resourceType: 'Operation', resourceId: marker });
    // It never delivers (its interval is a minute and its security subgraph unreachable): the running router must.
    const count = async () => (await auditor.ok<{ auditEvents: { totalCount: number } }>('query($r: String) { auditEvents(filter: { resourceId: $r }) { totalCount } }', { r: marker })).auditEvents.totalCount;
    await waitFor(async () => (await count()) === 5, 'the dead router’s events to reach auditEvents', 20_000);
    await doomed.stop();
    await client.close();
  });
});
