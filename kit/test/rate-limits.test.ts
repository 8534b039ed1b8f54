import { describe, expect, it } from 'vitest';
import { parse, print } from 'graphql';
import { configureRateLimits } from '../src/rate-limits.ts';

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
