import { afterAll, describe, expect, it } from 'vitest';
import { MemoryStore, RedisStore, type Store } from '../src/store.ts';
import { testRedisPrefix, testServers } from '../src/testing/index.ts';

const { redisUrl } = testServers();
const stores: [string, () => Store][] = [['memory', () => new MemoryStore()]];
if (redisUrl) stores.push(['redis', () => RedisStore.connect(redisUrl, testRedisPrefix())]);
const opened: Store[] = [];
afterAll(async () => Promise.all(opened.map((s) => s.close())));

describe.each(stores)('%s store', (_kind, make) => {
  const store = make();
  opened.push(store);

  it('sets a key only once until it expires', async () => {
    expect(await store.setIfAbsent('jti:1', 'x', 1)).toBe(true);
    expect(await store.setIfAbsent('jti:1', 'y', 1)).toBe(false);
    expect(await store.get('jti:1')).toBe('x');
    await new Promise((r) => setTimeout(r, 1_100));
    expect(await store.get('jti:1')).toBeNull();
    expect(await store.setIfAbsent('jti:1', 'z', 1)).toBe(true);
  });

  it('counts and forgets', async () => {
    expect(await store.incr('n', 60)).toBe(1);
    expect(await store.incr('n', 60)).toBe(2);
    await store.del('n');
    expect(await store.incr('n', 60)).toBe(1);
    expect(await store.ping()).toBe(true);
  });
});

describe('the test run', () => {
  it('has a real Redis when CI demands one', () => {
    if (process.env.PALISADE_REQUIRE_REAL_SERVERS === '1') expect(redisUrl).toBeTruthy();
    expect(stores.length).toBe(redisUrl ? 2 : 1);
  });
});
