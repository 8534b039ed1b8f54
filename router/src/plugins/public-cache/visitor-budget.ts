import { Kind, parse, TypeInfo, valueFromASTUntyped, visit, visitWithTypeInfo, type ConstDirectiveNode, type DocumentNode, type GraphQLSchema } from 'graphql';
import { clientAddressKey, listSizeOf, pageCost, type RedisStore, type Store } from '@palisade/kit';

/** A per-address budget: points over a fixed window of seconds. */
export interface Budget {
  limit: number;
  duration: number;
}

export type Charge = { ok: true } | { ok: false; retryAfterSeconds: number };

/*
 * rate-limiter-flexible's own script (RateLimiterRedis): the same counter, spent the same way, so a visitor's
 * hits at the router and misses at the product subgraph draw on ONE budget, shared by every replica.
 */
const INCR_TTL = `redis.call('set', KEYS[1], 0, 'EX', ARGV[2], 'NX')
local consumed = redis.call('incrby', KEYS[1], ARGV[1])
local ttl = redis.call('pttl', KEYS[1])
if ttl == -1 then
  redis.call('expire', KEYS[1], ARGV[2])
  ttl = 1000 * ARGV[2]
end
return {consumed, ttl}`;

/**
 * What a cached answer costs the visitor, charged where the product subgraph would have charged it had the
 * request reached it: its `Query` budget (`@rateLimit` on Query, scaled and overridden by RATE_LIMIT_SCALE and
 * RATE_LIMITS exactly as kit/src/rate-limits.ts does), per client address, each root field by its page size.
 * With Redis the counter is the subgraph's own key; in memory it is this router's, per process.
 */
export function visitorBudget(store: Store, budget: Budget, supergraphSdl: string) {
  const redis = store.redis;
  const prefix = redis ? (store as RedisStore).prefix : '';
  const listSizes = rootListSizes(supergraphSdl);
  const local = new Map<string, { used: number; resetAt: number }>();

  async function spend(key: string, points: number): Promise<{ used: number; msLeft: number }> {
    if (redis) {
      const [used, ttl] = (await redis.eval(INCR_TTL, 1, `${prefix}rl:${key}`, points, budget.duration)) as [number, number];
      return { used, msLeft: ttl };
    }
    const now = Date.now();
    let e = local.get(key);
    if (!e || e.resetAt <= now) {
      if (local.size > 100_000) for (const [k, v] of local) if (v.resetAt <= now) local.delete(k);
      local.set(key, (e = { used: 0, resetAt: now + budget.duration * 1000 }));
    }
    e.used += points;
    return { used: e.used, msLeft: e.resetAt - now };
  }

  return {
    /** Charges the visitor at `ip` for the root fields of the operation; refused once the budget is spent. */
    async charge(schema: GraphQLSchema, document: DocumentNode, variables: Record<string, unknown>, ip: string | null): Promise<Charge> {
      const points = costOf(schema, document, variables, listSizes);
      if (points === 0) return { ok: true };
      // kit's key for a caller without a user id: `<service>:budget:<type>:ip:<address>`.
      const r = await spend(`product:budget:Query:ip:${clientAddressKey(ip)}`, points);
      return r.used > budget.limit ? { ok: false, retryAfterSeconds: Math.max(1, Math.ceil(r.msLeft / 1000)) } : { ok: true };
    },
  };
}

/** The budget the product subgraph applies to Query: RATE_LIMITS' `Query`, else the SDL's, times the scale. */
export function effectiveBudget(sdlDefault: Budget, settings: { scale: number; overrides: Readonly<Record<string, Budget>> }): Budget {
  const chosen = settings.overrides.Query ?? sdlDefault;
  return { limit: Math.max(1, Math.round(chosen.limit * settings.scale)), duration: chosen.duration };
}

function rootListSizes(supergraphSdl: string) {
  const sizes = new Map<string, ReturnType<typeof listSizeOf>>();
  for (const d of parse(supergraphSdl).definitions) {
    if (d.kind !== Kind.OBJECT_TYPE_DEFINITION || d.name.value !== 'Query') continue;
    for (const f of d.fields ?? []) sizes.set(f.name.value, listSizeOf(f.directives as readonly ConstDirectiveNode[] | undefined));
  }
  return sizes;
}

/** The operation's cost as the subgraph's rate limit counts it (kit's pageCost per root field). */
function costOf(schema: GraphQLSchema, document: DocumentNode, variables: Record<string, unknown>, sizes: Map<string, ReturnType<typeof listSizeOf>>) {
  const info = new TypeInfo(schema);
  // An omitted variable takes its declared default, as the subgraph's coerced arguments do: `($n: Int = 500)`
  // sent without `n` costs 500 there, so it must here too.
  const declared: Record<string, unknown> = {};
  for (const d of document.definitions) {
    if (d.kind !== Kind.OPERATION_DEFINITION) continue;
    for (const v of d.variableDefinitions ?? []) if (v.defaultValue) declared[v.variable.name.value] = valueFromASTUntyped(v.defaultValue);
  }
  const values = { ...declared, ...variables };
  let points = 0;
  visit(
    document,
    visitWithTypeInfo(info, {
      Field(node) {
        if (info.getParentType()?.name !== 'Query' || node.name.value === '__typename') return;
        points += pageCost(sizes.get(node.name.value), (name) => {
          const given = node.arguments?.find((a) => a.name.value === name);
          return given ? valueFromASTUntyped(given.value, values) : undefined;
        });
      },
    }),
  );
  return points;
}
