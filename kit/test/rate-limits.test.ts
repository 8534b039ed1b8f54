import { describe, expect, it } from 'vitest';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { graphql, Kind, parse, print, type FieldDefinitionNode } from 'graphql';
import { makeExecutableSchema } from '@graphql-tools/schema';
import fc from 'fast-check';
import { applyRateLimits, clientAddressKey, configureRateLimits } from '../src/rate-limits.ts';
import { MemoryStore, RedisStore } from '../src/store.ts';
import { loadConfig } from '../src/config/index.ts';
import { freePort } from '../src/testing/real-servers.ts';
import { readSubgraphSdl } from '@palisade/auth';

const sdl = parse(`
  type Query @rateLimit(limit: 100, duration: 60) {
    a: Int
    b: Int @rateLimit(limit: 5, duration: 10)
    c: Int
  }
`);

describe('rate limit configuration', () => {
  it('scales every budget by RATE_LIMIT_SCALE', () => {
    const out = print(configureRateLimits(sdl, { scale: 3, overrides: {} }));
    expect(out).toContain('@rateLimit(limit: 300, duration: 60)');
    expect(out).toContain('b: Int @rateLimit(limit: 15, duration: 10)');
  });

  it('lets RATE_LIMITS override a budget or give a field its own', () => {
    const out = print(configureRateLimits(sdl, { scale: 1, overrides: { Query: { limit: 7, duration: 1 }, 'Query.c': { limit: 2, duration: 30 } } }));
    expect(out).toContain('type Query @rateLimit(limit: 7, duration: 1)');
    expect(out).toContain('c: Int @rateLimit(limit: 2, duration: 30)');
    expect(out).toContain('a: Int\n');
  });

  it('scales an added field limit exactly once', () => {
    const out = print(configureRateLimits(sdl, { scale: 3, overrides: { 'Query.c': { limit: 2, duration: 30 } } }));
    expect(out).toContain('c: Int @rateLimit(limit: 6, duration: 30)');
  });

  it('refuses a nonsense scale or budget before anything starts', () => {
    expect(() => loadConfig({ RATE_LIMIT_SCALE: '0' })).toThrow(/RATE_LIMIT_SCALE must be a positive number/);
    expect(() => loadConfig({ RATE_LIMITS: '{"Query.c": {"limit": -1, "duration": 30}}' })).toThrow(/RATE_LIMITS at Query\.c\.limit/);
  });
});

describe('rate limit keys', () => {
  const typeDefs = configureRateLimits(
    parse(`
      directive @rateLimit(limit: Int = 60, duration: Int = 60, perEmail: Boolean = false) on OBJECT | FIELD_DEFINITION
      type Query { ok: Boolean }
      type Mutation @rateLimit(limit: 1000, duration: 60) {
        register(email: String!): Boolean @rateLimit(limit: 3, duration: 60)
        login(email: String!): Boolean @rateLimit(limit: 3, duration: 60, perEmail: true)
      }
    `),
    { scale: 1, overrides: {} },
  );
  const schema = applyRateLimits(makeExecutableSchema({ typeDefs, resolvers: { Mutation: { register: () => true, login: () => true } } }), { service: 't', store: new MemoryStore() });
  const call = async (field: string, email: string, ip: string) => {
    const r = await graphql({ schema, source: `mutation($e: String!) { ${field}(email: $e) }`, variableValues: { e: email }, contextValue: { caller: { userId: null, ip } } });
    return r.errors?.[0]?.extensions?.code ?? 'OK';
  };

  it('keeps perEmail through configuration', () => {
    expect(print(typeDefs)).toContain('@rateLimit(limit: 3, duration: 60, perEmail: true)');
  });

  it('limits a field per client address whatever email it names, unless perEmail', async () => {
    const register = await Promise.all(['a', 'b', 'c', 'd', 'e'].map((x, i) => call('register', `${x}${i}@example.com`, '203.0.113.1')));
    expect(register).toEqual(['OK', 'OK', 'OK', 'RATE_LIMITED', 'RATE_LIMITED']);
    expect(await call('register', 'z@example.com', '203.0.113.2')).toBe('OK'); // another address, its own budget
    const login = await Promise.all(['a', 'b', 'c', 'd', 'e'].map((x) => call('login', `${x}@example.com`, '203.0.113.1')));
    expect(login).toEqual(['OK', 'OK', 'OK', 'OK', 'OK']); // one per email: a shared address serves many users
  });
});

/** Every `@public` mutation of every subgraph, as its SDL declares it. */
function publicMutations(): FieldDefinitionNode[] {
  const root = fileURLToPath(new URL('../../subgraphs/', import.meta.url));
  return readdirSync(root).flatMap((name) => {
    let sdl: string;
    try {
      sdl = readSubgraphSdl(`${root}${name}/schema.graphql`);
    } catch {
      return [];
    }
    return parse(sdl).definitions.flatMap((d) =>
      (d.kind === Kind.OBJECT_TYPE_DEFINITION || d.kind === Kind.OBJECT_TYPE_EXTENSION) && d.name.value === 'Mutation'
        ? (d.fields ?? []).filter((f) => f.directives?.some((x) => x.name.value === 'public'))
        : [],
    );
  });
}

