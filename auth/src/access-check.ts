import { defaultFieldResolver, isIntrospectionType, isObjectType, type GraphQLFieldResolver, type GraphQLResolveInfo, type GraphQLSchema } from 'graphql';

/**
 * The access decision of one field: true admits, false refuses (the caller hears UNAUTHENTICATED or
 * FORBIDDEN), an Error refuses with that error. Synchronous whenever its atoms are: a field decided by a
 * scope or a signed-in caller costs a function call, not a promise chain (what graphql-shield paid).
 */
export type Verdict = boolean | Error;
export type AccessCheck = (parent: unknown, args: Record<string, unknown>, ctx: object, info: GraphQLResolveInfo) => Verdict | Promise<Verdict>;

export const allow: AccessCheck = () => true;
export const deny: AccessCheck = () => false;

const isPromise = (v: unknown): v is Promise<Verdict> => typeof (v as Promise<Verdict> | null)?.then === 'function';
/** A check that throws or rejects (a policy's bug) refuses: it never opens a field. */
const settled = (v: Promise<Verdict>) => v.then((r) => r, () => false as Verdict);
function run(check: AccessCheck, ...a: Parameters<AccessCheck>): Verdict | Promise<Verdict> {
  try {
    const v = check(...a);
    return isPromise(v) ? settled(v) : v;
  } catch {
    return false;
  }
}

/**
 * Every check must admit. A check that refuses at once ends the decision: the checks after it (a policy that
 * loads a row, say) are not run for a caller already refused, so a refused caller cannot make them work.
 * Checks that answer later run together; the first Error among them (in order) wins over a plain refusal.
 */
export function every(checks: readonly AccessCheck[]): AccessCheck {
  if (checks.length === 1) return checks[0]!;
  const combine = (vs: readonly Verdict[]): Verdict => (vs.every((v) => v === true) ? true : (vs.find((v) => v instanceof Error) ?? false));
  return (...a) => {
    const vs: (Verdict | Promise<Verdict>)[] = [];
    for (const c of checks) {
      const v = run(c, ...a);
      if (v !== true && !isPromise(v)) return v;
      vs.push(v);
    }
    return vs.some(isPromise) ? Promise.all(vs).then(combine) : true;
  };
}

/** One alternative admitting is enough; with none, the first Error (in order), else a plain refusal. */
export function some(checks: readonly AccessCheck[]): AccessCheck {
  if (checks.length === 1) return checks[0]!;
  const combine = (vs: readonly Verdict[]): Verdict => (vs.some((v) => v === true) ? true : (vs.find((v) => v instanceof Error) ?? false));
  return (...a) => {
    const vs: (Verdict | Promise<Verdict>)[] = [];
    for (const c of checks) {
      const v = run(c, ...a);
      // Alternatives are pure decisions, so once one admits the rest need not be asked.
      if (v === true) return true;
      vs.push(v);
    }
    return vs.some(isPromise) ? Promise.all(vs).then(combine) : combine(vs as Verdict[]);
  };
}

/**
 * A type's own rule, decided once per object per request: every field of one Order asks the same question
 * (may this caller see this order?), so the answer is kept for the request (weakly, by context and object).
 */
export function oncePerObject(check: AccessCheck): AccessCheck {
  const byContext = new WeakMap<object, WeakMap<object, Verdict | Promise<Verdict>>>();
  return (parent, args, ctx, info) => {
    if (!parent || typeof parent !== 'object' || !ctx || typeof ctx !== 'object') return check(parent, args, ctx, info);
    let seen = byContext.get(ctx);
    if (!seen) byContext.set(ctx, (seen = new WeakMap()));
    let v = seen.get(parent);
    if (v === undefined) seen.set(parent, (v = run(check, parent, args, ctx, info)));
    return v;
  };
}

/** The error a refused field ends with (false from its check). */
export type Refusal = (ctx: object, info: GraphQLResolveInfo) => Error;

/**
 * Puts each field's check in front of its resolver, in place (outermost: it runs before rate limits and
 * input guards). A field whose check is `allow` keeps its resolver untouched; a field without a check is
 * refused to everyone, so a type or field the rules forgot is closed.
 */
export function applyAccessChecks(schema: GraphQLSchema, checks: Readonly<Record<string, Readonly<Record<string, AccessCheck>>>>, refusal: Refusal): GraphQLSchema {
  const types = schema.getTypeMap();
  for (const [typeName, fields] of Object.entries(checks)) {
    const type = types[typeName];
    const missing = !isObjectType(type) ? [typeName] : Object.keys(fields).filter((f) => !type.getFields()[f]).map((f) => `${typeName}.${f}`);
    if (missing.length) throw new Error(`access rules name ${missing.join(', ')}, which the schema does not have`);
  }
  for (const type of Object.values(types)) {
    if (!isObjectType(type) || isIntrospectionType(type)) continue;
    for (const field of Object.values(type.getFields())) {
      const check = checks[type.name]?.[field.name] ?? deny;
      if (check === allow) continue;
      const resolve: GraphQLFieldResolver<unknown, object> = field.resolve ?? defaultFieldResolver;
      // Failures settle asynchronously, as they did behind graphql-shield: a refused non-null field must not
      // stop its siblings from being decided (and each refusal reported), which a synchronous throw would.
      const decide = (v: Verdict, parent: unknown, args: Record<string, unknown>, ctx: object, info: GraphQLResolveInfo) => {
        if (v !== true) return Promise.reject(v === false ? refusal(ctx, info) : v);
        try {
          return resolve(parent, args, ctx, info);
        } catch (err) {
          return Promise.reject(err);
        }
      };
      field.resolve = (parent, args: Record<string, unknown>, ctx: object, info) => {
        const v = run(check, parent, args, ctx, info);
        return isPromise(v) ? v.then((r) => decide(r, parent, args, ctx, info)) : decide(v, parent, args, ctx, info);
      };
    }
  }
  return schema;
}
