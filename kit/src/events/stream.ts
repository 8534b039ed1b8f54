import type { Redis } from 'ioredis';
import type { Store } from '../store.ts';

/**
 * Each stream keeps about this many entries (XADD MAXLEN ~): enough for consumers to catch up after a long
 * outage, without Redis growing forever. The outboxes keep every event regardless (docs/events.md).
 */
export const STREAM_MAX_LENGTH = 100_000;

export interface StreamEntry {
  id: string;
  fields: Record<string, string>;
}

/**
 * The part of Redis Streams the event relay and consumers use: append, consumer groups, pending entries and
 * their reclaiming. Redis when the process has one; in process otherwise (`npm start`, every service in one
 * process), with the same semantics: an entry read by a group stays pending for its consumer until acked.
 */
export interface EventStream {
  add(stream: string, fields: Record<string, string>): Promise<string>;
  /** Creates the group at the stream's start (and the stream) unless it exists. */
  ensureGroup(stream: string, group: string): Promise<void>;
  /** New entries for this consumer (XREADGROUP ... >), now pending for it. */
  readNew(stream: string, group: string, consumer: string, count: number): Promise<StreamEntry[]>;
  /** This consumer's own pending entries, oldest first (XREADGROUP ... 0): what it read and never acked. */
  readOwnPending(stream: string, group: string, consumer: string, count: number): Promise<StreamEntry[]>;
  /** Takes over entries pending for any consumer longer than minIdleMs (XAUTOCLAIM). */
  claimStale(stream: string, group: string, consumer: string, minIdleMs: number, count: number): Promise<StreamEntry[]>;
  ack(stream: string, group: string, ids: string[]): Promise<void>;
  /** Entries of the group not yet acked (XPENDING's count). */
  pendingCount(stream: string, group: string): Promise<number>;
}

const toFields = (flat: string[]): Record<string, string> => {
  const out: Record<string, string> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) out[flat[i]!] = flat[i + 1]!;
  return out;
};
type RawEntries = [string, string[] | null][];
// A pending entry trimmed from the stream comes back without fields: the consumer dead-letters and acks it,
// rather than leaving it pending for ever.
const entriesOf = (raw: RawEntries): StreamEntry[] => raw.map(([id, f]) => ({ id, fields: f ? toFields(f) : {} }));

export class RedisEventStream implements EventStream {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}
  private key = (s: string) => this.prefix + s;

  async add(stream: string, fields: Record<string, string>) {
    return (await this.redis.xadd(this.key(stream), 'MAXLEN', '~', STREAM_MAX_LENGTH, '*', ...Object.entries(fields).flat())) as string;
  }
  async ensureGroup(stream: string, group: string) {
    try {
      await this.redis.xgroup('CREATE', this.key(stream), group, '0', 'MKSTREAM');
    } catch (err) {
      if (!String((err as Error).message).includes('BUSYGROUP')) throw err;
    }
  }
  // Never BLOCK: the connection is shared with every other command of the process (auto-pipelined).
  private async read(stream: string, group: string, consumer: string, count: number, from: string) {
    const res = (await this.redis.xreadgroup('GROUP', group, consumer, 'COUNT', count, 'STREAMS', this.key(stream), from)) as [string, RawEntries][] | null;
    return res?.[0] ? entriesOf(res[0][1]) : [];
  }
  readNew(stream: string, group: string, consumer: string, count: number) {
    return this.read(stream, group, consumer, count, '>');
  }
  readOwnPending(stream: string, group: string, consumer: string, count: number) {
    return this.read(stream, group, consumer, count, '0');
  }
  async claimStale(stream: string, group: string, consumer: string, minIdleMs: number, count: number) {
    const res = (await this.redis.xautoclaim(this.key(stream), group, consumer, minIdleMs, '0', 'COUNT', count)) as [string, RawEntries];
    return entriesOf(res[1] ?? []);
  }
  async ack(stream: string, group: string, ids: string[]) {
    if (ids.length) await this.redis.xack(this.key(stream), group, ...ids);
  }
  async pendingCount(stream: string, group: string) {
    try {
      const [n] = (await this.redis.xpending(this.key(stream), group)) as [number];
      return Number(n);
    } catch {
      return 0;
    }
  }
}

