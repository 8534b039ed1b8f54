import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Logger } from '../logger.ts';
import type { AuditRecord } from './record.ts';

/**
 * Where a service without a database (the router) keeps audit records until the security subgraph has
 * answered for them. Records leave only when settled, never when merely read.
 */
export interface AuditBuffer {
  /** Whether records outlive this process. */
  readonly durable: boolean;
  /** Never throws and never waits: recording must not slow or fail a request. */
  push(record: AuditRecord): void;
  /** The oldest records not yet settled, each with the handle that settles it. */
  peek(max: number): Promise<{ handle: string; record: unknown }[]>;
  settle(handles: string[]): Promise<void>;
  pending(): Promise<number>;
  /** Runs `fn` only while no other process delivers from the same buffer; null when another does. */
  exclusive<T>(fn: () => Promise<T>): Promise<T | null>;
}

/** In process: lost with the process (the embedded, single-process case only). */
export function memoryAuditBuffer(log: Logger, max = 10_000): AuditBuffer {
  let items: { handle: string; record: unknown }[] = [];
  let next = 0;
  let dropped = 0;
  return {
    durable: false,
    push(record) {
      if (items.length >= max) {
        if (dropped++ % 1000 === 0) log.error({ dropped }, 'audit buffer full; dropping events');
        return;
      }
      items.push({ handle: `m${next++}`, record });
    },
    peek: async (n) => items.slice(0, n),
    async settle(handles) {
      const done = new Set(handles);
      items = items.filter((i) => !done.has(i.handle));
    },
    pending: async () => items.length,
    exclusive: (fn) => fn(),
  };
}

const RELEASE = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;

/**
 * A Redis stream shared by every replica: a record is in Redis before the request that caused it is answered,
 * so a crash loses nothing, and any replica (or the restarted one) delivers what another left behind.
 * One replica delivers at a time (a lease), so records keep their order. While Redis is unreachable,
 * records wait in memory and join the stream's delivery from there.
 */
export function redisStreamAuditBuffer(store: { redis: Redis; prefix?: string }, name: string, log: Logger, o: { maxLength?: number; leaseMs?: number } = {}): AuditBuffer {
  const redis = store.redis;
  const key = `${store.prefix ?? 'palisade:'}${name}`;
  const lease = `${key}:lease`;
  const fallback = memoryAuditBuffer(log);
  let warned = 0;
  return {
    durable: true,
    push(record) {
      redis.xadd(key, 'MAXLEN', '~', String(o.maxLength ?? 100_000), '*', 'r', JSON.stringify(record)).catch((err: Error) => {
        if (warned++ % 100 === 0) log.warn({ err: err.message }, 'audit stream unavailable; keeping events in memory');
        fallback.push(record);
      });
    },
    async peek(n) {
      const early = await fallback.peek(n);
      if (early.length >= n) return early;
      const entries = (await redis.xrange(key, '-', '+', 'COUNT', n - early.length)) as [string, string[]][];
      return [
        ...early,
        ...entries.map(([id, fields]) => {
          const raw = fields[fields.indexOf('r') + 1] ?? '';
          let record: unknown = raw;
          try {
            record = JSON.parse(raw);
          } catch {} // delivered as it is: the receiver sets it aside with its reason
          return { handle: id, record };
        }),
      ];
    },
    async settle(handles) {
      const stream = handles.filter((h) => !h.startsWith('m'));
      await fallback.settle(handles.filter((h) => h.startsWith('m')));
      if (stream.length) await redis.xdel(key, ...stream);
    },
    pending: async () => (await fallback.pending()) + (await redis.xlen(key)),
    async exclusive(fn) {
      const token = randomUUID();
      if ((await redis.set(lease, token, 'PX', o.leaseMs ?? 30_000, 'NX')) !== 'OK') return null;
      try {
        return await fn();
      } finally {
        await redis.eval(RELEASE, 1, lease, token).catch(() => {});
      }
    },
  };
}
