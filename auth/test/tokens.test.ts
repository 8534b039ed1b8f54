import { describe, expect, it } from 'vitest';
import { createLocalJWKSet, SignJWT } from 'jose';
import { generateSigningKeyPair, importSigningKey } from '../src/keys.ts';
import { createAccessTokenVerifier, issueAccessToken, TokenRejected } from '../src/access-token.ts';

const setup = async () => {
  const pair = await generateSigningKeyPair('EdDSA');
  const key = await importSigningKey(pair);
  const verify = createAccessTokenVerifier({ issuer: 'palisade', audience: 'api', keys: createLocalJWKSet({ keys: [pair.publicJwk] }) });
  return { key, verify };
};
const issue = (key: Awaited<ReturnType<typeof setup>>['key'], roles: ('CUSTOMER' | 'ADMIN')[] = ['CUSTOMER']) =>
  issueAccessToken(key, { issuer: 'palisade', audience: 'api', userId: 'u1', sessionId: 's1', roles });

describe('access tokens', () => {
  it('round-trips identity, session and scopes derived from roles', async () => {
    const { key, verify } = await setup();
    const { token, expiresIn } = await issue(key);
    expect(expiresIn).toBeLessThanOrEqual(900);
    const claims = await verify(token);
    expect(claims).toMatchObject({ userId: 'u1', sessionId: 's1', roles: ['CUSTOMER'] });
    expect(claims.scopes).toContain('order:place');
    expect(claims.scopes).not.toContain('user:read:any');
  });

  it('refuses a token signed by a key outside the key set', async () => {
    const { verify } = await setup();
    const { key: stranger } = await setup();
    await expect(verify((await issue(stranger)).token)).rejects.toBeInstanceOf(TokenRejected);
  });

  it('refuses a JWT that is not an access token (typ)', async () => {
    const pair = await generateSigningKeyPair('EdDSA');
    const key = await importSigningKey(pair);
    const verify = createAccessTokenVerifier({ issuer: 'palisade', audience: 'api', keys: createLocalJWKSet({ keys: [pair.publicJwk] }) });
    const idToken = await new SignJWT({ sid: 's', roles: ['ADMIN'] })
      .setProtectedHeader({ alg: 'EdDSA', kid: pair.kid, typ: 'JWT' })
      .setIssuer('palisade').setAudience('api').setSubject('u').setIssuedAt().setExpirationTime('5m').setJti('j')
      .sign(key.privateKey);
    await expect(verify(idToken)).rejects.toThrow(/typ/);
  });

  it('refuses a token living longer than 15 minutes even if not yet expired', async () => {
    const pair = await generateSigningKeyPair('EdDSA');
    const key = await importSigningKey(pair);
    const verify = createAccessTokenVerifier({ issuer: 'palisade', audience: 'api', keys: createLocalJWKSet({ keys: [pair.publicJwk] }) });
    const now = Math.floor(Date.now() / 1000);
    const old = await new SignJWT({ sid: 's', roles: ['CUSTOMER'] })
      .setProtectedHeader({ alg: 'EdDSA', kid: pair.kid, typ: 'at+jwt' })
      .setIssuer('palisade').setAudience('api').setSubject('u').setIssuedAt(now - 3600).setExpirationTime(now + 3600).setJti('j')
      .sign(key.privateKey);
    await expect(verify(old)).rejects.toBeInstanceOf(TokenRejected);
  });
});
