import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '@palisade/kit/testing/index';
import { createTestEnvironment, type TestEnvironment } from './harness/supergraph.ts';
import { codesOf } from './harness/client.ts';

let env: TestEnvironment;
beforeAll(async () => {
  env = await createTestEnvironment({ config: { router: { breakerResetMs: 500 } } });
});
afterAll(async () => env?.stop());

const STOREFRONT = '{ products(first: 2) { edges { node { name } } } me { displayName orders { totalCount } } }';

describe('a subgraph goes down and comes back', () => {
  it('answers with partial data and an error for the missing part, then fully again', async () => {
    const c = await env.asCustomer('Resilient');
    const full = await c.request(STOREFRONT);
    expect(codesOf(full)).toEqual([]);
    await env.supergraph.stopSubgraph('order');
    for (let i = 0; i < 8; i++) {
      const partial = await c.request(STOREFRONT);
      expect(partial.data?.products.edges).toHaveLength(2); // the catalog still answers
      expect(partial.data?.me?.displayName ?? null).toBe(partial.data?.me ? 'Resilient' : null);
      expect(codesOf(partial)).toContain('INTERNAL_SERVER_ERROR');
      expect(JSON.stringify(partial.errors)).not.toMatch(/ECONNREFUSED|127\.0\.0\.1|fetch failed/);
    }
    await env.supergraph.startSubgraph('order');
    await eventually(async () => {
      const r = await c.request(STOREFRONT);
      expect(codesOf(r)).toEqual([]);
      expect(r.data?.me?.orders.totalCount).toBe(0);
    }, 'the storefront answering in full again', 10_000);
  });
});
