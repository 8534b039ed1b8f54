import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { KeyObject, sign } from 'node:crypto';
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

describe('what the verifier refuses', () => {
  // Tokens made by hand with the trusted key, so each refusal is for the one thing that is wrong.
  const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
  async function setup() {
    const { signer, pub } = await signerFor('router');
    const key = KeyObject.from(signer.key as Parameters<typeof KeyObject.from>[0]);
    const digest = operationHash({ query: '{ me { id } }' });
    const now = Math.floor(Date.now() / 1000);
    const claims = { dig: digest, iss: 'router', aud: 'user', iat: now, exp: now + 30, jti: 'j1', ctx: { uid: 'u1', roles: ['ADMIN'], scp: [] } };
    const header = { alg: 'EdDSA', kid: signer.kid, typ: 'palisade-ctx+jwt' };
    const make = (h: object = header, c: object = claims) => {
      const input = `${b64(h)}.${b64(c)}`;
      return `${input}.${sign(null, Buffer.from(input), key).toString('base64url')}`;
    };
    const check = (token: string) => verifyContext(token, { trusted: new Map([['router', pub]]), audience: 'user', digest });
    return { make, check, claims, header, now };
  }

  it('accepts the well-formed token the cases below are variations of', async () => {
    const { make, check } = await setup();
    expect((await check(make())).caller?.userId).toBe('u1');
  });

  it.each([
    ['alg none', (t: Awaited<ReturnType<typeof setup>>) => `${b64({ alg: 'none', typ: 'palisade-ctx+jwt' })}.${b64(t.claims)}.`],
    ['alg none with a signature', (t: Awaited<ReturnType<typeof setup>>) => t.make({ ...t.header, alg: 'none' })],
    ['HS256 keyed with anything', (t: Awaited<ReturnType<typeof setup>>) => t.make({ ...t.header, alg: 'HS256' })],
    ['another token type (an access token)', (t: Awaited<ReturnType<typeof setup>>) => t.make({ ...t.header, typ: 'JWT' })],
    ['a crit header', (t: Awaited<ReturnType<typeof setup>>) => t.make({ ...t.header, crit: ['exp'] })],
    ['an embedded key', (t: Awaited<ReturnType<typeof setup>>) => t.make({ ...t.header, jwk: { kty: 'OKP' } })],
    ['another audience', (t: Awaited<ReturnType<typeof setup>>) => t.make(t.header, { ...t.claims, aud: 'order' })],
    ['an audience list', (t: Awaited<ReturnType<typeof setup>>) => t.make(t.header, { ...t.claims, aud: ['user'] })],
    ['an untrusted issuer', (t: Awaited<ReturnType<typeof setup>>) => t.make(t.header, { ...t.claims, iss: 'order' })],
    ['expiry passed', (t: Awaited<ReturnType<typeof setup>>) => t.make(t.header, { ...t.claims, exp: t.now - 10 })],
    ['issued too long ago, however far its expiry', (t: Awaited<ReturnType<typeof setup>>) => t.make(t.header, { ...t.claims, iat: t.now - 120, exp: t.now + 3600 })],
    ['issued in the future', (t: Awaited<ReturnType<typeof setup>>) => t.make(t.header, { ...t.claims, iat: t.now + 60 })],
    ['no token id', (t: Awaited<ReturnType<typeof setup>>) => t.make(t.header, { ...t.claims, jti: undefined })],
    ['no expiry', (t: Awaited<ReturnType<typeof setup>>) => t.make(t.header, { ...t.claims, exp: undefined })],
    ['another operation', (t: Awaited<ReturnType<typeof setup>>) => t.make(t.header, { ...t.claims, dig: 'x' })],
    ['a second spelling of the signature', (t: Awaited<ReturnType<typeof setup>>) => `${t.make()}A`],
    ['the same signature bytes spelled with other unused bits', (t: Awaited<ReturnType<typeof setup>>) => {
      const token = t.make();
      const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
      return token.slice(0, -1) + alphabet[alphabet.indexOf(token.at(-1)!) ^ 1];
    }],
    ['padding', (t: Awaited<ReturnType<typeof setup>>) => `${t.make()}==`],
    ['four segments', (t: Awaited<ReturnType<typeof setup>>) => `${t.make()}.x`],
    ['a payload that is not an object', (t: Awaited<ReturnType<typeof setup>>) => t.make(t.header, ['router'])],
  ])('refuses %s', async (_what, build) => {
    const t = await setup();
    await expect(t.check(build(t))).rejects.toBeInstanceOf(ContextRejected);
  });
});

describe('what the operation hash binds', () => {
  // Everything in the body that decides what runs: an attacker holding a context for one request must not be
  // able to pick another operation of the document or point a persisted-query hash elsewhere.
  const json = fc.jsonValue({ maxDepth: 3 });
  const body = fc.record({
    query: fc.string({ maxLength: 40 }),
    operationName: fc.option(fc.string({ maxLength: 20 }), { nil: undefined }),
    variables: fc.dictionary(fc.string({ maxLength: 8 }), json, { maxKeys: 4 }),
    extensions: fc.option(fc.dictionary(fc.string({ maxLength: 12 }), json, { maxKeys: 3 }), { nil: undefined }),
  });
  const persistedQuery = fc.record({ persistedQuery: fc.record({ version: fc.constant(1), sha256Hash: fc.stringMatching(/^[0-9a-f]{64}$/) }) });
  const same = (a: unknown, b: unknown) => stableStringify(a ?? null) === stableStringify(b ?? null);

  it('refuses a context once operationName or extensions are changed, for generated requests', async () => {
    const { signer, pub } = await signerFor('router');
    const trusted = new Map([['router', pub]]);
    await fc.assert(
      fc.asyncProperty(
        body,
        fc.oneof(
          fc.record({ operationName: fc.option(fc.string({ maxLength: 20 }), { nil: undefined }) }),
          fc.record({ extensions: fc.oneof(fc.dictionary(fc.string({ maxLength: 12 }), json, { minKeys: 1, maxKeys: 3 }), persistedQuery) }),
        ),
        async (signed, change) => {
          const sent = { ...signed, ...change };
          fc.pre(!same(sent.operationName, signed.operationName) || !same(sent.extensions ?? {}, signed.extensions ?? {}));
          const token = await signContext(signer, 'user', operationHash(signed), caller);
          // The subgraph hashes the body it received, as kit's admitSignedRequest does.
          await expect(verifyContext(token, { trusted, audience: 'user', digest: operationHash(sent) })).rejects.toThrow(/different operation/);
          const intact = await signContext(signer, 'user', operationHash(signed), caller);
          await expect(verifyContext(intact, { trusted, audience: 'user', digest: operationHash(JSON.parse(JSON.stringify(signed))) })).resolves.toBeTruthy();
        },
      ),
      { numRuns: 300 },
    );
  });

  it('keeps each field apart: text moved from one field to the next is another operation', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 20 }), fc.string({ minLength: 1, maxLength: 20 }), (query, name) => {
        expect(operationHash({ query: query + name, operationName: '' })).not.toBe(operationHash({ query, operationName: name }));
        // A separator inside a field must not make two different requests one (the old NUL-joined digest did).
        expect(operationHash({ query: `${query}\0${name}`, operationName: '' })).not.toBe(operationHash({ query, operationName: `${name}\0` }));
      }),
    );
  });
});
