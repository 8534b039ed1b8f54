import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'graphql';
import { ApolloGateway } from '@apollo/gateway';
import { loadConfig, openStore } from '@palisade/kit';
import { loadSupergraph } from '../src/supergraph.ts';
import { onlyFields, publicProductFields } from '../src/plugins/public-cache/public-fields.ts';
import { effectiveBudget, visitorBudget } from '../src/plugins/public-cache/visitor-budget.ts';

const sdl = loadSupergraph();

describe('which fields the public cache may keep', () => {
  const fields = publicProductFields(sdl);

  it('the catalog’s public fields, answered by the product subgraph', () => {
    for (const f of ['Query.products', 'Query.product', 'Query.categories', 'Product.name', 'Product.price', 'Product.inStock', 'Money.amount', 'Category.name', 'ProductConnection.edges', 'PageInfo.hasNextPage']) expect(fields).toContain(f);
  });

  it('never a restricted field, nor one another subgraph answers', () => {
    // @requiresScopes on the field; @authenticated root fields; other subgraphs' types and root fields.
    for (const f of ['Product.stock', 'Query.me', 'Query.order', 'Query.orders', 'Query.auditEvents', 'Order.status', 'User.email', 'Query.mySessions']) expect(fields).not.toContain(f);
  });

  it('a document is cacheable only if every field in it is, skipped ones and fragments included', async () => {
    const gateway = new ApolloGateway({ supergraphSdl: sdl });
    const { schema } = await gateway.load();
    await gateway.stop();
    const check = (q: string) => onlyFields(schema, parse(q), fields);
    expect(check('{ products(first: 2) { __typename edges { node { id name price { amount } category { name } } } } }')).toBe(true);
    expect(check('query($s: Boolean!) { product(id: "1") { name stock @include(if: $s) } }')).toBe(false);
    expect(check('{ products { edges { node { ...F } } } } fragment F on Product { stock }')).toBe(false);
    expect(check('{ products { totalCount } me { id } }')).toBe(false);
    expect(check('{ __schema { types { name } } }')).toBe(false);
  });
});

describe('the budget a hit spends', () => {
  it('defaults to the product subgraph’s own Query budget, so hits and misses spend alike', () => {
    const productSdl = readFileSync(fileURLToPath(new URL('../../subgraphs/product/schema.graphql', import.meta.url)), 'utf8');
    const m = /type Query @rateLimit\(limit: (\d+), duration: (\d+)\)/.exec(productSdl);
    expect(m).not.toBeNull();
    const { publicCache } = loadConfig({}).router;
    expect({ limit: publicCache.budgetLimit, duration: publicCache.budgetSeconds }).toEqual({ limit: Number(m![1]), duration: Number(m![2]) });
  });

  it('RATE_LIMITS’ Query override and RATE_LIMIT_SCALE apply as in the subgraphs', () => {
    expect(effectiveBudget({ limit: 3000, duration: 60 }, { scale: 2, overrides: {} })).toEqual({ limit: 6000, duration: 60 });
    expect(effectiveBudget({ limit: 3000, duration: 60 }, { scale: 0.5, overrides: { Query: { limit: 100, duration: 10 } } })).toEqual({ limit: 50, duration: 10 });
  });

  it('charges a page by its size, also when the size is a variable left to its declared default', async () => {
    const gateway = new ApolloGateway({ supergraphSdl: sdl });
    const { schema } = await gateway.load();
    await gateway.stop();
    // 100 points: a page of 60 passes, a second one does not, however the 60 is written.
    for (const [q, variables] of [
      ['{ products(first: 60) { totalCount } }', {}],
      ['query($n: Int) { products(first: $n) { totalCount } }', { n: 60 }],
      ['query($n: Int = 60) { products(first: $n) { totalCount } }', {}],
    ] as const) {
      const budget = visitorBudget(openStore(undefined), { limit: 100, duration: 60 }, sdl);
      const charge = () => budget.charge(schema, parse(q), variables, '203.0.113.7');
      expect(await charge()).toEqual({ ok: true });
      expect((await charge()).ok, q).toBe(false);
    }
  });
});
