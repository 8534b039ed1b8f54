import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { IncomingMessage } from 'node:http';
import type { BaseContext, GraphQLRequestListener } from '@apollo/server';
import { createMetrics, metricsPlugin, type ServiceMetrics } from '../src/metrics.ts';
import { ANONYMOUS_OPERATION, OTHER_OPERATION, operationLabeller, operationNamesFromManifest } from '../src/metric-labels.ts';
import { addressList, DEFAULT_METRICS_ALLOW, metricsAccess } from '../src/metrics-access.ts';

// What proxies and CDNs add in front of a service (the penetration test got metrics through several of these).
const PROXY_HEADERS = ['forwarded', 'x-forwarded-for', 'x-real-ip', 'true-client-ip', 'cf-connecting-ip', 'x-client-ip', 'via', 'x-forwarded-proto', 'x-forwarded-host', 'fastly-client-ip', 'x-original-forwarded-for'];

const graphqlName = fc.stringMatching(/^[_A-Za-z][_0-9A-Za-z]{0,40}$/);
const KNOWN = new Set(['Catalog', 'Login', 'PlaceOrder']);

/** Runs one operation through the plugin as Apollo Server would: the name the client sent, the one the document resolved to. */
async function countOperation(m: ServiceMetrics, sent: string | undefined, resolved: string | null) {
  const plugin = metricsPlugin<BaseContext>(m);
  const request = { operationName: sent };
  const listener = (await plugin.requestDidStart!({ request, contextValue: {} } as never)) as GraphQLRequestListener<BaseContext>;
  await listener.willSendResponse!({ request, operationName: resolved, response: { body: { kind: 'single', singleResult: { data: {} } } } } as never);
}

/** Distinct series (sample lines) in a Prometheus text exposition. */
const seriesIn = (text: string) => new Set(text.split('\n').filter((l) => l && !l.startsWith('#')).map((l) => l.slice(0, l.lastIndexOf(' '))));
const operationLabels = (text: string) => new Set([...text.matchAll(/operation="([^"]*)"/g)].map((x) => x[1]));

describe('metric labels fed by clients', () => {
  it('keep the number of series bounded however many names clients make up', async () => {
    const m = createMetrics('test', { knownOperations: KNOWN, allow: [] });
    await countOperation(m, 'Catalog', 'Catalog');
    const before = seriesIn(await m.registry.metrics()).size;
    const names = fc.sample(fc.tuple(graphqlName, fc.boolean()), { numRuns: 1000, seed: 11 });
    for (const [name, inDocument] of names) await countOperation(m, inDocument ? undefined : name, inDocument ? name : null);
    const text = await m.registry.metrics();
    expect([...operationLabels(text)].every((l) => KNOWN.has(l!) || l === OTHER_OPERATION || l === ANONYMOUS_OPERATION)).toBe(true);
    // One more label value (`other`) for the counter and the histogram: buckets, sum, count. Not a thousand.
    expect(seriesIn(text).size - before).toBeLessThanOrEqual(2 * 15);
    expect(operationLabels(text)).toContain('Catalog');
  });

  it('label a known operation as itself, its subgraph fetches as it, and anything else as other', () => {
    const label = operationLabeller(KNOWN);
    fc.assert(
      fc.property(graphqlName, fc.stringMatching(/^[a-z]{1,10}$/), fc.nat(50), (name, subgraph, n) => {
        const expected = KNOWN.has(name) ? name : OTHER_OPERATION;
        expect(label(name)).toBe(expected);
        expect(label(`${name}__${subgraph}__${n}`)).toBe(expected);
      }),
    );
    for (const name of KNOWN) expect(label(`${name}__product__0`)).toBe(name);
    expect(label(undefined)).toBe(ANONYMOUS_OPERATION);
    expect(label('')).toBe(ANONYMOUS_OPERATION);
  });

  it('know the trusted documents by name', () => {
    const names = operationNamesFromManifest();
    expect(names.size).toBeGreaterThan(3);
    expect(names).toContain('Catalog');
  });
});

const requestFrom = (remoteAddress: string, headers: Record<string, string> = {}) => ({ socket: { remoteAddress }, headers }) as unknown as IncomingMessage;
const octet = fc.integer({ min: 0, max: 255 });
const ipv4 = fc.tuple(octet, octet, octet, octet).map((o) => o.join('.'));
const isPrivate4 = (a: string) => {
  const [x, y] = a.split('.').map(Number) as [number, number];
  return x === 127 || x === 10 || (x === 172 && y >= 16 && y < 32) || (x === 192 && y === 168);
};
const group = fc.integer({ min: 0, max: 0xffff });
// Half of them start in or next to the unique-local range, so both answers are well represented.
const ipv6 = fc
  .tuple(fc.oneof(group, fc.integer({ min: 0xfb00, max: 0xfeff })), fc.array(group, { minLength: 7, maxLength: 7 }))
  .map(([first, rest]) => [first, ...rest].map((x) => x.toString(16)).join(':'));

describe('who may read /metrics', () => {
  const allowed = metricsAccess(DEFAULT_METRICS_ALLOW);

  it('by default, loopback and private networks only, however the address is written', () => {
    fc.assert(
      fc.property(ipv4, (address) => {
        expect(allowed(requestFrom(address))).toBe(isPrivate4(address));
        expect(allowed(requestFrom(`::ffff:${address}`))).toBe(isPrivate4(address));
      }),
      { numRuns: 2000 },
    );
    fc.assert(
      fc.property(ipv6, (address) => {
        // fc00::/7, the unique-local range: the first 7 bits of the first group are 1111110.
        expect(allowed(requestFrom(address))).toBe((parseInt(address.split(':')[0]!, 16) & 0xfe00) === 0xfc00);
      }),
    );
    expect(allowed(requestFrom('::1'))).toBe(true);
    expect(allowed(requestFrom(''))).toBe(false);
  });

  it('never what came through a proxy, whatever address the proxy has', () => {
    fc.assert(
      fc.property(fc.constantFrom('127.0.0.1', '10.1.2.3', '192.168.0.7'), fc.constantFrom(...PROXY_HEADERS), ipv4, (proxy, header, client) => {
        expect(allowed(requestFrom(proxy, { [header]: client }))).toBe(false);
      }),
    );
  });

  it('only the configured ranges when configured, and refuses ranges it cannot read', () => {
    const only = metricsAccess(['192.0.2.0/24', '2001:db8::/32']);
    fc.assert(
      fc.property(ipv4, (address) => {
        expect(only(requestFrom(address))).toBe(address.startsWith('192.0.2.'));
      }),
    );
    expect(only(requestFrom('2001:db8::5'))).toBe(true);
    expect(only(requestFrom('127.0.0.1'))).toBe(false);
    for (const bad of ['10.0.0.0/', '10.0.0.0/33', 'localhost', '::1/129', '10.0.0.0/8/8', '']) expect(() => addressList([bad]), bad).toThrow(/not an address/);
  });

  it('answers a refused scrape as a path that does not exist', async () => {
    const m = createMetrics('test', { allow: ['192.0.2.0/24'] });
    let status = 0;
    const res = { writeHead: (s: number) => (status = s), end: () => undefined };
    await expect(Promise.resolve(m.route({ req: requestFrom('127.0.0.1'), res } as never))).rejects.toMatchObject({ status: 404 });
    await m.route({ req: requestFrom('192.0.2.9'), res } as never);
    expect(status).toBe(200);
  });
});
