import { hash, verify } from '@node-rs/argon2';
import { serviceUnavailable } from './errors.ts';

// OWASP Password Storage Cheat Sheet: argon2id, m=19 MiB, t=2, p=1.
const OPTIONS = { algorithm: 2 /* Algorithm.Argon2id; a const enum, so not importable under verbatimModuleSyntax */, memoryCost: 19456, timeCost: 2, parallelism: 1 } as const;

/**
 * Argon2 runs on libuv's thread pool (4 threads by default). Unbounded, 150 parallel registrations queued
 * 150 hashes ahead of every sign-in (logins went from 30 ms to 3.4 s). So hashing is bounded: at most
 * `concurrency` argon2 calls at once, of which at most `hashConcurrency` are new hashes (registration,
 * password change); a waiting sign-in takes the next free slot before any waiting hash; and a queue past its
 * bound is refused at once (SERVICE_UNAVAILABLE) rather than piling up.
 *
 * Checking a new password's strength (zxcvbn) is CPU on the event loop itself, 50–170 ms a password here, so
 * checks run inside the hash lane, one at a time, each only after the loop has served the I/O already waiting
 * (sign-ins among it): a registration flood delays a sign-in by at most one check per step, not by all of them.
 */
export interface HashingLimits {
  concurrency: number;
  hashConcurrency: number;
  maxQueuedHashes: number;
  maxQueuedVerifies: number;
}

export const DEFAULT_HASHING_LIMITS: HashingLimits = { concurrency: 4, hashConcurrency: 2, maxQueuedHashes: 16, maxQueuedVerifies: 256 };

const busy = () => serviceUnavailable('The service is busy; retry shortly');

export type HashLane = 'verify' | 'hash';

export class HashingQueue {
  running = 0;
  runningHashes = 0;
  /** The most argon2 calls, and new hashes, ever running at once (for tests and metrics). */
  peak = 0;
  peakHashes = 0;
  refused = 0;
  /** argon2 calls finished per lane: what a sign-in cost, countable where a stopwatch would only guess. */
  readonly completed: Record<HashLane, number> = { verify: 0, hash: 0 };
  private readonly waiting: Record<HashLane, (() => void)[]> = { verify: [], hash: [] };
  private checking: Promise<unknown> = Promise.resolve();
  checksRunning = 0;
  peakChecks = 0;

  constructor(readonly limits: HashingLimits) {}

  /** Runs new-password checks one at a time, each after the I/O already waiting has been served. */
  check(run: () => void | Promise<void>): Promise<void> {
    const next = this.checking.then(async () => {
      await new Promise<void>((resolve) => setImmediate(resolve));
      this.peakChecks = Math.max(this.peakChecks, ++this.checksRunning);
      try {
        await run();
      } finally {
        this.checksRunning--;
      }
    });
    this.checking = next.catch(() => undefined);
    return next;
  }

  get queued() {
    return { verify: this.waiting.verify.length, hash: this.waiting.hash.length };
  }

  async run<T>(lane: HashLane, task: () => Promise<T>): Promise<T> {
    if (this.mayStart(lane)) this.take(lane);
    else {
      const queue = this.waiting[lane];
      if (queue.length >= (lane === 'hash' ? this.limits.maxQueuedHashes : this.limits.maxQueuedVerifies)) {
        this.refused++;
        throw busy();
      }
      // release() hands the slot over (take) before resolving, so nobody can overtake in between.
      await new Promise<void>((resolve) => queue.push(resolve));
    }
    try {
      return await task();
    } finally {
      this.completed[lane]++;
      this.release(lane);
    }
  }

  private mayStart(lane: HashLane) {
    if (this.running >= this.limits.concurrency || this.waiting.verify.length) return false;
    return lane === 'verify' || (this.runningHashes < this.limits.hashConcurrency && !this.waiting.hash.length);
  }

  private take(lane: HashLane) {
    this.running++;
    if (lane === 'hash') this.runningHashes++;
    this.peak = Math.max(this.peak, this.running);
    this.peakHashes = Math.max(this.peakHashes, this.runningHashes);
  }

  private release(lane: HashLane) {
    this.running--;
    if (lane === 'hash') this.runningHashes--;
    while (this.running < this.limits.concurrency) {
      const next: HashLane | null = this.waiting.verify.length ? 'verify' : this.waiting.hash.length && this.runningHashes < this.limits.hashConcurrency ? 'hash' : null;
      if (!next) break;
      this.take(next);
      this.waiting[next].shift()!();
    }
  }
}

export interface PasswordHasher {
  hashPassword(password: string): Promise<string>;
  /**
   * Checks a new password (a strength estimate is itself costly CPU) and hashes it, both inside the hashing
   * bound: a flood past the queue is refused before either runs, and at most `hashConcurrency` run at once.
   */
  hashNewPassword(password: string, check: () => void | Promise<void>): Promise<string>;
  verifyPassword(storedHash: string | null | undefined, password: string): Promise<boolean>;
  readonly queue: HashingQueue;
}

export interface Argon2 {
  hash(password: string): Promise<string>;
  verify(hash: string, password: string): Promise<boolean>;
}

const argon2: Argon2 = { hash: async (p) => hash(p, OPTIONS), verify: async (h, p) => verify(h, p) };

export function createPasswordHasher(limits: HashingLimits = DEFAULT_HASHING_LIMITS, impl: Argon2 = argon2): PasswordHasher {
  const queue = new HashingQueue(limits);
  let dummyHash: Promise<string> | undefined;
  return {
    queue,
    hashPassword: (password) => queue.run('hash', () => impl.hash(password)),
    hashNewPassword: (password, check) =>
      queue.run('hash', async () => {
        await queue.check(check);
        return impl.hash(password);
      }),
    /**
     * Verifies a password against a stored hash. With no hash (unknown account) it still runs a full
     * verification against a dummy hash, so the two cases take the same time and cannot be told apart.
     */
    verifyPassword: (storedHash, password) =>
      queue.run('verify', async () => {
        if (!storedHash) {
          dummyHash ??= impl.hash('palisade-dummy-password-for-timing');
          await impl.verify(await dummyHash, password).catch(() => false);
          return false;
        }
        return impl.verify(storedHash, password).catch(() => false);
      }),
  };
}

let shared = createPasswordHasher();

/** Sets the process's hashing bounds (entry points, from configuration); the queue starts empty. */
export function configurePasswordHashing(limits: Partial<HashingLimits>): void {
  const l = { ...DEFAULT_HASHING_LIMITS, ...limits };
  if (![l.concurrency, l.hashConcurrency].every((n) => Number.isInteger(n) && n >= 1) || l.hashConcurrency > l.concurrency || l.maxQueuedHashes < 0 || l.maxQueuedVerifies < 0) {
    throw new Error('password hashing: concurrency and new-hash concurrency must be at least 1, the latter at most the former; queues at least 0');
  }
  shared = createPasswordHasher(l);
}

export const passwordHashingQueue = () => shared.queue;
export const hashPassword = (password: string): Promise<string> => shared.hashPassword(password);
export const hashNewPassword = (password: string, check: () => void | Promise<void>): Promise<string> => shared.hashNewPassword(password, check);
export const verifyPassword = (storedHash: string | null | undefined, password: string): Promise<boolean> => shared.verifyPassword(storedHash, password);
