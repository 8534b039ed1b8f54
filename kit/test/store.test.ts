import { afterAll, describe, expect, it, vi } from 'vitest';
import { MemoryStore, RedisStore, type Store } from '../src/store.ts';
import { eventually, testRedisPrefix, testServers } from '../src/testing/index.ts';
import { testSettings } from '../src/testing/config.ts';

const { redisUrl } = testServers();
const stores: [string, () => Store][] = [['memory', () => new MemoryStore()]];
if (redisUrl) stores.push(['redis', () => RedisStore.connect(redisUrl, testRedisPrefix())]);
const opened: Store[] = [];
afterAll(async () => Promise.all(opened.map((s) => s.close())));

describe.each(stores)('%s store', (kind, make) => {
  const store = make();
  opened.push(store);

  it('sets a key only once until it expires', async () => {
    expect(await store.setIfAbsent('jti:1', 'x', 1)).toBe(true);
    expect(await store.setIfAbsent('jti:1', 'y', 1)).toBe(false);
    expect(await store.get('jti:1')).toBe('x');
    expect(await store.ttl('jti:1')).toBe(1);
    if (kind === 'memory') {
      // The memory store reads the clock: move it past the second instead of waiting one out.
      vi.useFakeTimers({ toFake: ['Date'] });
      try {
        vi.setSystemTime(Date.now() + 1_001);
        expect(await store.get('jti:1')).toBeNull();
        expect(await store.setIfAbsent('jti:1', 'z', 1)).toBe(true);
      } finally {
        vi.useRealTimers();
      }
    } else {
      // Redis expires on its own clock: wait for it to have done so.
      await eventually(async () => expect(await store.get('jti:1')).toBeNull(), 'Redis expiring the key', 5_000);
      expect(await store.setIfAbsent('jti:1', 'z', 1)).toBe(true);
    }
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
    if (testSettings().requireRealServers) expect(redisUrl).toBeTruthy();
    expect(stores.length).toBe(redisUrl ? 2 : 1);
  });
});
