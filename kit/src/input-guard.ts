import { defaultFieldResolver, isObjectType, type GraphQLFieldResolver, type GraphQLSchema } from 'graphql';
import { badInput, type PublicError } from '@palisade/auth';

/** Far above any field's own limit (a product description is 5,000), far below what a database index holds. */
export const MAX_STRING_LENGTH = 10_000;

// A NUL cannot be stored in Postgres text or jsonb at all; a lone surrogate cannot be encoded as UTF-8
// (the driver would silently store U+FFFD, or jsonb refuses it). Either way the value the caller sent is
// not the value that would be kept.
const NUL = /\u0000/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Why a string cannot be taken as it is, or null when it can. */
export function unstorableReason(s: string): string | null {
  if (s.length > MAX_STRING_LENGTH) return `is longer than ${MAX_STRING_LENGTH} characters`;
  if (NUL.test(s)) return 'contains a NUL character';
  if (LONE_SURROGATE.test(s)) return 'is not valid Unicode (unpaired surrogate)';
  return null;
}

/**
 * The first unstorable string in a field's coerced arguments, with its path ("input.items.2.productId").
 * Arguments are already coerced to the schema's types, so their nesting is the schema's (and the HTTP
 * layer bounds JSON depth for scalars that take any value).
 */
export function findUnstorable(value: unknown, path: string): { path: string; reason: string } | null {
  if (typeof value === 'string') {
    const reason = unstorableReason(value);
    return reason ? { path, reason } : null;
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = findUnstorable(value[i], `${path}.${i}`);
      if (found) return found;
    }
    return null;
  }
  if (value && typeof value === 'object' && !(value instanceof Date)) {
    for (const [key, v] of Object.entries(value)) {
      // A key is input too (a JSON argument's), and ends up in jsonb the same way.
      const keyReason = unstorableReason(key);
      if (keyReason) return { path, reason: `has a key that ${keyReason}` };
      const found = findUnstorable(v, path ? `${path}.${key}` : key);
      if (found) return found;
    }
  }
  return null;
}

export interface ArgumentGuardOptions<TCtx> {
  /**
   * Told of each refusal before the caller hears it, awaited: a refused sign-in must still count as a
   * failed one (lockout, audit). `coordinate` is "Mutation.login".
   */
  onRefused?: (ctx: TCtx, coordinate: string, args: Record<string, unknown>) => Promise<void> | void;
}

/**
 * Every field that takes arguments checks them before its resolver runs: no string that Postgres cannot
 * store as sent (NUL, unpaired surrogates) or that is absurdly long reaches a service. The refusal is
 * BAD_USER_INPUT naming the argument's path in `extensions.field`, never echoing the value.
 * Wraps the resolvers in place, innermost: access rules and rate limits applied later still run first.
 */
export function guardArguments<TCtx>(schema: GraphQLSchema, o: ArgumentGuardOptions<TCtx> = {}): GraphQLSchema {
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__')) continue;
    for (const field of Object.values(type.getFields())) {
      // _entities takes the router's representations, built from data, not the client's input.
      if (!field.args.length || field.name === '_entities') continue;
      const coordinate = `${type.name}.${field.name}`;
      const resolve: GraphQLFieldResolver<unknown, TCtx> = field.resolve ?? defaultFieldResolver;
      field.resolve = (parent, args: Record<string, unknown>, ctx: TCtx, info) => {
        const found = findUnstorable(args, '');
        if (!found) return resolve(parent, args, ctx, info);
        const error: PublicError = badInput(`${found.path} ${found.reason}`, found.path);
        if (!o.onRefused) throw error;
        return Promise.resolve(o.onRefused(ctx, coordinate, args)).then(() => Promise.reject(error));
      };
    }
  }
  return schema;
}
