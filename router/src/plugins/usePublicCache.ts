import { createHash } from 'node:crypto';
import type { ApolloServerPlugin, GraphQLResponse, HTTPGraphQLHead } from '@apollo/server';
import { HeaderMap } from '@apollo/server';
import type { DocumentNode, GraphQLSchema } from 'graphql';
import { ErrorCode, stableStringify } from '@palisade/auth';
import type { Logger, PalisadeConfig, ServiceMetrics, Store } from '@palisade/kit';
import type { RouterContext } from '../context.ts';
import type { AuditForwarder } from './useAuditForwarding.ts';
import { cacheEntries } from './public-cache/entries.ts';
import { onlyFields, publicProductFields } from './public-cache/public-fields.ts';
import { effectiveBudget, visitorBudget } from './public-cache/visitor-budget.ts';

export interface PublicCacheOptions {
  settings: PalisadeConfig['router']['publicCache'];
  rateLimits: PalisadeConfig['rateLimits'];
  supergraphSdl: string;
  store: Store;
  metrics: ServiceMetrics;
  audit: AuditForwarder;
  log: Logger;
}

const PRIVATE = 'private, no-store';

/**
 * Anonymous visitors of the catalog are one audience: the answer to a query whose every field is public and
 * answered by the product subgraph is the same for all of them, so the router keeps it (in Redis, shared by
 * replicas; in this process without Redis) and answers the next visitor without a subgraph call.
 *
 * Who shares an entry: only callers without a token, session, role or scope, and not the console. A signed-in
 * caller never reads or writes one, even for public fields (conservative: nothing proves today that no public
 * answer depends on who asks, e.g. includeInactive is honoured for managers). The key is the document's hash,
 * the operation name and the variables (canonical JSON); nothing else the router honours changes a public
 * answer for an anonymous caller (the client address and user agent only choose budgets and signals).
 *
 * What still happens on a hit: authentication, operation limits and threat signals (they run before
 * `responseForOperation`), metrics, and the visitor's product `Query` budget (spent as the subgraph would).
 * Errors and partial answers are never stored. Freshness: entries carry the catalog version they were
 * computed under; the product subgraph sets a new one after every committed change, so the next lookup misses.
 */
export function usePublicCache(o: PublicCacheOptions): ApolloServerPlugin<RouterContext> {
  const ttl = o.settings.maxAgeSeconds;
  const fields = publicProductFields(o.supergraphSdl);
  const entries = cacheEntries(o.store, { maxEntries: o.settings.memoryEntries });
  const budget = visitorBudget(o.store, effectiveBudget({ limit: o.settings.budgetLimit, duration: o.settings.budgetSeconds }, o.rateLimits), o.supergraphSdl);
  const hits = o.metrics.counter('palisade_public_cache_hits_total', 'Anonymous queries answered from the public cache');
  const misses = o.metrics.counter('palisade_public_cache_misses_total', 'Cacheable anonymous queries the public cache could not answer');
  const invalidations = o.metrics.counter('palisade_public_cache_invalidations_total', 'Cached answers found stale because the catalog changed after they were stored');
  // Whether a document is all public, by its hash: the walk is done once per distinct document.
  const verdicts = new Map<string, boolean>();
  const allPublic = (hash: string, schema: GraphQLSchema, document: DocumentNode) => {
    let v = verdicts.get(hash);
    if (v === undefined) {
      if (verdicts.size >= 1_000) verdicts.clear();
      verdicts.set(hash, (v = onlyFields(schema, document, fields)));
    }
    return v;
  };

  return {
    async requestDidStart() {
      if (ttl === 0) return {};
      let key: string | null = null;
      let version: string | null = null;
      let hit = false;
      return {
        async didResolveOperation({ operation, document, schema, request, queryHash, contextValue }) {
          if (operation?.operation !== 'query' || !isAnonymous(contextValue, request.http?.headers.get('authorization'))) return;
          if (!allPublic(queryHash, schema, document)) return;
          key = createHash('sha256').update(stableStringify([queryHash, request.operationName ?? null, request.variables ?? {}])).digest('base64url');
        },
        async responseForOperation({ document, schema, request, contextValue }): Promise<GraphQLResponse | null> {
          if (!key) return null;
          const found = await entries.lookup(key).catch((err: Error) => {
            o.log.warn({ err: err.message }, 'public cache unavailable; answering without it');
            return null;
          });
          // No version: the product subgraph has not announced one in this store, so no change would reach us.
          if (!found?.version) return (key = null);
          version = found.version;
          if (found.stale) invalidations.inc();
          if (!found.entry) {
            misses.inc();
            return null;
          }
          const charged = await budget.charge(schema, document, request.variables ?? {}, contextValue.caller.ip).catch(() => null);
          // The budget's store did not answer: let the subgraph charge it (its limiter has a local fallback).
          if (!charged) return (key = null);
          if (!charged.ok) {
            key = null;
            o.audit.record(contextValue.caller, { action: 'rate_limit.exceeded', outcome: 'DENIED', resourceType: 'Field', resourceId: 'Query', metadata: { retryAfterSeconds: charged.retryAfterSeconds } });
            return throttled(charged.retryAfterSeconds);
          }
          hit = true;
          hits.inc();
          const age = Math.max(0, Math.floor((Date.now() - found.entry.storedAt) / 1000));
          return { http: head({ 'cache-control': `public, max-age=${ttl}`, age: String(age) }), body: { kind: 'single', singleResult: { data: JSON.parse(found.entry.body) as Record<string, unknown> } } };
        },
        async willSendResponse({ response }) {
          if (hit) return;
          const single = response.body.kind === 'single' ? response.body.singleResult : null;
          const storable = key && version && single && !single.errors?.length && single.data && response.http.status === undefined;
          if (!storable) return void response.http.headers.set('cache-control', PRIVATE);
          const body = JSON.stringify(single.data);
          if (Buffer.byteLength(body) > o.settings.maxEntryBytes) return void response.http.headers.set('cache-control', PRIVATE);
          response.http.headers.set('cache-control', `public, max-age=${ttl}`);
          entries.save(key!, { version: version!, storedAt: Date.now(), body }, ttl).catch((err: Error) => o.log.warn({ err: err.message }, 'public cache: answer not stored'));
        },
      };
    },
  };
}

function isAnonymous(ctx: RouterContext, authorization: string | undefined): boolean {
  const c = ctx.caller;
  return !authorization && !ctx.console && c.userId === null && c.sessionId === null && c.roles.length === 0 && c.scopes.length === 0;
}

function head(headers: Record<string, string>): HTTPGraphQLHead {
  const map = new HeaderMap();
  for (const [k, v] of Object.entries(headers)) map.set(k, v);
  return { status: undefined, headers: map };
}

/** What the product subgraph answers a visitor whose budget is spent (kit/src/rate-limits.ts), here for a hit. */
function throttled(retryAfterSeconds: number): GraphQLResponse {
  const message = `Too many requests; try again in ${retryAfterSeconds} s`;
  return {
    http: head({ 'cache-control': PRIVATE }),
    body: { kind: 'single', singleResult: { data: null, errors: [{ message, extensions: { code: ErrorCode.RATE_LIMITED, retryAfterSeconds } }] } },
  };
}
