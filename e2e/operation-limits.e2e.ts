import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestEnvironment, type TestEnvironment } from './harness/supergraph.ts';
import { codesOf } from './harness/client.ts';

let env: TestEnvironment;
beforeAll(async () => {
  env = await createTestEnvironment({ router: { production: true } });
});
afterAll(async () => env?.stop());

/** `{ categories { ...F0 } }` where fragment Fi spreads Fi+1 `n` times: n^levels copies of `leaf` once written out. */
function nestedSpreads(levels: number, n: number, leaf: string) {
  let text = '{ categories { ...F0 } }';
  for (let i = 0; i < levels; i++) text += ` fragment F${i} on Category { ${Array.from({ length: n }, () => `...F${i + 1}`).join(' ')} }`;
  return `${text} fragment F${levels} on Category { ${leaf} }`;
}

// Measuring these by writing the fragments out took the router's event loop 2 s for the 650-byte one and
// triples with every level: the 20-level one would hold it for hours, and this file would time out.
describe('operations whose fragments spread each other', () => {
  it('measures the 650-byte query of the report once per fragment and refuses it on cost', async () => {
    const text = nestedSpreads(12, 3, 'id name');
    expect(text.length).toBeGreaterThan(600);
    const r = await env.asAnonymous().request(text);
    expect(codesOf(r)).toEqual(['QUERY_TOO_COMPLEX']);
    // categories (1) + 50 categories × 3^12 copies of two fields: every spread counted, none walked twice.
    expect(r.errors?.[0]?.extensions?.cost).toBe(1 + 50 * 3 ** 12 * 2);
  });

  it('refuses aliased meta fields spread many times on the alias count', async () => {
    const r = await env.asAnonymous().request(nestedSpreads(14, 3, 't: __typename'));
    expect(codesOf(r)).toEqual(['QUERY_TOO_COMPLEX']);
    expect(r.errors?.[0]?.message).toContain(`aliases ${3 ** 14}`);
  });

  it('answers a costless 20-level query and, meanwhile, another caller', async () => {
    const attacker = env.asAnonymous().from('203.0.113.7');
    const [attack, other] = await Promise.all([
      attacker.request<{ categories: { __typename: string }[] }>(nestedSpreads(20, 3, '__typename')),
      env.asAnonymous().from('198.51.100.9').ok<{ products: { totalCount: number } }>('{ products(first: 5) { totalCount } }'),
    ]);
    expect(attack.errors).toBeUndefined();
    expect(attack.data?.categories.length).toBeGreaterThan(0);
    expect(new Set(attack.data?.categories.map((c) => c.__typename))).toEqual(new Set(['Category']));
    expect(other.products.totalCount).toBeGreaterThan(0);
  });
});
