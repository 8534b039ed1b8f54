import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '@palisade/kit/testing/index';
import { createTestEnvironment, type TestEnvironment } from './harness/supergraph.ts';

// A stand-in OpenTelemetry collector: the real OTLP/HTTP exporter sends it what the services record.
interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  events?: { name: string; attributes?: { key: string; value: { stringValue?: string } }[] }[];
  /** The service.name of the resource the span was exported under. */
  service?: string;
}
interface OtlpBatch {
  resourceSpans: { resource?: { attributes?: { key: string; value: { stringValue?: string } }[] }; scopeSpans: { spans: OtlpSpan[] }[] }[];
}
const received: OtlpSpan[] = [];
let collector: Server;
let env: TestEnvironment;

beforeAll(async () => {
  collector = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      if (req.url === '/v1/traces') {
        const batch = JSON.parse(body) as OtlpBatch;
        for (const r of batch.resourceSpans) {
          const service = r.resource?.attributes?.find((a) => a.key === 'service.name')?.value.stringValue;
          for (const s of r.scopeSpans) received.push(...s.spans.map((span) => ({ ...span, service })));
        }
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((r) => collector.listen(0, '127.0.0.1', r));
  const endpoint = `http://127.0.0.1:${(collector.address() as { port: number }).port}`;
  env = await createTestEnvironment({ config: { tracing: { endpoint, exportDelayMs: 100 } } });
});
afterAll(async () => {
  await env?.stop();
  collector?.close();
});

describe('traces exported over OTLP', () => {
  it('follow one request from the router through a subgraph resolver down to its SQL', async () => {
    const res = await fetch(env.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: 'query Traced { products(first: 2) { totalCount } }' }) });
    expect((await res.json()).data.products.totalCount).toBeGreaterThan(0);

    const find = () => received.find((s) => s.name === 'Query.products' && s.events?.some((e) => e.name === 'db.statement'));
    await waitFor(async () => Boolean(find()), 'the resolver span with its SQL reaching the collector', 10_000);
    const resolver = find();
    expect(resolver).toBeDefined();
    const trace = received.filter((s) => s.traceId === resolver!.traceId);
    const byId = new Map(trace.map((s) => [s.spanId, s]));
    // The resolver's ancestry reaches the router's span for the client request, within one trace.
    const chain: string[] = [];
    for (let s: OtlpSpan | undefined = resolver; s; s = s.parentSpanId ? byId.get(s.parentSpanId) : undefined) chain.push(s.name);
    expect(chain[0]).toBe('Query.products');
    expect(chain).toContain('product.graphql');
    expect(chain.at(-1)).toBe('router.graphql');
    const statements = resolver!.events!.filter((e) => e.name === 'db.statement').map((e) => e.attributes?.find((a) => a.key === 'db.statement')?.value.stringValue ?? '');
    expect(statements.some((sql) => sql.includes('"products"."products"'))).toBe(true);
  });

  it('label each span with the service that made it, though every service runs in this one process', async () => {
    const res = await fetch(env.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: 'query Labelled { categories { id } products(first: 1) { totalCount } }' }) });
    expect((await res.json()).errors).toBeUndefined();
    const spanOf = (name: string) => received.find((s) => s.name === name && s.service);
    await waitFor(async () => Boolean(spanOf('router.graphql') && spanOf('product.graphql')), 'router and product spans reaching the collector', 10_000);
    expect(spanOf('router.graphql')!.service).toBe('palisade-router');
    expect(spanOf('product.graphql')!.service).toBe('palisade-product');
    // Every span of a service's own making carries that service's name, and the subgraphs' resolver spans theirs.
    for (const s of received.filter((x) => /^(router|user|product|order|security)\.graphql$/.test(x.name))) expect(s.service).toBe(`palisade-${s.name.split('.')[0]}`);
    expect(received.find((s) => s.name === 'Query.products')?.service).toBe('palisade-product');
  });
});
