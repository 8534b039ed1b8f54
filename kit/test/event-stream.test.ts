import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { MemoryEventStream, RedisEventStream, STREAM_MAX_LENGTH, type EventStream } from '../src/events/stream.ts';
import { startEventConsumer } from '../src/events/consumer.ts';
import { testRedisPrefix, testServers } from '../src/testing/index.ts';

const clients: Redis[] = [];
afterAll(async () => Promise.all(clients.map((c) => c.quit())));
const kinds: [string, () => EventStream][] = [['in-process', () => new MemoryEventStream()]];
const { redisUrl } = testServers();
if (redisUrl)
  kinds.push([
    'redis',
    () => {
      const c = new Redis(redisUrl);
      clients.push(c);
      return new RedisEventStream(c, testRedisPrefix());
    },
  ]);

// The in-process stream stands in for Redis in `npm start`: both must answer the consumer the same way.
describe.each(kinds)('the %s stream', (_, make) => {
  it('keeps what a consumer read pending for it until acked, re-reads it, and lets another claim it', async () => {
    const s = make();
    await s.ensureGroup('x', 'g');
    await s.ensureGroup('x', 'g'); // a second start finds the group
    const ids = [await s.add('x', { n: '1' }), await s.add('x', { n: '2' }), await s.add('x', { n: '3' })];
    expect((await s.readNew('x', 'g', 'a', 2)).map((e) => e.fields.n)).toEqual(['1', '2']);
    expect((await s.readNew('x', 'g', 'b', 10)).map((e) => e.fields.n)).toEqual(['3']);
    expect(await s.readNew('x', 'g', 'a', 10)).toEqual([]);
    expect(await s.pendingCount('x', 'g')).toBe(3);
    await s.ack('x', 'g', [ids[0]!]);
    expect((await s.readOwnPending('x', 'g', 'a', 10)).map((e) => e.id)).toEqual([ids[1]]);
    expect((await s.claimStale('x', 'g', 'a', 0, 10)).map((e) => e.id).sort()).toEqual([ids[1], ids[2]].sort());
    expect((await s.readOwnPending('x', 'g', 'b', 10)).map((e) => e.id)).toEqual([]);
    expect((await s.readOwnPending('x', 'g', 'a', 10)).map((e) => e.id).sort()).toEqual([ids[1], ids[2]].sort());
    expect(await s.claimStale('x', 'g', 'b', 3_600_000, 10)).toEqual([]);
    await s.ack('x', 'g', [ids[1]!, ids[2]!]);
    expect(await s.pendingCount('x', 'g')).toBe(0);
    // A second group reads the whole stream on its own.
    await s.ensureGroup('x', 'other');
    expect((await s.readNew('x', 'other', 'z', 10)).map((e) => e.fields.n)).toEqual(['1', '2', '3']);
  });
});

describe('the in-process stream', () => {
  it('stays near its cap, and a group goes on where it was through the trimming', async () => {
    const s = new MemoryEventStream();
    await s.ensureGroup('x', 'g');
    for (let i = 0; i < 10; i++) await s.add('x', { n: String(i) });
    expect((await s.readNew('x', 'g', 'a', 5)).map((e) => Number(e.fields.n))).toEqual([0, 1, 2, 3, 4]);
    const more = STREAM_MAX_LENGTH + 2_000;
    for (let i = 10; i < 10 + more; i++) await s.add('x', { n: String(i) });
    const rest = await s.readNew('x', 'g', 'a', more + 10);
    expect(rest.length).toBeLessThanOrEqual(STREAM_MAX_LENGTH + 1_000);
    expect(rest.length).toBeGreaterThanOrEqual(STREAM_MAX_LENGTH);
    const ns = rest.map((e) => Number(e.fields.n));
    expect(ns).toEqual(ns.map((_, i) => ns[0]! + i)); // in order, none twice, none skipped after the oldest kept
    expect(ns.at(-1)).toBe(9 + more);
    // Everything still in the stream reaches the group: what a group made now reads from the start.
    await s.ensureGroup('x', 'fresh');
    expect((await s.readNew('x', 'fresh', 'z', more + 10)).map((e) => Number(e.fields.n))).toEqual(ns);
  });
});

describe('a consumer', () => {
  it('dead-letters and acks a pending entry trimmed from the stream instead of keeping it pending for ever', async () => {
    const s = new MemoryEventStream();
    await s.ensureGroup('x', 'g');
    await s.add('x', { event: 'read before a crash' });
    await s.readNew('x', 'g', 'me', 1); // read, never acked: the consumer crashed
    for (let i = 0; i < STREAM_MAX_LENGTH + 1_000; i++) await s.add('x', { n: String(i) });
    const dead: string[] = [];
    const consumer = startEventConsumer({
      stream: s, streamName: 'x', group: 'g', consumer: 'me', log: pino({ level: 'silent' }), intervalMs: 3_600_000, claimIdleMs: 3_600_000, batch: 10,
      handle: async () => {},
      deadLetter: async (_, reason) => void dead.push(reason),
    });
    try {
      await consumer.poll();
    } finally {
      consumer.stop();
    }
    expect(dead[0]).toBe('no event field');
    expect(await s.pendingCount('x', 'g')).toBe(0);
  });
});

describe('a consumer whose store is away when it starts', () => {
  it('takes back its own pending entries on the first pass that gets through', async () => {
    const inner = new MemoryEventStream();
    let away = 1;
    const stream: EventStream = Object.assign(Object.create(inner) as MemoryEventStream, {
      readOwnPending: async (...a: Parameters<EventStream['readOwnPending']>) => {
        if (away-- > 0) throw new Error('Redis away');
        return inner.readOwnPending(...a);
      },
    });
    await inner.ensureGroup('x', 'g');
    const event = { id: '6f1d8a1e-2f6b-4c1e-9a43-0d3f5e7b9c21', type: 'order.placed', version: 1, occurredAt: new Date().toISOString(), data: { orderId: '6f1d8a1e-2f6b-4c1e-9a43-0d3f5e7b9c22', customerId: '6f1d8a1e-2f6b-4c1e-9a43-0d3f5e7b9c23', status: 'PENDING', previousStatus: null, total: { amount: '1.00', currency: 'USD' } } };
    await inner.add('x', { event: JSON.stringify(event) });
    await inner.readNew('x', 'g', 'me', 1); // read before a crash, never acked
    const handled: string[] = [];
    const consumer = startEventConsumer({
      stream, streamName: 'x', group: 'g', consumer: 'me', log: pino({ level: 'silent' }), intervalMs: 3_600_000, claimIdleMs: 3_600_000,
      handle: async (e) => void handled.push(e.id),
      deadLetter: async () => {},
    });
    try {
      await expect(consumer.poll()).rejects.toThrow('Redis away');
      await consumer.poll();
    } finally {
      consumer.stop();
    }
    expect(handled).toEqual([event.id]);
    expect(await inner.pendingCount('x', 'g')).toBe(0);
  });
});
