import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestEnvironment, type TestEnvironment } from './harness/supergraph.ts';
import { codesOf } from './harness/client.ts';

let env: TestEnvironment;
beforeAll(async () => {
  env = await createTestEnvironment({ router: { production: true } });
});
afterAll(async () => env?.stop());

describe('documents costly to validate, from the penetration test', () => {
  it('refuses 480 fragments spread side by side as QUERY_TOO_COMPLEX, before validation', async () => {
    const n = 480;
    const text = `{${Array.from({ length: n }, (_, i) => `...F${i}`).join(' ')}} ${Array.from({ length: n }, (_, i) => `fragment F${i} on Query{__typename}`).join(' ')}`;
    const r = await env.asAnonymous().request(text);
    expect(codesOf(r)).toEqual(['QUERY_TOO_COMPLEX']);
    expect(r.errors?.[0]?.message).not.toMatch(/Validation aborted/);
  });

  it("counts a variable's default toward the cost limit", async () => {
    const r = await env.asAnonymous().request('query($n: Int = 100) { products(first: $n) { edges { node { id category { children { name } } } } } }');
    expect(codesOf(r)).toEqual(['QUERY_TOO_COMPLEX']);
    expect(r.errors?.[0]?.extensions?.cost).toBe(24_101);
  });
});
