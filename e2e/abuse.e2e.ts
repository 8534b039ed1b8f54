import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { createTestEnvironment, type TestEnvironment } from './harness/supergraph.ts';
import { codesOf } from './harness/client.ts';

// The router as it runs in production: no Sandbox, no introspection, no suggestions, CORS from a list.
let env: TestEnvironment;
beforeAll(async () => {
  env = await createTestEnvironment({ router: { production: true, corsOrigins: ['https://shop.example'] } });
});
afterAll(async () => env?.stop());

const post = (body: string, headers: Record<string, string> = { 'content-type': 'application/json' }) => fetch(env.url, { method: 'POST', headers, body });
const usersNamed = async (email: string) =>
  (await (await env.asAdmin()).ok<{ users: { totalCount: number } }>('query($s: String) { users(search: $s) { totalCount } }', { s: email })).users.totalCount;

describe('operation limits, before any subgraph is asked', () => {
  it('serves an ordinary storefront query (control)', async () => {
    const r = await env.asAnonymous().ok<{ products: { totalCount: number } }>('{ products(first: 20) { totalCount edges { node { name price { amount } category { name } } } } }');
    expect(r.products.totalCount).toBeGreaterThan(0);
  });

  it('refuses 101 aliases', async () => {
    const q = `{ ${Array.from({ length: 101 }, (_, i) => `a${i}: categories { id }`).join(' ')} }`;
    const r = await env.asAnonymous().request(q);
    expect(codesOf(r)).toEqual(['QUERY_TOO_COMPLEX']);
    expect(r.data ?? null).toBeNull();
  });

  it('refuses depth 20', async () => {
    const q = `{ categories { ${'children { '.repeat(19)}id${' }'.repeat(19)} } }`;
    expect(codesOf(await env.asAnonymous().request(q))).toEqual(['QUERY_TOO_COMPLEX']);
  });

  it('refuses products(first: 10000) on cost, and names the cost', async () => {
    const r = await env.asAnonymous().request('{ products(first: 10000) { edges { node { id name price { amount } } } } }');
    expect(codesOf(r)).toEqual(['QUERY_TOO_COMPLEX']);
    expect(r.errors?.[0]?.extensions?.cost).toBeGreaterThan(10000);
    // also when the size hides in a variable
    const v = await env.asAnonymous().request('query($n: Int) { products(first: $n) { edges { node { id name } } } }', { n: 10000 });
    expect(codesOf(v)).toEqual(['QUERY_TOO_COMPLEX']);
  });

  it('refuses a directive flood and an oversized token count', async () => {
    const many = `{ categories { ${Array.from({ length: 60 }, () => 'id @include(if: true)').join(' ')} } }`;
    expect(codesOf(await env.asAnonymous().request(many))).toEqual(['QUERY_TOO_COMPLEX']);
    const tokens = `{ categories { ${'id '.repeat(6000)} } }`;
    expect(codesOf(await env.asAnonymous().request(tokens))).toEqual(['QUERY_TOO_COMPLEX']);
  });
});

describe('HTTP-level defences', () => {
  it('refuses a batch of 10 operations', async () => {
    const res = await post(JSON.stringify(Array.from({ length: 10 }, () => ({ query: '{ categories { id } }' }))));
    expect(res.status).toBe(400);
    expect(((await res.json()) as { errors: { extensions: { code: string } }[] }).errors[0]!.extensions.code).toBe('BAD_USER_INPUT');
  });

  it('refuses a mutation over GET and runs nothing', async () => {
    const email = `get-${randomBytes(4).toString('hex')}@example.com`;
    const q = `mutation { register(input: { email: "${email}", password: "long-enough-pass-1", displayName: "G" }) { accessToken } }`;
    const res = await fetch(`${env.url}?query=${encodeURIComponent(q)}`, { headers: { 'apollo-require-preflight': 'true' } });
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(await usersNamed(email)).toBe(0);
  });

  it('refuses a form-encoded POST (CSRF) and runs nothing', async () => {
    const email = `csrf-${randomBytes(4).toString('hex')}@example.com`;
    const q = `mutation { register(input: { email: "${email}", password: "long-enough-pass-1", displayName: "C" }) { accessToken } }`;
    const res = await post(`query=${encodeURIComponent(q)}`, { 'content-type': 'application/x-www-form-urlencoded' });
    expect(res.status).toBe(400);
    expect(await usersNamed(email)).toBe(0);
  });

  it('answers a 2 MB body with 413', async () => {
    const res = await post(JSON.stringify({ query: `{ categories { id } } #${'x'.repeat(2 * 1024 * 1024)}` }));
    expect(res.status).toBe(413);
  });

  it('hides the schema in production: no introspection, no suggestions', async () => {
    const intro = await env.asAnonymous().request('{ __schema { types { name } } }');
    expect(codesOf(intro)).toEqual(['BAD_USER_INPUT']);
    expect(intro.data ?? null).toBeNull();
    const typo = await env.asAnonymous().request('{ product(id: "1") { nmae } }');
    expect(codesOf(typo)).toEqual(['BAD_USER_INPUT']);
    expect(typo.errors?.[0]?.message).not.toMatch(/Did you mean/);
  });

  it('allows CORS only for listed origins and sends security headers', async () => {
    const ok = await fetch(env.url, { method: 'OPTIONS', headers: { origin: 'https://shop.example', 'access-control-request-method': 'POST' } });
    expect(ok.headers.get('access-control-allow-origin')).toBe('https://shop.example');
    const evil = await fetch(env.url, { method: 'OPTIONS', headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' } });
    expect(evil.headers.get('access-control-allow-origin')).toBeNull();
    const res = await post(JSON.stringify({ query: '{ categories { id } }' }), { 'content-type': 'application/json', origin: 'https://evil.example' });
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    expect(res.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(res.headers.get('strict-transport-security')).toBeNull(); // plain HTTP here
  });
});
