import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SignJWT, importJWK, type JWK } from 'jose';
import { randomUUID } from 'node:crypto';
import { CONTEXT_HEADER, operationHash, signContext } from '@palisade/auth';
import { loadInternalKeys, queryRows } from '@palisade/kit';
import { testCaller } from '@palisade/kit/testing/signed-client';
import { sql } from 'drizzle-orm';
import { createTestEnvironment, type TestEnvironment } from './harness/supergraph.ts';
import { codesOf } from './harness/client.ts';

let env: TestEnvironment;
let signingKey: { kid: string; jwk: JWK };
beforeAll(async () => {
  env = await createTestEnvironment();
  // The user subgraph's real signing key, so forged tokens differ from good ones in exactly one way.
  const [row] = await queryRows<{ kid: string; private_jwk: JWK }>(env.supergraph.subgraphs.user.database.db, sql`select kid, private_jwk from users.signing_keys where retired_at is null`);
  signingKey = { kid: row!.kid, jwk: row!.private_jwk };
});
afterAll(async () => env?.stop());

async function token(o: { exp?: number; iat?: number; iss?: string; aud?: string; sub?: string; roles?: string[] } = {}) {
  const key = await importJWK(signingKey.jwk, 'EdDSA');
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ sid: randomUUID(), roles: o.roles ?? ['CUSTOMER'] })
    .setProtectedHeader({ alg: 'EdDSA', kid: signingKey.kid, typ: 'at+jwt' })
    .setIssuer(o.iss ?? env.config.tokens.issuer)
    .setAudience(o.aud ?? env.config.tokens.audience)
    .setSubject(o.sub ?? randomUUID())
    .setIssuedAt(o.iat ?? now)
    .setExpirationTime(o.exp ?? now + 600)
    .setJti(randomUUID())
    .sign(key);
}

const ME = '{ me { id } }';

describe('access tokens at the router', () => {
  it('accepts a well-formed token signed with the current key (control)', async () => {
    const customer = await env.asCustomer();
    const r = await customer.request(ME);
    expect(r.data?.me).toEqual({ id: customer.userId });
  });

  const refused = async (t: string) => {
    const r = await env.asAnonymous().withToken(t).request(ME);
    expect(r.status).toBe(401);
    expect(codesOf(r)).toEqual(['UNAUTHENTICATED']);
    expect(r.data ?? null).toBeNull();
  };

  it('refuses an expired token (beyond the 30 s skew)', async () => {
    const now = Math.floor(Date.now() / 1000);
    await refused(await token({ iat: now - 700, exp: now - 60 }));
  });

  it('refuses a token from another issuer or for another audience', async () => {
    await refused(await token({ iss: 'https://evil.example' }));
    await refused(await token({ aud: 'some-other-api' }));
  });

  it('refuses a token whose payload was tampered with', async () => {
    const good = await token();
    const [h, p, s] = good.split('.');
    const payload = JSON.parse(Buffer.from(p!, 'base64url').toString());
    payload.roles = ['ADMIN'];
    await refused(`${h}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.${s}`);
  });

  it('refuses alg:none and HMAC-signed tokens', async () => {
    const now = Math.floor(Date.now() / 1000);
    const claims = { iss: env.config.tokens.issuer, aud: env.config.tokens.audience, sub: randomUUID(), sid: randomUUID(), roles: ['ADMIN'], iat: now, exp: now + 600, jti: randomUUID() };
    const enc = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
    await refused(`${enc({ alg: 'none', typ: 'at+jwt' })}.${enc(claims)}.`);
    const hs = await new SignJWT(claims).setProtectedHeader({ alg: 'HS256', kid: signingKey.kid, typ: 'at+jwt' }).sign(new TextEncoder().encode('guessable-secret-guessable-secret'));
    await refused(hs);
  });

  it('treats garbage in Authorization as a refusal, not as anonymous', async () => {
    const r = await env.asAnonymous().request('{ products(first: 1) { totalCount } }', undefined, { authorization: 'Bearer not-a-token' });
    expect(r.status).toBe(401);
    expect(codesOf(r)).toEqual(['UNAUTHENTICATED']);
  });
});

describe('subgraphs reached directly', () => {
  const userUrl = () => env.supergraph.subgraphs.user.url;

  it('refuse bare identity headers and execute nothing', async () => {
    const email = `forged-${randomUUID()}@example.com`;
    const res = await fetch(userUrl(), {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-user-id': randomUUID(), 'x-user-roles': 'ADMIN', 'x-palisade-user': 'admin' },
      body: JSON.stringify({ query: `mutation { register(input: { email: "${email}", password: "long-enough-password-1", displayName: "F" }) { accessToken } }` }),
    });
    expect(res.status).toBe(401);
    const admin = await env.asAdmin();
    const found = await admin.ok<{ users: { totalCount: number } }>('query($s: String) { users(search: $s) { totalCount } }', { s: email });
    expect(found.users.totalCount).toBe(0);
  });

  const post = (url: string, body: object, ctx: string | null) =>
    fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...(ctx ? { [CONTEXT_HEADER]: ctx } : {}) }, body: JSON.stringify(body) });

  it('accept a context the router signed for that operation exactly once', async () => {
    const { signer } = await loadInternalKeys('router', []);
    const body = { query: '{ _service { sdl } }', variables: {} };
    const ctx = await signContext(signer, 'user', operationHash(body), testCaller());
    expect((await post(userUrl(), body, ctx)).status).toBe(200);
    expect((await post(userUrl(), body, ctx)).status).toBe(401); // replayed
  });

  it('refuse a signed context moved onto another operation, subgraph or signer', async () => {
    const { signer } = await loadInternalKeys('router', []);
    const asked = { query: '{ __typename }', variables: {} };
    const sent = { query: `{ _entities(representations: [{ __typename: "User", id: "${randomUUID()}" }]) { ... on User { email } } }`, variables: {} };
    expect((await post(userUrl(), sent, await signContext(signer, 'user', operationHash(asked), testCaller()))).status).toBe(401);
    expect((await post(userUrl(), asked, await signContext(signer, 'product', operationHash(asked), testCaller()))).status).toBe(401);
    const { signer: userSigner } = await loadInternalKeys('user', []);
    expect((await post(userUrl(), asked, await signContext(userSigner, 'user', operationHash(asked), testCaller({ roles: ['ADMIN'], userId: randomUUID() })))).status).toBe(401);
    expect((await post(userUrl(), sent, null)).status).toBe(401);
  });
});

describe('federation internals through the router', () => {
  it('are not part of the public schema', async () => {
    const admin = await env.asAdmin();
    const entities = await admin.request(`{ _entities(representations: [{ __typename: "User", id: "${randomUUID()}" }]) { ... on User { email } } }`);
    expect(codesOf(entities)).toEqual(['BAD_USER_INPUT']);
    const service = await admin.request('{ _service { sdl } }');
    expect(codesOf(service)).toEqual(['BAD_USER_INPUT']);
  });
});
