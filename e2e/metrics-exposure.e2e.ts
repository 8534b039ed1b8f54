import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { startRouter, type RouterOptions, type RunningRouter } from '@palisade/router';
import { operationNamesFromManifest, SUBGRAPH_NAMES, type SubgraphName } from '@palisade/kit';
import { createTestEnvironment, type TestEnvironment } from './harness/supergraph.ts';

let env: TestEnvironment;
const extra: RunningRouter[] = [];
beforeAll(async () => {
  env = await createTestEnvironment();
});
afterAll(async () => {
  for (const r of extra) await r.stop();
  await env?.stop();
});

const metricsUrl = (graphqlUrl: string) => graphqlUrl.replace(/\/graphql$/, '/metrics');
/** Distinct series (sample lines) in a Prometheus text exposition. */
const seriesIn = (text: string) => new Set(text.split('\n').filter((l) => l && !l.startsWith('#')).map((l) => l.slice(0, l.lastIndexOf(' '))));
const operationLabels = (text: string) => new Set([...text.matchAll(/operation="([^"]*)"/g)].map((x) => x[1]!));
const scrape = async (url: string) => {
  const res = await fetch(url);
  expect(res.status).toBe(200);
  return res.text();
};

/** A second router over the same subgraphs, configured otherwise. */
async function routerWith(o: Partial<RouterOptions>) {
  const subgraphs = Object.fromEntries(SUBGRAPH_NAMES.map((n) => [n, env.supergraph.subgraphs[n].url])) as Record<SubgraphName, string>;
  const router = await startRouter({ config: env.config, host: '127.0.0.1', port: 0, subgraphs, store: env.supergraph.store, ...o });
  extra.push(router);
  return router;
}

describe('series labelled by what clients send', () => {
  it('stay bounded after 1,000 made-up operation names, on the router and on the subgraph they reach', async () => {
    const anon = env.asAnonymous();
    await anon.ok('query Categories { categories { id } }');
    const routerBefore = seriesIn(await scrape(metricsUrl(env.url))).size;
    const productBefore = seriesIn(await scrape(metricsUrl(env.supergraph.subgraphs.product.url))).size;

    // Half named in the document, half only in the request body (where the document need not even hold them).
    const names = fc.sample(fc.tuple(fc.stringMatching(/^[_A-Za-z][_0-9A-Za-z]{0,40}$/), fc.boolean()), { numRuns: 1000, seed: 10 });
    const send = ([name, inDocument]: [string, boolean], i: number) =>
      fetch(env.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-forwarded-for': `198.51.100.${i % 250}` },
        body: JSON.stringify(inDocument ? { query: `query ${name} { categories { id } }` } : { query: `query ${name}X { categories { id } }`, operationName: name }),
      });
    const statuses = new Set<number>();
    for (let i = 0; i < names.length; i += 25) for (const res of await Promise.all(names.slice(i, i + 25).map((n, j) => send(n, i + j)))) statuses.add(res.status);
    // A name the document does not hold is the client's mistake, not the router's.
    expect([...statuses].filter((s) => s >= 500)).toEqual([]);

    const allowed = new Set([...operationNamesFromManifest(), 'other', 'anonymous']);
    for (const url of [env.url, env.supergraph.subgraphs.product.url]) {
      const labels = operationLabels(await scrape(metricsUrl(url)));
      expect([...labels].filter((l) => !allowed.has(l))).toEqual([]);
      expect(labels).toContain('other');
    }
    expect(operationLabels(await scrape(metricsUrl(env.url)))).toContain('Categories');
    // The counter and the histogram (11 buckets, sum, count) gain an `other` series each, not 1,000 of them.
    expect(seriesIn(await scrape(metricsUrl(env.url))).size - routerBefore).toBeLessThanOrEqual(40);
    expect(seriesIn(await scrape(metricsUrl(env.supergraph.subgraphs.product.url))).size - productBefore).toBeLessThanOrEqual(40);
  });
});

describe('who reads /metrics', () => {
  it('not a request relayed by a proxy, though the proxy sits next to the service', async () => {
    for (const header of ['x-forwarded-for', 'forwarded', 'x-real-ip']) {
      const res = await fetch(metricsUrl(env.url), { headers: { [header]: '203.0.113.9' } });
      expect(res.status).toBe(404);
      expect(await res.text()).not.toContain('palisade_');
    }
  });

  it('not an address outside the allow-list', async () => {
    const router = await routerWith({ metrics: { allow: ['192.0.2.0/24'], port: null } });
    const res = await fetch(metricsUrl(router.url));
    expect(res.status).toBe(404);
    expect(await res.text()).not.toContain('palisade_');
    expect((await fetch(router.url.replace(/\/graphql$/, '/health'))).status).toBe(200);
  });

  it('on a port of its own when METRICS_PORT is set, and nowhere else', async () => {
    const router = await routerWith({ metrics: { allow: null, port: 0 } });
    expect(router.metricsPort).toBeGreaterThan(0);
    expect((await fetch(metricsUrl(router.url))).status).toBe(404);
    expect(await scrape(`http://127.0.0.1:${router.metricsPort}/metrics`)).toContain('palisade_graphql_requests_total');
    // The metrics port serves nothing else.
    expect((await fetch(`http://127.0.0.1:${router.metricsPort}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query":"{ categories { id } }"}' })).status).toBe(404);
  });
});
