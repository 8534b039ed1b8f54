import { Redis } from 'ioredis';
import { ErrorCode, PublicError } from '@palisade/auth';

/**
 * The store did not answer. Decisions that need it (revocation, replay guards, lockout) fail closed with
 * this, which reaches the client as SERVICE_UNAVAILABLE and never as a stack or a Redis message.
 */
export class StoreUnavailable extends PublicError {
  constructor() {
    super(ErrorCode.SERVICE_UNAVAILABLE, 'A store this decision needs is unavailable; retry shortly', { http: { status: 503 } });
  }
}

/**
 * The small key-value surface Palisade needs from Redis (revocations, replay guards, counters).
 * In-process when no REDIS_URL is set, so `npm start` needs nothing installed.
 */
export interface Store {
  readonly kind: 'redis' | 'memory';
  /** Sets the key only if absent; true when this call set it. */
  setIfAbsent(key: string, value: string, ttlSeconds: number): Promise<boolean>;
  set(key: string, value: string, ttlSeconds: number): Promise<void>;
  get(key: string): Promise<string | null>;
  /** Seconds until the key expires; null when it does not exist. */
  ttl(key: string): Promise<number | null>;
  del(key: string): Promise<void>;
  /** Increments and returns the counter; the TTL is set when the key is created. */
  incr(key: string, ttlSeconds: number): Promise<number>;
  ping(): Promise<boolean>;
  close(): Promise<void>;
  /** The Redis client, for libraries that need one (rate limiters); null in memory. */
  readonly redis: Redis | null;
}

export class MemoryStore implements Store {
  readonly kind = 'memory' as const;
  readonly redis = null;
  private readonly entries = new Map<string, { value: string; expiresAt: number }>();
  private sweeps = 0;

  private live(key: string) {
    const e = this.entries.get(key);
    if (e && e.expiresAt <= Date.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return e;
  }
  private sweep() {
    if (++this.sweeps % 1000) return;
    const now = Date.now();
    for (const [k, e] of this.entries) if (e.expiresAt <= now) this.entries.delete(k);
  }
  async setIfAbsent(key: string, value: string, ttl: number) {
    this.sweep();
    if (this.live(key)) return false;
    this.entries.set(key, { value, expiresAt: Date.now() + ttl * 1000 });
    return true;
  }
  async set(key: string, value: string, ttl: number) {
    this.sweep();
    this.entries.set(key, { value, expiresAt: Date.now() + ttl * 1000 });
  }
  async get(key: string) {
    return this.live(key)?.value ?? null;
  }
  async ttl(key: string) {
    const e = this.live(key);
    return e ? Math.max(1, Math.ceil((e.expiresAt - Date.now()) / 1000)) : null;
  }
  async del(key: string) {
    this.entries.delete(key);
  }
  async incr(key: string, ttl: number) {
    const e = this.live(key);
    const next = (e ? Number(e.value) : 0) + 1;
    this.entries.set(key, { value: String(next), expiresAt: e?.expiresAt ?? Date.now() + ttl * 1000 });
    return next;
  }
  async ping() {
    return true;
  }
  async close() {}
}

/** How long one store command may take before the decision waiting on it fails closed. */
export const STORE_COMMAND_TIMEOUT_MS = 1_000;

/**
 * Fails closed when the command has not answered by the deadline, measured in the store's time, not the
 * process's: a timer that fires late because the process was busy (a CPU-heavy request, a GC pause) runs
 * before that turn reads the sockets, where the reply may already be waiting, so the refusal is decided in
 * setImmediate, after the turn's I/O; and a timer that fired far too late grants one fresh window. A reply
 * that came in time is never mistaken for an outage (a spurious 503 under load); a silent store still fails
 * closed within two windows.
 */
export function withDeadline<T>(command: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    let timer: NodeJS.Timeout;
    const settle = (fn: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      fn();
    };
    const arm = (lastChance: boolean) => {
      const due = performance.now() + ms;
      timer = setTimeout(() => {
        // Fired well past its time: the process was busy, and the command may not even have been written
        // yet (auto-pipelining writes on the next turn). The store gets one fresh window of its own.
        if (!lastChance && performance.now() - due > STALL_GRACE_MS) return arm(true);
        setImmediate(() => settle(() => reject(new StoreUnavailable())));
      }, ms);
    };
    arm(false);
    command.then((v) => settle(() => resolve(v)), (e: unknown) => settle(() => reject(e)));
  });
}

/** A timer this late means the event loop was blocked, not that the store was slow. */
const STALL_GRACE_MS = 100;

export class RedisStore implements Store {
  readonly kind = 'redis' as const;
  private wasReady = false;
  constructor(
    readonly redis: Redis,
    readonly prefix = 'palisade:',
  ) {
    redis.on('ready', () => (this.wasReady = true));
  }

  static connect(url: string, prefix?: string) {
    // Auto-pipelining sends the commands of one event-loop turn in one write: under load, replay guards,
    // revocation look-ups and rate limits of many requests share a round trip. Reconnection is retried
    // at most every second, so service is whole again within about a second of Redis returning.
    const redis = new Redis(url, {
      lazyConnect: false,
      maxRetriesPerRequest: 1,
      enableOfflineQueue: true,
      enableAutoPipelining: true,
      // A backstop for callers that use the client directly (the rate limiter falls back to memory on it);
      // the store's own commands fail closed at STORE_COMMAND_TIMEOUT_MS through withDeadline.
      commandTimeout: 3 * STORE_COMMAND_TIMEOUT_MS,
      retryStrategy: (times) => Math.min(times * 100, 1_000),
    });
    redis.on('error', () => {}); // surfaced through ping() and failed commands, not as a crash
    return new RedisStore(redis, prefix);
  }

  /**
   * Runs a command, failing closed at once while an established connection is down (queueing would
   * hold every request until the outage ends); before the first connection, commands wait for it.
   */
  private async run<T>(command: () => Promise<T>): Promise<T> {
    if (this.wasReady && this.redis.status !== 'ready') throw new StoreUnavailable();
    try {
      return await withDeadline(command(), STORE_COMMAND_TIMEOUT_MS);
    } catch {
      throw new StoreUnavailable();
    }
  }
  async setIfAbsent(key: string, value: string, ttl: number) {
    return this.run(async () => (await this.redis.set(this.prefix + key, value, 'EX', ttl, 'NX')) === 'OK');
  }
  async set(key: string, value: string, ttl: number) {
    await this.run(() => this.redis.set(this.prefix + key, value, 'EX', ttl));
  }
  async get(key: string) {
    return this.run(() => this.redis.get(this.prefix + key));
  }
  async ttl(key: string) {
    const t = await this.run(() => this.redis.ttl(this.prefix + key));
    return t >= 0 ? t : null;
  }
  async del(key: string) {
    await this.run(() => this.redis.del(this.prefix + key));
  }
  async incr(key: string, ttl: number) {
    const [[, n]] = (await this.run(() => this.redis.multi().incr(this.prefix + key).expire(this.prefix + key, ttl, 'NX').exec())) as [[null, number]];
    return n;
  }
  async ping() {
    try {
      return (await withDeadline(this.redis.ping(), STORE_COMMAND_TIMEOUT_MS)) === 'PONG';
    } catch {
      return false;
    }
  }
  async close() {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}

export function openStore(url: string | undefined, prefix?: string): Store {
  return url ? RedisStore.connect(url, prefix) : new MemoryStore();
}