interface MemoryGroup {
  /** Index of the next entry never delivered to the group. */
  next: number;
  pending: Map<string, { consumer: string; deliveredAt: number }>;
}

/** Redis Streams' consumer-group semantics in process, for one process running every service. */
export class MemoryEventStream implements EventStream {
  private readonly streams = new Map<string, { entries: StreamEntry[]; seq: number; groups: Map<string, MemoryGroup> }>();
  private of(stream: string) {
    let s = this.streams.get(stream);
    if (!s) this.streams.set(stream, (s = { entries: [], seq: 0, groups: new Map() }));
    return s;
  }
  private group(stream: string, group: string) {
    const g = this.of(stream).groups.get(group);
    if (!g) throw new Error(`NOGROUP no such consumer group ${group} for ${stream}`);
    return g;
  }
  async add(stream: string, fields: Record<string, string>) {
    if (!Object.keys(fields).length) throw new Error('ERR wrong number of arguments for an entry without fields');
    const s = this.of(stream);
    const id = `${Date.now()}-${s.seq++}`;
    s.entries.push({ id, fields: { ...fields } });
    // Trimmed in steps, as Redis's approximate MAXLEN is: the oldest go, and the groups' positions move with them.
    const excess = s.entries.length - STREAM_MAX_LENGTH;
    if (excess >= 1_000) {
      s.entries.splice(0, excess);
      for (const g of s.groups.values()) g.next = Math.max(0, g.next - excess);
    }
    return id;
  }
  async ensureGroup(stream: string, group: string) {
    const s = this.of(stream);
    if (!s.groups.has(group)) s.groups.set(group, { next: 0, pending: new Map() });
  }
  async readNew(stream: string, group: string, consumer: string, count: number) {
    const s = this.of(stream);
    const g = this.group(stream, group);
    const out = s.entries.slice(g.next, g.next + count);
    g.next += out.length;
    for (const e of out) g.pending.set(e.id, { consumer, deliveredAt: Date.now() });
    return out.map((e) => ({ id: e.id, fields: { ...e.fields } }));
  }
  async readOwnPending(stream: string, group: string, consumer: string, count: number) {
    const g = this.group(stream, group);
    const ids = [...g.pending].filter(([, p]) => p.consumer === consumer).map(([id]) => id);
    return this.entries(stream, ids.slice(0, count));
  }
  async claimStale(stream: string, group: string, consumer: string, minIdleMs: number, count: number) {
    const g = this.group(stream, group);
    const now = Date.now();
    const ids = [...g.pending].filter(([, p]) => now - p.deliveredAt >= minIdleMs).map(([id]) => id).slice(0, count);
    for (const id of ids) g.pending.set(id, { consumer, deliveredAt: now });
    return this.entries(stream, ids);
  }
  async ack(stream: string, group: string, ids: string[]) {
    const g = this.group(stream, group);
    for (const id of ids) g.pending.delete(id);
  }
  async pendingCount(stream: string, group: string) {
    return this.of(stream).groups.get(group)?.pending.size ?? 0;
  }
  private entries(stream: string, ids: string[]) {
    // Called on every poll: with nothing pending, no index of a stream that may hold 100,000 entries.
    if (!ids.length) return [];
    const byId = new Map(this.of(stream).entries.map((e) => [e.id, e]));
    return ids.map((id) => ({ id, fields: { ...byId.get(id)?.fields } }));
  }
}

// Every service of one process shares its store; in memory, they share the streams hung on it the same way.
const memoryStreams = new WeakMap<Store, MemoryEventStream>();

/** The stream of this store: Redis Streams on its client and key prefix, else in process beside it. */
export function eventStreamOf(store: Store): EventStream {
  if (store.redis) return new RedisEventStream(store.redis, (store as { prefix?: string }).prefix ?? 'palisade:');
  let s = memoryStreams.get(store);
  if (!s) memoryStreams.set(store, (s = new MemoryEventStream()));
  return s;
}
