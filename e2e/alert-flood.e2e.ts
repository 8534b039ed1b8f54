import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { waitFor } from '@palisade/kit/testing/index';
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

type Alert = { severity: string; count: number; sourceIp: string | null; user: { id: string } | null };
const alertsFrom = async (type: string, ip: string) =>
  (await auditor.ok<{ securityAlerts: { edges: { node: Alert }[] } }>('query($t: String) { securityAlerts(filter: { type: $t }, first: 20) { edges { node { severity count sourceIp user { id } } } } }', { t: type })).securityAlerts.edges
    .map((e) => e.node)
    .filter((a) => a.sourceIp === ip);

describe('an anonymous client flooding detection', () => {
  it('gets one CRITICAL alert for its address, counting each throwaway account that replayed its refresh token', async () => {
    const attacker = '198.18.0.7';
    const client = env.asAnonymous().from(attacker);
    const accounts = 4;
    for (let i = 0; i < accounts; i++) {
      const email = `throwaway-${randomBytes(4).toString('hex')}@example.com`;
      const password = `pw-${randomBytes(8).toString('hex')}-Zq`;
      await client.ok('mutation($i: RegisterInput!) { register(input: $i) { accessToken } }', { i: { email, password, displayName: 'Throwaway' } });
      const { refreshToken } = await login(client, email, password);
      const refresh = 'mutation($t: String!) { refreshSession(refreshToken: $t) { accessToken } }';
      await client.ok(refresh, { t: refreshToken });
      await client.request(refresh, { t: refreshToken }); // the replay: ends the session, raises the alert
    }
    await waitFor(async () => (await alertsFrom('refresh_token_reuse', attacker))[0]?.count === accounts, 'the alert to count every account', 20_000);
    const alerts = await alertsFrom('refresh_token_reuse', attacker);
    expect(alerts).toEqual([{ severity: 'CRITICAL', count: accounts, sourceIp: attacker, user: null }]);
  });
});
