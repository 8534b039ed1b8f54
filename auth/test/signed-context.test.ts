import { describe, expect, it } from 'vitest';
import { jwtVerify } from 'jose';
import { generateSigningKeyPair, importPublicKey, importSigningKey } from '../src/keys.ts';
import { operationHash, signContext, stableStringify, verifyContext, ContextRejected } from '../src/signed-context.ts';
import type { Caller } from '../src/caller.ts';

const caller: Caller = { userId: 'u1', sessionId: 's1', roles: ['CUSTOMER'], scopes: ['order:place'], requestId: 'r1', ip: '10.0.0.1', userAgent: 'ua' };
const signerFor = async (issuer: string) => {
  const pair = await generateSigningKeyPair('EdDSA');
  return { signer: { issuer, kid: pair.kid, key: (await importSigningKey(pair)).privateKey }, pub: await importPublicKey(pair.publicJwk, 'EdDSA') };
};

describe('signed context', () => {
  it('hashes variables independently of key order', () => {
    expect(stableStringify({ b: 1, a: { d: [1, 2], c: null } })).toBe(stableStringify({ a: { c: null, d: [1, 2] }, b: 1 }));
    expect(operationHash({ query: 'q', variables: { a: 1, b: 2 } })).toBe(operationHash({ query: 'q', variables: { b: 2, a: 1 } }));
    expect(operationHash({ query: 'q', variables: { a: 1 } })).not.toBe(operationHash({ query: 'q', variables: { a: 2 } }));
  });

  it('carries the caller to the audience it was signed for', async () => {
    const { signer, pub } = await signerFor('router');
    const digest = operationHash({ query: '{ me { id } }' });
    const token = await signContext(signer, 'user', digest, caller);
    const claims = await verifyContext(token, { trusted: new Map([['router', pub]]), audience: 'user', digest });
    expect(claims.caller).toEqual(caller);
  });

  it('refuses another audience, another operation, an untrusted issuer and a missing token', async () => {
    const { signer, pub } = await signerFor('router');
    const digest = operationHash({ query: '{ me { id } }' });
    const token = await signContext(signer, 'user', digest, caller);
    const trusted = new Map([['router', pub]]);
    await expect(verifyContext(token, { trusted, audience: 'order', digest })).rejects.toBeInstanceOf(ContextRejected);
    await expect(verifyContext(token, { trusted, audience: 'user', digest: operationHash({ query: '{ users { totalCount } }' }) })).rejects.toThrow(/different operation/);
    const { signer: other } = await signerFor('router');
    await expect(verifyContext(await signContext(other, 'user', digest, caller), { trusted, audience: 'user', digest })).rejects.toBeInstanceOf(ContextRejected);
    await expect(verifyContext(null, { trusted, audience: 'user', digest })).rejects.toThrow(/missing/);
  });
});

describe('the signed context as a JWS', () => {
  it('is a standard EdDSA JWT that jose verifies, and any edited byte breaks it', async () => {
    const { signer, pub } = await signerFor('router');
    const digest = operationHash({ query: '{ me { id } }' });
    const token = await signContext(signer, 'user', digest, caller);
    const { payload, protectedHeader } = await jwtVerify(token, pub, { algorithms: ['EdDSA'], issuer: 'router', audience: 'user', typ: 'palisade-ctx+jwt' });
    expect(protectedHeader).toEqual({ alg: 'EdDSA', kid: signer.kid, typ: 'palisade-ctx+jwt' });
    expect(payload.exp! - payload.iat!).toBe(30);
    expect(payload.jti).toMatch(/^[0-9a-f-]{36}$/);
    const [h, p, sig] = token.split('.') as [string, string, string];
    const forged = Buffer.from(JSON.stringify({ ...payload, ctx: { ...(payload.ctx as object), roles: ['ADMIN'] } })).toString('base64url');
    await expect(verifyContext(`${h}.${forged}.${sig}`, { trusted: new Map([['router', pub]]), audience: 'user', digest })).rejects.toBeInstanceOf(ContextRejected);
    const flipped = sig.slice(0, 10) + (sig[10] === 'A' ? 'B' : 'A') + sig.slice(11);
    await expect(verifyContext(`${h}.${p}.${flipped}`, { trusted: new Map([['router', pub]]), audience: 'user', digest })).rejects.toBeInstanceOf(ContextRejected);
  });
});