describe('public mutations are limited per client address, whatever token is attached', () => {
  const fields = publicMutations();
  const limitOf = (f: FieldDefinitionNode) => {
    const v = f.directives?.find((d) => d.name.value === 'rateLimit')?.arguments?.find((a) => a.name.value === 'limit')?.value;
    return v?.kind === Kind.INT ? Number(v.value) : 60;
  };

  it('finds the public mutations in the SDL, each with its own budget', () => {
    const names = fields.map((f) => f.name.value);
    for (const n of ['register', 'login', 'requestPasswordReset', 'resetPassword', 'verifyEmail', 'refreshSession']) expect(names).toContain(n);
    for (const f of fields) expect(f.directives?.some((d) => d.name.value === 'rateLimit'), `${f.name.value} has no @rateLimit of its own`).toBe(true);
  });

  // Each public mutation with the directives its SDL gives it, on a stand-in field taking an email either way.
  for (const field of fields) {
    it(`${field.name.value}: any set of tokens from one address gets the address's budget, no more`, async () => {
      const typeDefs = configureRateLimits(
        parse(`
          directive @public on FIELD_DEFINITION
          directive @rateLimit(limit: Int = 60, duration: Int = 60, perEmail: Boolean = false) on OBJECT | FIELD_DEFINITION
          input EmailInput { email: String }
          type Query { ok: Boolean }
          type Mutation @rateLimit(limit: 100000, duration: 60) {
            ${field.name.value}(email: String, input: EmailInput): Boolean ${(field.directives ?? []).map((d) => print(d)).join(' ')}
          }
        `),
        { scale: 1, overrides: {} },
      );
      const limit = limitOf(field);
      await fc.assert(
        fc.asyncProperty(
          // callers from one address: anonymous, or holding any of a few accounts' tokens
          fc.array(fc.option(fc.constantFrom('u1', 'u2', 'u3', 'u4', 'u5', 'u6', 'u7', 'u8'), { nil: null }), { minLength: limit + 1, maxLength: limit + 20 }),
          fc.boolean(),
          async (callers, asInput) => {
            const schema = applyRateLimits(makeExecutableSchema({ typeDefs, resolvers: { Mutation: { [field.name.value]: () => true } } }), { service: 't', store: new MemoryStore() });
            const source = asInput ? `mutation { ${field.name.value}(input: { email: "victim@example.com" }) }` : `mutation { ${field.name.value}(email: "victim@example.com") }`;
            let ok = 0;
            for (const userId of callers) {
              const r = await graphql({ schema, source, contextValue: { caller: { userId, ip: '203.0.113.50' } } });
              if (!r.errors) ok++;
              else expect(r.errors[0]?.extensions?.code).toBe('RATE_LIMITED');
            }
            expect(ok).toBe(limit);
          },
        ),
        { numRuns: limit > 20 ? 5 : 25 },
      );
    });
  }
});

describe('client address key', () => {
  const hex = fc.integer({ min: 0, max: 0xffff }).map((n) => n.toString(16));
  const groups = fc.array(hex, { minLength: 8, maxLength: 8 });

  it('is an IPv6 /64, whatever the host part and however the address is written', () => {
    fc.assert(
      fc.property(groups, groups, (a, b) => {
        const sameNet = [...a.slice(0, 4), ...b.slice(4)];
        expect(clientAddressKey(a.join(':'))).toBe(clientAddressKey(sameNet.join(':')));
        expect(clientAddressKey(a.join(':')).endsWith('::/64')).toBe(true);
        if (a.slice(0, 4).some((g, i) => parseInt(g, 16) !== parseInt(b[i]!, 16))) expect(clientAddressKey(a.join(':'))).not.toBe(clientAddressKey(b.join(':')));
      }),
    );
    expect(clientAddressKey('2001:db8::1')).toBe(clientAddressKey('2001:0DB8:0000:0000:ffff:0:0:2'));
    expect(clientAddressKey('::1')).toBe('0:0:0:0::/64');
  });

  it('is the address itself for IPv4, also when IPv4-mapped', () => {
    expect(clientAddressKey('203.0.113.7')).toBe('203.0.113.7');
    expect(clientAddressKey('::ffff:203.0.113.7')).toBe('203.0.113.7');
    expect(clientAddressKey(null)).toBe('unknown');
  });
});

describe('rate limits while Redis is down', () => {
  it("fall back to this process's own budget: the limit holds and no request errors", async () => {
    // A Redis nobody listens on: every command fails, as in an outage.
    const store = RedisStore.connect(`redis://127.0.0.1:${await freePort()}`, 'rl-down:');
    try {
      const typeDefs = configureRateLimits(parse('directive @rateLimit(limit: Int = 60, duration: Int = 60) on OBJECT | FIELD_DEFINITION type Query { q: Int @rateLimit(limit: 3, duration: 60) }'), { scale: 1, overrides: {} });
      const schema = applyRateLimits(makeExecutableSchema({ typeDefs, resolvers: { Query: { q: () => 1 } } }), { service: 't', store });
      const codes: string[] = [];
      for (let i = 0; i < 5; i++) {
        const r = await graphql({ schema, source: '{ q }', contextValue: { caller: { userId: null, ip: '203.0.113.9' } } });
        codes.push(String(r.errors?.[0]?.extensions?.code ?? 'OK'));
      }
      expect(codes).toEqual(['OK', 'OK', 'OK', 'RATE_LIMITED', 'RATE_LIMITED']);
    } finally {
      store.redis.disconnect();
    }
  });
});
