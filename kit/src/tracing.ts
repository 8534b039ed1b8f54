import { context, propagation, trace, type Context, type Span, type Tracer, type TracerProvider } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { AlwaysOffSampler, BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { Resource } from '@opentelemetry/resources';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import type { IncomingHttpHeaders } from 'node:http';

export interface TracingSettings {
  /** OTEL_EXPORTER_OTLP_ENDPOINT: the collector spans go to; null records none. */
  endpoint: string | null;
  /** OTEL_SERVICE_NAME: the name spans are exported under, instead of palisade-<service>. */
  serviceName: string | null;
  /** OTEL_BSP_SCHEDULE_DELAY: milliseconds between exports. */
  exportDelayMs: number;
}

const NOT_EXPORTED: TracingSettings = { endpoint: null, serviceName: null, exportDelayMs: 5_000 };

/**
 * One tracer provider per service, each with its own resource, so that with every service in one process
 * (`npm start`, the e2e harness) each span still says which service made it. Context and propagation are
 * process-wide; tracers that are not ours (the gateway's plan and fetch spans) belong to the router.
 */
const providers = new Map<string, BasicTracerProvider>();
const recording = new WeakSet<Tracer>();
let routerProvider: BasicTracerProvider | null = null;
let globalsInstalled = false;
const silent = new BasicTracerProvider({ sampler: new AlwaysOffSampler() });

// Asks for the router's provider at each span, so a library tracer taken before the router started still finds it.
const libraryTracers: TracerProvider = {
  getTracer(name, version, options) {
    const current = () => (routerProvider ?? silent).getTracer(name, version, options);
    return {
      startSpan: (...args: Parameters<Tracer['startSpan']>) => current().startSpan(...args),
      startActiveSpan: ((...args: unknown[]) => (current().startActiveSpan as (...a: unknown[]) => unknown)(...args)) as Tracer['startActiveSpan'],
    };
  },
};

function installGlobals() {
  if (globalsInstalled) return;
  globalsInstalled = true;
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  trace.setGlobalTracerProvider(libraryTracers);
}

/**
 * The tracer of one service. Trace context is always on (so logs carry trace ids and W3C traceparent flows
 * router → subgraphs); spans are recorded only when an endpoint names a collector to send them to: a span
 * nobody exports costs CPU on every request and tells nobody anything.
 */
export function installTracing(service: string, settings: TracingSettings = NOT_EXPORTED): Tracer {
  installGlobals();
  const name = settings.serviceName ?? `palisade-${service}`;
  const key = JSON.stringify([name, settings.endpoint, settings.exportDelayMs]);
  let provider = providers.get(key);
  if (!provider) {
    const endpoint = settings.endpoint?.replace(/\/$/, '');
    provider = new BasicTracerProvider({
      resource: new Resource({ 'service.name': name }),
      spanProcessors: endpoint ? [new BatchSpanProcessor(new OTLPTraceExporter({ url: `${endpoint}/v1/traces` }), { scheduledDelayMillis: settings.exportDelayMs })] : [],
      ...(endpoint ? {} : { sampler: new AlwaysOffSampler() }),
    });
    providers.set(key, provider);
  }
  if (service === 'router') routerProvider = provider;
  const t = provider.getTracer(`palisade-${service}`);
  if (settings.endpoint) recording.add(t);
  return t;
}

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
export async function inSpan<T>(t: Tracer, name: string, parent: Context, fn: (span: Span) => Promise<T>): Promise<T> {
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
  if (!recording.has(t)) return resolvers;
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
