import { Kind, visit, type ArgumentNode, type DirectiveNode, type DocumentNode, type GraphQLResolveInfo, type GraphQLSchema } from 'graphql';
import { rateLimitDirective } from 'graphql-rate-limit-directive';
import { RateLimiterMemory, RateLimiterRedis, type RateLimiterRes } from 'rate-limiter-flexible';
import { ErrorCode, PublicError, type Caller } from '@palisade/auth';
import type { Store } from './store.ts';
import { listSizeOf, pageCost } from './list-size.ts';

/**
 * Cost-based rate limits from the SDL: `@rateLimit(limit, duration)` on Query/Mutation is a shared budget
 * per caller (user id, else client IP) that each field call spends by its cost (a list's page size);
 * on a field it is that field's own, tighter limit — the client address's alone on a `@public` field, token
 * or not. Budgets live in Redis, so replicas share them.
 */
export interface RateLimitContext {
  caller: Caller;
}

interface Override {
  limit: number;
  duration: number;
}

/** RATE_LIMIT_SCALE and RATE_LIMITS (budgets by coordinate), checked by the configuration. */
export interface RateLimitSettings {
  scale: number;
  overrides: Readonly<Record<string, Override>>;
}

/** The configured scale and overrides, applied to the SDL's `@rateLimit` budgets. */
export function configureRateLimits(doc: DocumentNode, settings: RateLimitSettings = { scale: 1, overrides: {} }): DocumentNode {
  const { scale, overrides } = settings;
  let typeName = '';
  const directive = (limit: number, duration: number, rest: readonly ArgumentNode[] = []): DirectiveNode => ({
    kind: Kind.DIRECTIVE,
    name: { kind: Kind.NAME, value: 'rateLimit' },
    arguments: [
      { kind: Kind.ARGUMENT, name: { kind: Kind.NAME, value: 'limit' }, value: { kind: Kind.INT, value: String(limit) } },
      { kind: Kind.ARGUMENT, name: { kind: Kind.NAME, value: 'duration' }, value: { kind: Kind.INT, value: String(duration) } },
      ...rest,
    ],
  });
  return visit(doc, {
    ObjectTypeDefinition: { enter: (n) => void (typeName = n.name.value) },
    ObjectTypeExtension: { enter: (n) => void (typeName = n.name.value) },
    // An override may also give a field a limit the SDL did not. visit() walks into the returned node,
    // so the Directive visitor below applies the override and the scale to it, once.
    FieldDefinition(node) {
      const extra = overrides[`${typeName}.${node.name.value}`];
      if (!extra || node.directives?.some((d) => d.name.value === 'rateLimit')) return undefined;
      return { ...node, directives: [...(node.directives ?? []), directive(extra.limit, extra.duration)] };
    },
    Directive(node, _key, _parent, _path, ancestors) {
      if (node.name.value !== 'rateLimit') return undefined;
      // The directive sits in its owner's `directives` array: the owner is the nearest non-array ancestor.
      const owner = [...ancestors].reverse().find((a) => !Array.isArray(a)) as { kind?: string; name?: { value: string } } | undefined;
      const coordinate = owner?.kind === Kind.FIELD_DEFINITION ? `${typeName}.${owner.name?.value}` : typeName;
      const arg = (n: string) => node.arguments?.find((a) => a.name.value === n)?.value;
      const num = (n: string, d: number) => {
        const v = arg(n);
        return v?.kind === Kind.INT ? Number(v.value) : d;
      };
      const chosen = overrides[coordinate] ?? { limit: num('limit', 60), duration: num('duration', 60) };
      const rest = (node.arguments ?? []).filter((a) => a.name.value !== 'limit' && a.name.value !== 'duration');
      return directive(Math.max(1, Math.round(chosen.limit * scale)), chosen.duration, rest);
    },
  });
}

const ownLimit = (info: GraphQLResolveInfo) => info.parentType.getFields()[info.fieldName]?.astNode?.directives?.find((d) => d.name.value === 'rateLimit');
const hasOwnLimit = (info: GraphQLResolveInfo) => Boolean(ownLimit(info));
/**
 * A `@public` field's own budget guards what anyone may do unsigned (sign-up, sign-in, resets): it is the
 * client address's, whatever token is attached, or every throwaway account would bring a fresh budget.
 */
