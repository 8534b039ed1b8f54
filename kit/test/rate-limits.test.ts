import { describe, expect, it } from 'vitest';
import { graphql, parse, print } from 'graphql';
import { makeExecutableSchema } from '@graphql-tools/schema';
import fc from 'fast-check';
import { applyRateLimits, clientAddressKey, configureRateLimits } from '../src/rate-limits.ts';
import { MemoryStore } from '../src/store.ts';

const sdl = parse(`
  type Query @rateLimit(limit: 100, duration: 60) {
    a: Int
    b: Int @rateLimit(limit: 5, duration: 10)
    c: Int
  }
`);

describe('rate limit configuration', () => {
  it('scales every budget by RATE_LIMIT_SCALE', () => {
    const out = print(configureRateLimits(sdl, { RATE_LIMIT_SCALE: '3' }));
    expect(out).toContain('@rateLimit(limit: 300, duration: 60)');
    expect(out).toContain('b: Int @rateLimit(limit: 15, duration: 10)');
  });

  it('lets RATE_LIMITS override a budget or give a field its own', () => {
    const out = print(configureRateLimits(sdl, { RATE_LIMITS: JSON.stringify({ Query: { limit: 7, duration: 1 }, 'Query.c': { limit: 2, duration: 30 } }) }));
    expect(out).toContain('type Query @rateLimit(limit: 7, duration: 1)');
    expect(out).toContain('c: Int @rateLimit(limit: 2, duration: 30)');
    expect(out).toContain('a: Int\n');
  });

  it('scales an added field limit exactly once', () => {
    const out = print(configureRateLimits(sdl, { RATE_LIMIT_SCALE: '3', RATE_LIMITS: JSON.stringify({ 'Query.c': { limit: 2, duration: 30 } }) }));
    expect(out).toContain('c: Int @rateLimit(limit: 6, duration: 30)');
  });

  it('refuses a nonsense scale', () => {
    expect(() => configureRateLimits(sdl, { RATE_LIMIT_SCALE: '0' })).toThrow(/RATE_LIMIT_SCALE/);
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
    { RATE_LIMIT_SCALE: '1' },
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
