import type { DocumentNode, GraphQLResolveInfo, GraphQLSchema } from 'graphql';
import { shield, rule, allow, deny, and, or } from 'graphql-shield';

type ShieldRule = Parameters<typeof and>[0];
import { applyMiddleware } from 'graphql-middleware';
import { readAccessAnnotations, requirementsFor, type Requirement } from './access-annotations.ts';
import { ALL_SCOPES } from './roles.ts';
import { ErrorCode, forbidden, PublicError, unauthenticated } from './errors.ts';
import { inputViolations, readInputGuards } from './input-guards.ts';
import type { Caller } from './caller.ts';

export interface AccessContext {
  caller: Caller;
}

/** An ownership or other data-dependent rule, decided by the subgraph that owns the data. */
export type Policy = (
  ctx: AccessContext,
  parent: unknown,
  args: Record<string, unknown>,
  info: GraphQLResolveInfo,
) => boolean | Promise<boolean>;

export type PolicyTable = Readonly<Record<string, Policy>>;

/** `user:self`: the signed-in user reading their own User object, the same rule in every subgraph that extends User. */
export const userSelf: Policy = (ctx, parent) => Boolean(ctx.caller.userId) && (parent as { id?: string } | null)?.id === ctx.caller.userId;

/**
 * A subgraph's policies, typed with its own request context (loaders, services), so a policy can load the
 * object an argument names. The subgraph's createContext is what makes the context this type.
 */
export const definePolicies = <C extends AccessContext>(
  table: Readonly<Record<string, (ctx: C, parent: unknown, args: Record<string, unknown>, info: GraphQLResolveInfo) => boolean | Promise<boolean>>>,
): PolicyTable => table as unknown as PolicyTable;


export interface AccessHooks {
  /** Told once per denied field per request, e.g. to audit `access.denied`. */
  onDenied?: (ctx: AccessContext, coordinate: string) => void;
}

const deniedFor = (caller: Caller) => (caller.userId ? forbidden() : unauthenticated());
const reported = new WeakMap<object, Set<string>>();

/** The refusal a field ends with, once every alternative failed: reported once per field per request. */
function refusal(ctx: AccessContext, info: GraphQLResolveInfo, hooks: AccessHooks) {
  const coordinate = `${info.parentType.name}.${info.fieldName}`;
  let seen = reported.get(ctx);
  if (!seen) reported.set(ctx, (seen = new Set()));
  if (!seen.has(coordinate)) {
    seen.add(coordinate);
    hooks.onDenied?.(ctx, coordinate);
  }
  return deniedFor(ctx.caller);
}

/**
 * Builds graphql-shield rules from the SDL's access annotations. A field with no annotation on it or
 * its type falls to `deny`, so forgetting an annotation closes the field instead of opening it. Atoms
 * answer true or false: one alternative failing inside an `or` is not a denial.
 */