const isPublic = (info: GraphQLResolveInfo) => info.parentType.getFields()[info.fieldName]?.astNode?.directives?.some((d) => d.name.value === 'public') ?? false;
/** `@rateLimit(perEmail: true)`: the budget is per caller and email typed, so one address can serve a NAT's users. */
const perEmail = (info: GraphQLResolveInfo) => ownLimit(info)?.arguments?.some((a) => a.name.value === 'perEmail' && a.value.kind === Kind.BOOLEAN && a.value.value) ?? false;

/** A list field costs its page size (the slicing argument, else @listSize's assumed size); anything else 1. */
function cost(args: Record<string, unknown>, info: GraphQLResolveInfo): number {
  return pageCost(listSizeOf(info.parentType.getFields()[info.fieldName]?.astNode?.directives), (n) => args[n]);
}

/**
 * The unit a per-address budget counts: an IPv4 address, or an IPv6 /64 (one subscriber's network, whose
 * addresses a client can rotate through at will).
 */
export function clientAddressKey(ip: string | null | undefined): string {
  if (!ip) return 'unknown';
  const v = ip.toLowerCase().replace(/^::ffff:(?=\d+\.)/, '');
  if (!v.includes(':')) return v;
  const [head = '', tail = ''] = v.split('::');
  const h = head ? head.split(':') : [];
  const t = v.includes('::') && tail ? tail.split(':') : [];
  const groups = v.includes('::') ? [...h, ...Array<string>(Math.max(0, 8 - h.length - t.length)).fill('0'), ...t] : h;
  return `${groups.slice(0, 4).map((g) => g.replace(/^0+(?=.)/, '')).join(':')}::/64`;
}

const emailOf = (args: Record<string, unknown>) => {
  const raw = (args.input as { email?: unknown } | undefined)?.email ?? args.email;
  return typeof raw === 'string' ? raw.trim().toLowerCase().slice(0, 254) : '';
};

export function applyRateLimits<T extends RateLimitContext>(
  schema: GraphQLSchema,
  o: { service: string; store: Store; keyPrefix?: string; onLimited?: (ctx: T, coordinate: string, retryAfterSeconds: number) => void },
): GraphQLSchema {
  const { rateLimitDirectiveTransformer } = rateLimitDirective<T>({
    keyGenerator: (_d, _s, args, ctx, info) => {
      const address = `ip:${clientAddressKey(ctx.caller.ip)}`;
      if (!hasOwnLimit(info)) return `${o.service}:budget:${info.parentType.name}:${ctx.caller.userId ?? address}`;
      const who = isPublic(info) ? address : (ctx.caller.userId ?? address);
      // Sign-in and reset count per address and email pair; anything else (register) per caller alone.
      const email = perEmail(info) ? emailOf(args) : '';
      return `${o.service}:${info.parentType.name}.${info.fieldName}:${who}${email ? `:${email}` : ''}`;
    },
    pointsCalculator: (_d, _s, args, _ctx, info) => (hasOwnLimit(info) ? 1 : cost(args, info)),
    onLimit: (res: RateLimiterRes, _d, _s, _a, ctx, info) => {
      const retryAfterSeconds = Math.max(1, Math.ceil(res.msBeforeNext / 1000));
      o.onLimited?.(ctx, `${info.parentType.name}.${info.fieldName}`, retryAfterSeconds);
      throw new PublicError(ErrorCode.RATE_LIMITED, `Too many requests; try again in ${retryAfterSeconds} s`, { retryAfterSeconds });
    },
    limiterClass: (o.store.redis ? RateLimiterRedisOrLocal : RateLimiterMemory) as never,
    limiterOptions: (o.store.redis ? { storeClient: o.store.redis, keyPrefix: `${o.keyPrefix ?? 'palisade:'}rl` } : { keyPrefix: 'rl' }) as never,
  });
  return rateLimitDirectiveTransformer(schema);
}

/**
 * While Redis is down, budgets are spent in this process instead (rate-limiter-flexible's insurance
 * limiter): limits stay on, per replica rather than shared, and nothing fails because a counter is away.
 */
class RateLimiterRedisOrLocal extends RateLimiterRedis {
  constructor(opts: ConstructorParameters<typeof RateLimiterRedis>[0]) {
    super({ ...opts, insuranceLimiter: new RateLimiterMemory({ points: opts.points, duration: opts.duration, keyPrefix: `${opts.keyPrefix ?? 'rl'}:local` }) });
  }
}
