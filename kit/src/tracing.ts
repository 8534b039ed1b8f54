import { context, propagation, trace, type Context, type Span } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { AlwaysOffSampler, BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { Resource } from '@opentelemetry/resources';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import type { IncomingHttpHeaders } from 'node:http';

let installed = false;

/**
 * Trace context is always on (so logs carry trace ids and W3C traceparent flows router → subgraphs); spans
 * are recorded only when OTEL_EXPORTER_OTLP_ENDPOINT names a collector to send them to (sampled as
 * OTEL_TRACES_SAMPLER says). Unexported spans were a tenth of the router's CPU and told nobody anything.
 */
export function installTracing(serviceName: string): void {
  if (installed) return;
  installed = true;
  const endpoint = process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
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
