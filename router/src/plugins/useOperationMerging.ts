import type { GatewayExecutionResult, GatewayExecutor, GatewayInterface } from '@apollo/server-gateway-interface';
import { stableStringify, type Caller } from '@palisade/auth';
import type { Counter } from 'prom-client';
import type { RouterContext } from '../context.ts';

export interface OperationMergingOptions {
  /** Counts requests answered by another request's execution. */
  merged?: Counter<string>;
}

/**
 * Identical queries from the same caller that arrive while one of them is executing share that execution:
 * a storefront polling, a double-clicked button or a client retrying spend the subgraphs once. The caller is
 * part of the key — user, session, scopes, IP and user agent, everything the signed context tells a subgraph
 * — so no answer ever reaches someone other than the caller it was computed for. Mutations never merge.
 *
 * Every merged request still runs its own authentication, limits, metrics and logging; only the execution
 * (plan, subgraph fetches, result shaping) is shared. A request may thus be answered with data read up to one
 * execution earlier than it arrived (as with Apollo Router's and Hive's deduplication), except that a caller's
 * own mutation always ends the merging of that caller's queries begun before it: reads follow the caller's writes.
 */
export function useOperationMerging(gateway: GatewayInterface, o: OperationMergingOptions = {}): GatewayInterface {
  return {
    onSchemaLoadOrUpdate: (callback) => gateway.onSchemaLoadOrUpdate(callback),
    stop: () => gateway.stop(),
    async load(options) {
      const loaded = await gateway.load(options);
      return { ...loaded, executor: loaded.executor && mergeInFlight(loaded.executor, o) };
    },
  };
}

export function callerKey(c: Caller): string {
  // requestId is deliberately absent: it differs for every request of the same caller.
  return JSON.stringify([c.userId, c.sessionId, c.roles, c.scopes, c.ip, c.userAgent]);
}

function mergeInFlight(execute: GatewayExecutor, o: OperationMergingOptions): GatewayExecutor {
  // caller → operation → the execution answering it.
  const inFlight = new Map<string, Map<string, Promise<GatewayExecutionResult>>>();
  return (requestContext) => {
    const caller = (requestContext.context as Partial<RouterContext>).caller;
    if (!caller) return execute(requestContext);
    const who = callerKey(caller);
    if (requestContext.operation.operation !== 'query') {
      // The caller's queries from here on must see this change: none of them joins an execution begun before it.
      inFlight.delete(who);
      return execute(requestContext);
    }
    const { operationName, variables } = requestContext.request;
    const what = `${requestContext.queryHash}\0${operationName ?? ''}\0${stableStringify(variables ?? {})}`;
    const running = inFlight.get(who)?.get(what);
    if (running) {
      o.merged?.inc();
      // Each request gets its own result object: Apollo Server and plugins may decorate what they send.
      return running.then((r) => ({ ...r }));
    }
    const execution = execute(requestContext).finally(() => {
      const mine = inFlight.get(who);
      if (mine?.get(what) !== execution) return;
      mine.delete(what);
      if (mine.size === 0) inFlight.delete(who);
    });
    let mine = inFlight.get(who);
    if (!mine) inFlight.set(who, (mine = new Map()));
    mine.set(what, execution);
    return execution;
  };
}