export function buildShieldRules(typeDefs: DocumentNode, policies: PolicyTable, hooks: AccessHooks = {}) {
  const map = readAccessAnnotations(typeDefs);
  const guards = readInputGuards(typeDefs);
  const cache = new Map<string, ShieldRule>();
  const atom = (name: string, make: () => ShieldRule) => {
    let r = cache.get(name);
    if (!r) cache.set(name, (r = make()));
    return r;
  };

  const authenticated = atom('authenticated', () =>
    rule('authenticated', { cache: 'contextual' })((_p, _a, ctx: AccessContext) => Boolean(ctx.caller.userId)),
  );
  const scope = (s: string) =>
    atom(`scope:${s}`, () =>
      rule(`scope:${s}`, { cache: 'contextual' })((_p, _a, ctx: AccessContext) => ctx.caller.scopes.includes(s)),
    );
  const policy = (name: string) => {
    // "Signed in" as one alternative among others, e.g. [["authenticated"], ["user:issued"]].
    if (name === 'authenticated') return authenticated;
    const fn = policies[name];
    if (!fn) {
      // A scope name inside @policy means "holds that scope", so ownership OR a scope reads naturally in SDL.
      if (ALL_SCOPES.includes(name)) return scope(name);
      throw new Error(`@policy names "${name}", which is neither a policy of this subgraph nor a scope`);
    }
    return atom(`policy:${name}`, () =>
      rule(`policy:${name}`, { cache: 'no_cache' })(async (parent, args, ctx: AccessContext, info) =>
        Boolean(await fn(ctx, parent, args, info)),
      ),
    );
  };
  const anyOfAll = (groups: string[][], one: (n: string) => ShieldRule): ShieldRule => {
    const alts = groups.map((g) => (g.length === 1 ? one(g[0]!) : and(...g.map(one))));
    return (alts.length === 1 ? alts[0]! : or(...alts));
  };
  const ruleFor = (r: Requirement): ShieldRule => {
    switch (r.kind) {
      case 'public':
        return allow;
      case 'authenticated':
        return authenticated;
      case 'scopes':
        return anyOfAll(r.anyOf, scope);
      case 'policy':
        return anyOfAll(r.anyOf, policy);
    }
  };

  // Setting a guarded argument or input field needs its own scopes; the error names the input, never its value.
  const inputRule = (key: string, args: Parameters<typeof inputViolations>[1]) =>
    rule(`inputs:${key}`, { cache: 'no_cache' })((_p, values, ctx: AccessContext) => {
      const [first] = inputViolations(guards, args, values, ctx.caller.scopes);
      if (!first) return true;
      const at = first.path.join('.');
      hooks.onDenied?.(ctx, `${key}(${at})`);
      if (!ctx.caller.userId) return unauthenticated();
      return new PublicError(ErrorCode.FORBIDDEN, `Setting ${at} needs ${first.anyOf.map((g) => g.join(' and ')).join(' or ')}`, { field: at });
    });

  const tree: Record<string, Record<string, ShieldRule>> = {};
  for (const key of map.allFields) {
    const [typeName, fieldName] = key.split('.') as [string, string];
    const reqs = requirementsFor(map, typeName, fieldName);
    const nonPublic = reqs.filter((r) => r.kind !== 'public');
    let fieldRule: ShieldRule;
    if (reqs.length === 0) fieldRule = deny; // nobody annotated it: closed to everyone
    else if (nonPublic.length === 0) fieldRule = allow;
    else fieldRule = (nonPublic.length === 1 ? ruleFor(nonPublic[0]!) : and(...nonPublic.map(ruleFor)));
    const guardedArgs = guards.roots.get(key);
    if (guardedArgs) fieldRule = and(fieldRule, inputRule(key, guardedArgs));
    (tree[typeName] ??= {})[fieldName] = fieldRule;
  }
  return tree;
}

/**
 * Fields the federation runtime adds. The signed context already proved the router is asking, and
 * each entity's own type rules still guard every field `_entities` returns.
 */
function federationRules(schema: GraphQLSchema): Record<string, Record<string, ShieldRule>> {
  const query = schema.getQueryType()?.getFields() ?? {};
  const rules: Record<string, Record<string, ShieldRule>> = {};
  for (const f of ['_service', '_entities']) if (query[f]) (rules.Query ??= {})[f] = allow;
  if (schema.getType('_Service')) rules._Service = { sdl: allow };
  return rules;
}

export function applyAccessRules(schema: GraphQLSchema, typeDefs: DocumentNode, policies: PolicyTable, hooks: AccessHooks = {}): GraphQLSchema {
  const tree = buildShieldRules(typeDefs, policies, hooks);
  for (const [type, fields] of Object.entries(federationRules(schema))) tree[type] = { ...tree[type], ...fields };
  const permissions = shield(tree as never, {
    fallbackRule: deny,
    fallbackError: (thrown, _parent, _args, ctx, info) => {
      // A rule that threw (a policy's bug) is an error to mask, not an access decision.
      if (thrown instanceof Error) return thrown;
      return refusal(ctx as unknown as AccessContext, info, hooks);
    },
    allowExternalErrors: true,
    debug: false,
  });
  return applyMiddleware(schema, permissions);
}
