import { context, propagation, trace, type Context, type Span, type Tracer } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { AlwaysOffSampler, BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { Resource } from '@opentelemetry/resources';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import type { IncomingHttpHeaders } from 'node:http';

let installed = false;
let recording = false;

/**
 * Trace context is always on (so logs carry trace ids and W3C traceparent flows router → subgraphs); spans
 * are recorded only when OTEL_EXPORTER_OTLP_ENDPOINT names a collector to send them to (sampled as
 * OTEL_TRACES_SAMPLER says): a span nobody exports costs CPU on every request and tells nobody anything.
 */
export function installTracing(serviceName: string): void {
  if (installed) return;
  installed = true;
  const endpoint = process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
  recording = Boolean(endpoint);
  const provider = new BasicTracerProvider({
    resource: new Resource({ 'service.name': process.env.OTEL_SERVICE_NAME ?? `palisade-${serviceName}` }),
    spanProcessors: endpoint ? [new BatchSpanProcessor(new OTLPTraceExporter({ url: `${endpoint.replace(/\/$/, '')}/v1/traces` }))] : [],
    ...(endpoint ? {} : { sampler: new AlwaysOffSampler() }),
  });
  provider.register({ contextManager: new AsyncLocalStorageContextManager().enable(), propagator: new W3CTraceContextPropagator() });
}

export const tracer = (name: string) => trace.getTracer(`palisade-${name}`);

/** The context a request arrived with (its traceparent), to continue the caller's trace. */
export function extractContext(headers: IncomingHttpHeaders): Context {
  return propagation.extract(context.active(), headers);
}

/** Writes traceparent (and tracestate) for the active span into outgoing headers. */
export function injectTraceHeaders(set: (key: string, value: string) => void): void {
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  for (const [k, v] of Object.entries(carrier)) set(k, v);
}

export const traceIdOf = (span: Span | undefined) => {
  const id = span?.spanContext().traceId;
  return id && id !== '00000000000000000000000000000000' ? id : undefined;
};

/** Runs `fn` inside a new span that ends (recording failure) when it settles. */
export async function inSpan<T>(t: ReturnType<typeof tracer>, name: string, parent: Context, fn: (span: Span) => Promise<T>): Promise<T> {
  return t.startActiveSpan(name, {}, parent, async (span) => {
    try {
      return await fn(span);
    } catch (err) {
      span.recordException(err as Error);
      span.setStatus({ code: 2 });
      throw err;
    } finally {
      span.end();
    }
  });
}

type Resolver = (...args: unknown[]) => unknown;
const ROOT_TYPES = new Set(['Query', 'Mutation']);

/**
 * Gives every root field and entity lookup — the resolvers that reach the database — a span of its own, the
 * parent of the statements it runs (see `recordStatement`). Other fields resolve from what these loaded.
 * Without an exporter (see installTracing) nothing is recorded, so resolvers stay as they are.
 */
export function traceResolvers<T extends Record<string, Record<string, unknown>>>(t: Tracer, resolvers: T): T {
  if (!recording) return resolvers;
  const wrap = (name: string, fn: Resolver): Resolver =>
    function traced(this: unknown, ...args: unknown[]) {
      return t.startActiveSpan(name, (span) => {
        const end = (err?: unknown) => {
          if (err) {
            span.recordException(err as Error);
            span.setStatus({ code: 2 });
          }
          span.end();
        };
        try {
          const result = fn.apply(this, args);
          if (result instanceof Promise) return result.then((v) => (end(), v), (err) => (end(err), Promise.reject(err)));
          end();
          return result;
        } catch (err) {
          end(err);
          throw err;
        }
      });
    };
  const out: Record<string, Record<string, unknown>> = {};
  for (const [type, fields] of Object.entries(resolvers)) {
    out[type] = Object.fromEntries(
      Object.entries(fields).map(([field, r]) => {
        const traced = ROOT_TYPES.has(type) || field === '__resolveReference';
        if (!traced) return [field, r];
        if (typeof r === 'function') return [field, wrap(`${type}.${field}`, r as Resolver)];
        if (r && typeof r === 'object' && typeof (r as { resolve?: unknown }).resolve === 'function')
          return [field, { ...r, resolve: wrap(`${type}.${field}`, (r as { resolve: Resolver }).resolve) }];
        return [field, r];
      }),
    );
  }
  return out as T;
}

/** Notes a SQL statement (text only, never its parameters) on the span that issued it. */
export function recordStatement(statement: string): void {
  const span = trace.getActiveSpan();
  if (span?.isRecording()) span.addEvent('db.statement', { 'db.system': 'postgresql', 'db.statement': statement.slice(0, 2_000) });
}
