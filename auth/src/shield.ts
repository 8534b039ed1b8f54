import type { DocumentNode, GraphQLResolveInfo, GraphQLSchema } from 'graphql';
import { allow, applyAccessChecks, deny, every, oncePerObject, some, type AccessCheck } from './access-check.ts';
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

/** Tells the hook of a denial once per coordinate per request: a hundred aliases of one refusal are one audit record. */
function reportOnce(ctx: AccessContext, coordinate: string, hooks: AccessHooks) {
  let seen = reported.get(ctx);
  if (!seen) reported.set(ctx, (seen = new Set()));
  if (seen.has(coordinate)) return;
  seen.add(coordinate);
  hooks.onDenied?.(ctx, coordinate);
}

/** The refusal a field ends with, once every alternative failed: reported once per field per request. */
function refusal(ctx: AccessContext, info: GraphQLResolveInfo, hooks: AccessHooks) {
  reportOnce(ctx, `${info.parentType.name}.${info.fieldName}`, hooks);
  return deniedFor(ctx.caller);
}

/**
 * Builds each field's access check from the SDL's access annotations. A field with no annotation on it or
 * its type is refused, so forgetting an annotation closes the field instead of opening it. Atoms answer
 * true or false: one alternative failing inside an `or` is not a denial. A type's own requirements are
 * decided once per object (oncePerObject); the field's own, per field.
 */
export function buildShieldRules(typeDefs: DocumentNode, policies: PolicyTable, hooks: AccessHooks = {}) {
  const map = readAccessAnnotations(typeDefs);
  const guards = readInputGuards(typeDefs);
  const cache = new Map<string, AccessCheck>();
  const atom = (name: string, make: () => AccessCheck) => {
    let r = cache.get(name);
    if (!r) cache.set(name, (r = make()));
    return r;
  };

  const authenticated: AccessCheck = (_p, _a, ctx) => Boolean((ctx as AccessContext).caller.userId);
  const scope = (s: string) => atom(`scope:${s}`, () => (_p, _a, ctx) => (ctx as AccessContext).caller.scopes.includes(s));
  const policy = (name: string) => {
    // "Signed in" as one alternative among others, e.g. [["authenticated"], ["user:issued"]].
    if (name === 'authenticated') return authenticated;
    const fn = policies[name];
    if (!fn) {
      // A scope name inside @policy means "holds that scope", so ownership OR a scope reads naturally in SDL.
      if (ALL_SCOPES.includes(name)) return scope(name);
      throw new Error(`@policy names "${name}", which is neither a policy of this subgraph nor a scope`);
    }
    return atom(`policy:${name}`, () => (parent, args, ctx, info) => {
      const v = fn(ctx as AccessContext, parent, args, info);
      return typeof v === 'boolean' ? v : Promise.resolve(v).then(Boolean);
    });
  };
  const anyOfAll = (groups: string[][], one: (n: string) => AccessCheck): AccessCheck => some(groups.map((g) => every(g.map(one))));
  const checkFor = (r: Requirement): AccessCheck => {
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
  const allOf = (reqs: Requirement[]) => every(reqs.filter((r) => r.kind !== 'public').map(checkFor));
  const typeChecks = new Map<string, AccessCheck>();
  const typeCheck = (typeName: string, reqs: Requirement[]) => {
    let c = typeChecks.get(typeName);
    if (!c) typeChecks.set(typeName, (c = reqs.some((r) => r.kind === 'policy') ? oncePerObject(allOf(reqs)) : allOf(reqs)));
    return c;
  };

  // Setting a guarded argument or input field needs its own scopes; the error names the input, never its value.
  const inputCheck = (key: string, args: Parameters<typeof inputViolations>[1]): AccessCheck => (_p, values, ctx) => {
    const { caller } = ctx as AccessContext;
    const [first] = inputViolations(guards, args, values, caller.scopes);
    if (!first) return true;
    const at = first.path.join('.');
    reportOnce(ctx as AccessContext, `${key}(${at})`, hooks);
    if (!caller.userId) return unauthenticated();
    return new PublicError(ErrorCode.FORBIDDEN, `Setting ${at} needs ${first.anyOf.map((g) => g.join(' and ')).join(' or ')}`, { field: at });
  };

  const tree: Record<string, Record<string, AccessCheck>> = {};
  for (const key of map.allFields) {
    const [typeName, fieldName] = key.split('.') as [string, string];
    const reqs = requirementsFor(map, typeName, fieldName);
    const own = map.fields.get(key) ?? [];
    const inherited = reqs.slice(0, reqs.length - own.length).filter((r) => r.kind !== 'public');
    const ownChecks = own.filter((r) => r.kind !== 'public');
    let check: AccessCheck;
    if (reqs.length === 0) check = deny; // nobody annotated it: closed to everyone
    else if (inherited.length === 0 && ownChecks.length === 0) check = allow;
    else check = every([...(inherited.length ? [typeCheck(typeName, inherited)] : []), ...ownChecks.map(checkFor)]);
    const guardedArgs = guards.roots.get(key);
    if (guardedArgs) check = every([check, inputCheck(key, guardedArgs)]);
    (tree[typeName] ??= {})[fieldName] = check;
  }
  return tree;
}

/**
 * Fields the federation runtime adds. The signed context already proved the router is asking, and
 * each entity's own type rules still guard every field `_entities` returns.
 */
function federationRules(schema: GraphQLSchema): Record<string, Record<string, AccessCheck>> {
  const query = schema.getQueryType()?.getFields() ?? {};
  const rules: Record<string, Record<string, AccessCheck>> = {};
  for (const f of ['_service', '_entities']) if (query[f]) (rules.Query ??= {})[f] = allow;
  if (schema.getType('_Service')) rules._Service = { sdl: allow };
  return rules;
}

/** Wraps the schema's resolvers (in place) with the access checks its annotations and policies make. */
export function applyAccessRules(schema: GraphQLSchema, typeDefs: DocumentNode, policies: PolicyTable, hooks: AccessHooks = {}): GraphQLSchema {
  const tree = buildShieldRules(typeDefs, policies, hooks);
  for (const [type, fields] of Object.entries(federationRules(schema))) tree[type] = { ...tree[type], ...fields };
  return applyAccessChecks(schema, tree, (ctx, info) => refusal(ctx as AccessContext, info, hooks));
}
