import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { CONTEXT_HEADER, operationHash, signContext } from '@palisade/auth';
import { loadInternalKeys } from '@palisade/kit';
import { testCaller } from '@palisade/kit/testing/index';
import { createTestEnvironment, type TestEnvironment } from './harness/supergraph.ts';

let env: TestEnvironment;
beforeAll(async () => {
  env = await createTestEnvironment();
});
afterAll(async () => env?.stop());

const post = (body: object, ctx: string) =>
  fetch(env.supergraph.subgraphs.product.url, { method: 'POST', headers: { 'content-type': 'application/json', [CONTEXT_HEADER]: ctx }, body: JSON.stringify(body) });

// One document, two operations: which one runs is chosen by operationName, or by a persisted-query hash.
const DOCUMENT = 'query A { categories { id } } query B { categories { id name slug } }';

describe('a subgraph holding a context the router signed', () => {
  it('runs the request it was signed for (control)', async () => {
    const { signer } = await loadInternalKeys('router', []);
    const body = { query: DOCUMENT, operationName: 'A', variables: {}, extensions: {} };
    const res = await post(body, await signContext(signer, 'product', operationHash(body), testCaller()));
    expect(res.status).toBe(200);
  });

  it('refuses it once operationName or extensions are changed on the way', async () => {
    const { signer } = await loadInternalKeys('router', []);
    const change = fc.oneof(
      fc.record({ operationName: fc.constantFrom('B', undefined) }),
      fc.record({ extensions: fc.record({ persistedQuery: fc.record({ version: fc.constant(1), sha256Hash: fc.stringMatching(/^[0-9a-f]{64}$/) }) }) }),
      fc.record({ extensions: fc.dictionary(fc.stringMatching(/^[a-z]{1,8}$/), fc.jsonValue({ maxDepth: 2 }), { minKeys: 1, maxKeys: 2 }) }),
    );
    await fc.assert(
      fc.asyncProperty(change, async (c) => {
        const signed = { query: DOCUMENT, operationName: 'A', variables: {}, extensions: {} };
        const res = await post({ ...signed, ...c }, await signContext(signer, 'product', operationHash(signed), testCaller()));
        expect(res.status).toBe(401);
      }),
      { numRuns: 30 },
    );
  });
});
