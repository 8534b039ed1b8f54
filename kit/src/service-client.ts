import { request } from 'undici';
import { bodyHash, signContext, CONTEXT_HEADER, type Caller, type ContextSigner } from '@palisade/auth';
import type { ServiceName, SubgraphName } from './config.ts';
import type { Logger } from './logger.ts';
import type { ServiceMetrics } from './metrics.ts';
import { injectTraceHeaders } from './tracing.ts';
import { circuitBreaker, isCircuitOpen, type Breaker } from './circuit-breaker.ts';
import { keepAliveAgent } from './keep-alive.ts';
import { serviceCallMetrics, type CallOutcome } from './service-client-metrics.ts';

export * from './circuit-breaker.ts';
export * from './keep-alive.ts';
export type { CallOutcome } from './service-client-metrics.ts';

/** A service call that did not answer 2xx; `status` is null when no answer came (unreachable, deadline, open circuit). */
export class ServiceCallError extends Error {
  constructor(
    message: string,
    readonly status: number | null,
    readonly outcome: Exclude<CallOutcome, 'ok'> = status === null ? 'unreachable' : status < 500 ? 'refused' : 'failed',
  ) {
    super(message);
  }
}

export interface ServiceClientOptions {
  /** The calling service, as its log lines name it; `signer` vouches for it. */
  from: ServiceName;
  signer: ContextSigner;
  /** Base URL (no /graphql) of a peer; may throw for a peer the service does not declare. */
  peers: (peer: SubgraphName) => string;
  /** The service's registry, where calls, latency and breaker states are exported. */
  metrics?: ServiceMetrics;
  log: Logger;
  /** Default deadline of one call (answer read included). */
  deadlineMs?: number;
  /** How long a peer's opened circuit fails fast before a trial call. */
  breakerResetMs?: number;
  /** Kept-alive connections per peer. */
  connections?: number;
}

export interface CallOptions {
  /** The user the call is made for, signed into it; null for the service's own background work. */
  caller?: Caller | null;
  deadlineMs?: number;
}

export interface ServiceClient {
  /** A signed POST of `payload` as JSON to `path` of `peer`; resolves with its JSON answer. */
  post<T>(peer: SubgraphName, path: string, payload: unknown, o?: CallOptions): Promise<T>;
  close(): Promise<void>;
}

export const DEFAULT_SERVICE_CALL_DEADLINE_MS = 5_000;
export const DEFAULT_SERVICE_BREAKER_RESET_MS = 10_000;

type Send = (peer: SubgraphName, url: string, payload: unknown, caller: Caller | null, headers: Record<string, string>, deadlineMs: number) => Promise<unknown>;

/**
 * The one way a service calls another: signed like the router's calls (the receiver checks the issuer and
 * that the body is what was signed), over kept-alive connections, within a deadline, behind a circuit per
 * peer, continuing the caller's trace, and counted. What the router's subgraph fetch does, between subgraphs.
 */
export function createServiceClient(o: ServiceClientOptions): ServiceClient {
  const agent = keepAliveAgent(o.connections ?? 16);
  const metrics = serviceCallMetrics(o.metrics);
  const breakers = new Map<SubgraphName, Breaker<Parameters<Send>, unknown>>();

  const send: Send = async (peer, url, payload, caller, headers, deadlineMs) => {
    const body = JSON.stringify(payload);
    headers[CONTEXT_HEADER] = await signContext(o.signer, peer, bodyHash(body), caller);
    // A timer of our own rather than AbortSignal.timeout: it is cleared when the answer is in.
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), deadlineMs);
    const stop = metrics.time(peer);
    try {
      const res = await request(url, { method: 'POST', headers, body, signal: abort.signal, dispatcher: agent });
      const text = await res.body.text();
      if (res.statusCode < 200 || res.statusCode >= 300) throw new ServiceCallError(`${peer} answered ${res.statusCode}`, res.statusCode);
      return parseAnswer(peer, res.statusCode, text);
    } catch (err) {
      if (err instanceof ServiceCallError) throw err;
      if (abort.signal.aborted) throw new ServiceCallError(`${peer} did not answer within ${deadlineMs} ms`, null, 'deadline');
      throw new ServiceCallError(`${peer} unreachable: ${(err as { code?: string }).code ?? (err as Error).name}`, null, 'unreachable');
    } finally {
      clearTimeout(timer);
      stop();
    }
  };

  const breakerFor = (peer: SubgraphName) => {
    let b = breakers.get(peer);
    if (!b) {
      b = circuitBreaker(send, {
        subject: { from: o.from, peer },
        log: o.log,
        resetMs: o.breakerResetMs ?? DEFAULT_SERVICE_BREAKER_RESET_MS,
        isFailure: peerIsAway,
        gauge: o.metrics && { metrics: o.metrics, target: peer },
      });
      breakers.set(peer, b);
    }
    return b;
  };

  return {
    async post<T>(peer: SubgraphName, path: string, payload: unknown, c: CallOptions = {}): Promise<T> {
      const url = o.peers(peer) + path; // a peer the service does not declare is a wiring bug: thrown as it is
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      // Taken here, in the caller's context, so the peer's spans join the caller's trace.
      injectTraceHeaders((k, v) => (headers[k] = v));
      try {
        const answer = await breakerFor(peer).fire(peer, url, payload, c.caller ?? null, headers, c.deadlineMs ?? o.deadlineMs ?? DEFAULT_SERVICE_CALL_DEADLINE_MS);
        metrics.count(peer, 'ok');
        return answer as T;
      } catch (err) {
        const failure = isCircuitOpen(err)
          ? new ServiceCallError(`${peer} keeps failing: calls to it fail fast until a trial call succeeds`, null, 'circuit_open')
          : err instanceof ServiceCallError
            ? err
            : new ServiceCallError(`${peer} call failed: ${(err as Error).message}`, null, 'unreachable');
        metrics.count(peer, failure.outcome);
        throw failure;
      }
    },
    async close() {
      for (const b of breakers.values()) b.shutdown();
      await agent.close();
    },
  };
}

function parseAnswer(peer: string, status: number, text: string): unknown {
  try {
    return text ? JSON.parse(text) : null;
  } catch {
    throw new ServiceCallError(`${peer} answered ${status} with something other than JSON`, status, 'failed');
  }
}

/**
 * What opens a peer's circuit: no answer in time, or a gateway saying the peer is away (502, 503, 504). Any
 * other answer (a 400, a 401, even a 500 over one poisoned record) comes from a peer that is up and deciding;
 * failing fast would only hold back the calls it would answer.
 */
function peerIsAway(err: unknown): boolean {
  if (!(err instanceof ServiceCallError)) return true;
  return err.status === null || err.status === 502 || err.status === 503 || err.status === 504;
}
