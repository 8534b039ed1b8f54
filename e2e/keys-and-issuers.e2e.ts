import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import { randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, SignJWT, decodeProtectedHeader, type CryptoKey } from 'jose';
import { externalUserId } from '@palisade/auth';
import { eventually } from '@palisade/kit/testing/index';
import { createTestEnvironment, login, type TestEnvironment } from './harness/supergraph.ts';
import { codesOf } from './harness/client.ts';

// A stand-in for a Keycloak realm: its own RSA keys, served as a JWKS over local HTTP.
const ISSUER = 'http://127.0.0.1/realms/shop';
let idp: { server: Server; key: CryptoKey; kid: string };
let env: TestEnvironment;

beforeAll(async () => {
  const { privateKey, publicKey } = await generateKeyPair('RS256');
  const kid = 'realm-key-1';
  const jwks = JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' }] });
  const server = createServer((_, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(jwks));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  idp = { server, key: privateKey, kid };
  const port = (server.address() as { port: number }).port;
  const externalIssuers = [
    { issuer: ISSUER, jwksUrl: `http://127.0.0.1:${port}/jwks`, audience: 'palisade', rolesClaim: 'realm_access.roles', roleMap: { 'shop-admin': 'ADMIN' as const, 'shop-customer': 'CUSTOMER' as const } },
  ];
  env = await createTestEnvironment({ config: { router: { externalIssuers } } });
});
afterAll(async () => {
  await env?.stop();
  idp?.server.close();
});

const realmToken = (o: { roles: string[]; iss?: string; aud?: string; alg?: 'RS256' }) =>
  new SignJWT({ realm_access: { roles: o.roles }, sid: randomUUID() })
    .setProtectedHeader({ alg: 'RS256', kid: idp.kid })
    .setIssuer(o.iss ?? ISSUER)
    .setAudience(o.aud ?? 'palisade')
    .setSubject('keycloak-user-42')
    .setIssuedAt()
    .setExpirationTime('5m')
    .sign(idp.key);

describe('an external OpenID Connect issuer', () => {
  it('maps its roles through the configured claim path and role map', async () => {
    const admin = env.asAnonymous().withToken(await realmToken({ roles: ['shop-admin', 'offline_access'] }));
    expect((await admin.ok<{ users: { totalCount: number } }>('{ users { totalCount } }')).users.totalCount).toBeGreaterThan(0);
    const customer = env.asAnonymous().withToken(await realmToken({ roles: ['shop-customer'] }));
    expect(codesOf(await customer.request('{ users { totalCount } }'))).toEqual(['FORBIDDEN']);
    const nobody = env.asAnonymous().withToken(await realmToken({ roles: ['unmapped-role'] }));
    expect(codesOf(await nobody.request('{ users { totalCount } }'))).toEqual(['FORBIDDEN']);
  });

  it('gives its users a stable id that can own orders', async () => {
    const customer = env.asAnonymous().withToken(await realmToken({ roles: ['shop-customer'] }));
    const [p] = (await customer.ok<{ products: { edges: { node: { id: string } }[] } }>('{ products(first: 1) { edges { node { id } } } }')).products.edges;
    const placed = await customer.ok<{ placeOrder: { customer: { id: string } } }>('mutation($i: PlaceOrderInput!) { placeOrder(input: $i) { customer { id } } }', {
      i: { items: [{ productId: p!.node.id, quantity: 1 }], shippingAddress: { line1: '1 Realm Rd', city: 'Keycloak', postalCode: '1000', country: 'DE' } },
    });
    expect(placed.placeOrder.customer.id).toBe(externalUserId(ISSUER, 'keycloak-user-42'));
  });

  it('refuses tokens from an unconfigured issuer or for another audience, even with the same keys', async () => {
    for (const token of [await realmToken({ roles: ['shop-admin'], iss: 'http://127.0.0.1/realms/other' }), await realmToken({ roles: ['shop-admin'], aud: 'someone-else' })]) {
      const r = await env.asAnonymous().withToken(token).request('{ products(first: 1) { totalCount } }');
      expect(r.status).toBe(401);
      expect(codesOf(r)).toEqual(['UNAUTHENTICATED']);
    }
  });
});

describe('signing key rotation', () => {
  it('signs new tokens with the new key while tokens from the old one keep working', async () => {
    const c = await env.asCustomer('Rotor');
    const oldKid = decodeProtectedHeader(c.token!).kid;
    const userBase = env.supergraph.subgraphs.user.url.replace(/\/graphql$/, '');
    const fresh = await env.supergraph.subgraphs.user.keys.rotate();
    expect(fresh.kid).not.toBe(oldKid);
    const jwks = (await (await fetch(`${userBase}/.well-known/jwks.json`)).json()) as { keys: { kid: string }[] };
    expect(jwks.keys.map((k) => k.kid).sort()).toEqual([oldKid, fresh.kid].sort());
    expect((await c.ok<{ me: { id: string } }>('{ me { id } }')).me.id).toBe(c.userId);
    const next = await login(env.asAnonymous(), c.email, c.password);
    expect(decodeProtectedHeader(next.accessToken).kid).toBe(fresh.kid);
    // The router has never seen this kid: it fetches the key set again (at most every 5 s) and accepts it.
    await eventually(async () => expect((await env.asAnonymous().withToken(next.accessToken).request('{ me { id } }')).status).toBe(200), 'the router accepting the new key', 10_000);
  });
});
