import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import { context, propagation, ROOT_CONTEXT, trace, TraceFlags } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { bodyHash, CONTEXT_HEADER, verifyContext } from '@palisade/auth';
import { createLogger } from '../src/logger.ts';
import { loadInternalKeys } from '../src/keyring.ts';
import { createMetrics, type ServiceMetrics } from '../src/metrics.ts';
import { createServiceClient, ServiceCallError, type ServiceClient } from '../src/service-client.ts';

/**
 * A peer as the product subgraph would be to the order subgraph: it checks each call's signature against the
 * body it received (401 otherwise) and answers per path. `/hold` never answers; `/down` answers 503;
 * `/tampered` changes the body on the way in, as a meddling proxy would.
 */
interface Seen {
  path: string;
  headers: IncomingHttpHeaders;
  body: unknown;
}
let server: Server;
let base: string;
const seen: Seen[] = [];
const held: ServerResponse[] = [];
let onRequest: ((s: Seen) => void) | null = null;
/** Resolves when the peer receives its next call: tests wait for that, never for time. */
const nextRequest = () => new Promise<Seen>((resolve) => (onRequest = resolve));

beforeAll(async () => {
  const { trusted } = await loadInternalKeys('product', ['order']);
  server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    let raw = Buffer.concat(chunks).toString('utf8');
    if (req.url === '/tampered') raw = raw.replace('"quantity":1', '"quantity":100');
    const s: Seen = { path: req.url ?? '', headers: req.headers, body: JSON.parse(raw) };
    seen.push(s);
    onRequest?.(s);
    const header = req.headers[CONTEXT_HEADER];
    try {
      await verifyContext(typeof header === 'string' ? header : null, { trusted, audience: 'product', digest: bodyHash(raw) });
    } catch {
      return void res.writeHead(401).end();
    }
    if (req.url === '/hold') return void held.push(res);
    if (req.url === '/down') return void res.writeHead(503).end();
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ echoed: s.body }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
afterAll(async () => {
  for (const res of held) res.destroy();
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const open: ServiceClient[] = [];
async function client(o: { metrics?: ServiceMetrics; breakerResetMs?: number } = {}) {
  const { signer } = await loadInternalKeys('order', []);
  const c = createServiceClient({ from: 'order', signer, peers: () => base, log: createLogger('order'), ...o });
  open.push(c);
  return c;
}
afterEach(async () => {
  vi.useRealTimers();
  while (open.length) await open.pop()!.close();
});

/** The value of one series in a Prometheus exposition, whatever order its labels come in. */
const sample = (text: string, name: string, labels: Record<string, string>) =>
  Number(
    text
      .split('\n')
      .find((l) => l.startsWith(name + '{') && Object.entries(labels).every(([k, v]) => l.includes(`${k}="${v}"`)))
      ?.split(' ')[1] ?? NaN,
  );

describe('the signed service client', () => {
  it('sends a signed body the peer accepts, and a body changed on the way is refused', async () => {
    const c = await client();
    expect(await c.post('product', '/echo', { quantity: 1 })).toEqual({ echoed: { quantity: 1 } });
    const refused = await c.post('product', '/tampered', { quantity: 1 }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ServiceCallError);
    expect(refused).toMatchObject({ status: 401, outcome: 'refused' });
  });

  it('gives up on a peer that does not answer within the deadline', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const c = await client();
    const arrived = nextRequest();
    const call = c.post('product', '/hold', { quantity: 1 }, { deadlineMs: 2_000 }).catch((e: unknown) => e);
    await arrived;
    await vi.advanceTimersByTimeAsync(1_999);
    expect(held.length).toBeGreaterThan(0); // still waiting: no answer, no give-up yet
    await vi.advanceTimersByTimeAsync(1);
    expect(await call).toMatchObject({ status: null, outcome: 'deadline', message: 'product did not answer within 2000 ms' });
  });

  it('opens the circuit after repeated failures, fails fast without calling, and closes it after one good trial', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const metrics = createMetrics('order', { allow: [] });
    const c = await client({ metrics, breakerResetMs: 1_000 });
    for (let i = 0; i < 5; i++) await expect(c.post('product', '/down', {})).rejects.toMatchObject({ status: 503, outcome: 'failed' });
    const calls = seen.length;
    const fast = await c.post('product', '/echo', {}).catch((e: unknown) => e);
    expect(fast).toBeInstanceOf(ServiceCallError);
    expect(fast).toMatchObject({ status: null, outcome: 'circuit_open', message: expect.stringMatching(/fail fast/) });
    expect(seen.length).toBe(calls); // the peer never heard of it
    const state = async () => sample(await metrics.registry.metrics(), 'palisade_circuit_breaker_state', { target: 'product' });
    expect(await state()).toBe(2);

    await vi.advanceTimersByTimeAsync(1_000);
    expect(await state()).toBe(1); // half-open: the next call is the trial
    expect(await c.post('product', '/echo', { trial: true })).toEqual({ echoed: { trial: true } });
    expect(seen.length).toBe(calls + 1);
    expect(await state()).toBe(0);
    expect(await c.post('product', '/echo', {})).toEqual({ echoed: {} });
  });

  it('does not open the circuit for refusals: a peer answering 4xx is up', async () => {
    const c = await client();
    for (let i = 0; i < 8; i++) await expect(c.post('product', '/tampered', { quantity: 1 })).rejects.toMatchObject({ status: 401 });
    expect(await c.post('product', '/echo', {})).toEqual({ echoed: {} });
  });

  it("carries the caller's trace to the peer as traceparent", async () => {
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());
    try {
      const c = await client();
      const active = trace.setSpanContext(ROOT_CONTEXT, { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', traceFlags: TraceFlags.SAMPLED });
      const arrived = nextRequest();
      await context.with(active, () => c.post('product', '/echo', {}));
      expect((await arrived).headers.traceparent).toBe('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01');
    } finally {
      propagation.disable();
      context.disable();
    }
  });

  it('exports calls by peer and outcome, and their latency, on the service registry', async () => {
    const metrics = createMetrics('order', { allow: [] });
    const c = await client({ metrics });
    await c.post('product', '/echo', {});
    await c.post('product', '/echo', {});
    await c.post('product', '/down', {}).catch(() => {});
    const text = await metrics.registry.metrics();
    expect(sample(text, 'palisade_service_calls_total', { peer: 'product', outcome: 'ok' })).toBe(2);
    expect(sample(text, 'palisade_service_calls_total', { peer: 'product', outcome: 'failed' })).toBe(1);
    expect(sample(text, 'palisade_service_call_duration_seconds_count', { peer: 'product' })).toBe(3);
    // A second client on the same service shares the series instead of failing to register them again.
    await (await client({ metrics })).post('product', '/echo', {});
    expect(sample(await metrics.registry.metrics(), 'palisade_service_calls_total', { peer: 'product', outcome: 'ok' })).toBe(3);
  });
});
