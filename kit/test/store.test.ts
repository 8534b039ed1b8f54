import { afterAll, describe, expect, it, vi } from 'vitest';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { MemoryStore, RedisStore, STORE_COMMAND_TIMEOUT_MS, StoreUnavailable, type Store } from '../src/store.ts';
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

describe('the store deadline', () => {
  /** Keeps the event loop busy, as a CPU-heavy request or a long GC pause would: no timer or socket is served. */
  const stall = (ms: number) => {
    const until = performance.now() + ms;
    while (performance.now() < until);
  };

  it.runIf(redisUrl)('counts a reply that arrived while the process was busy as in time, not as an outage', async () => {
    const store = RedisStore.connect(redisUrl!, testRedisPrefix());
    opened.push(store);
    await store.set('stalled', 'answer', 60);
    for (const written of [false, true]) {
      const pending = store.get('stalled');
      // The command goes out on the next turn (auto-pipelining); the stall comes before it, or after it with
      // the reply waiting unread. Either way Redis answered at once, and the process looks only after the deadline.
      if (written) await new Promise((resolve) => setImmediate(resolve));
      stall(STORE_COMMAND_TIMEOUT_MS + 300);
      expect(await pending).toBe('answer');
    }
  });

  it('still fails closed when the store really does not answer', async () => {
    // A server that accepts the connection and never says a word.
    const sockets = new Set<Socket>();
    const silent = createServer((socket) => void sockets.add(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const store = RedisStore.connect(`redis://127.0.0.1:${(silent.address() as AddressInfo).port}`, 'silent:');
    try {
      await expect(store.get('anything')).rejects.toBeInstanceOf(StoreUnavailable);
      expect(await store.ping()).toBe(false);
    } finally {
      store.redis.disconnect();
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });
});
