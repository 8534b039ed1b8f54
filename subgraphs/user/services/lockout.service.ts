import { createHash } from 'node:crypto';
import { PublicError, ErrorCode } from '@palisade/auth';
import { envInt, type Store } from '@palisade/kit';

export const ACCOUNT_FAILURES = 5; // within the window; lockout thresholds are not scaled
const WINDOW_SECONDS = 15 * 60;
const MAX_LOCK_SECONDS = 15 * 60;

/**
 * Brute-force brakes. Failures are counted per email as typed (so unknown emails lock exactly like real
 * ones and reveal nothing), and per client IP (so one IP cannot cheaply lock out many accounts).
 */
export class LockoutService {
  private readonly ipLimit: number;
  private readonly lockBaseSeconds = envInt('LOGIN_LOCK_BASE_SECONDS', 60);
  constructor(private readonly store: Store) {
    this.ipLimit = Math.max(1, Math.round(envInt('LOGIN_IP_FAILURE_LIMIT', 20) * Number(process.env.RATE_LIMIT_SCALE ?? 1)));
  }

  private account = (email: string) => createHash('sha256').update(email).digest('base64url');

  /** Throws when this attempt must not even be tried. */
  async assertMayTry(email: string, ip: string | null): Promise<void> {
    if (ip) {
      const failures = Number((await this.store.get(`login-fail:ip:${ip}`)) ?? 0);
      if (failures >= this.ipLimit) {
        const retry = (await this.store.ttl(`login-fail:ip:${ip}`)) ?? WINDOW_SECONDS;
        throw new PublicError(ErrorCode.RATE_LIMITED, 'Too many failed sign-ins from this address; try again later', { retryAfterSeconds: retry });
      }
    }
    const locked = await this.store.ttl(`login-lock:${this.account(email)}`);
    if (locked) throw new PublicError(ErrorCode.ACCOUNT_LOCKED, 'Too many failed sign-ins; the account is locked for a while', { retryAfterSeconds: locked });
  }

  /** Counts a failure; returns the lock length in seconds when this failure locked the account. */
  async recordFailure(email: string, ip: string | null): Promise<number | null> {
    if (ip) await this.store.incr(`login-fail:ip:${ip}`, WINDOW_SECONDS);
    const acct = this.account(email);
    const failures = await this.store.incr(`login-fail:acct:${acct}`, WINDOW_SECONDS);
    if (failures < ACCOUNT_FAILURES) return null;
    // Each lock in a day doubles the wait: 1, 2, 4, 8 minutes, then 15.
    const locks = await this.store.incr(`login-locks:${acct}`, 24 * 3600);
    const seconds = Math.min(this.lockBaseSeconds * 2 ** (locks - 1), MAX_LOCK_SECONDS);
    await this.store.set(`login-lock:${acct}`, '1', seconds);
    await this.store.del(`login-fail:acct:${acct}`);
    return seconds;
  }

  async recordSuccess(email: string): Promise<void> {
    await this.store.del(`login-fail:acct:${this.account(email)}`);
  }

  /** A password reset proves the owner: the account starts clean. */
  async clear(email: string): Promise<void> {
    const acct = this.account(email);
    await Promise.all([this.store.del(`login-fail:acct:${acct}`), this.store.del(`login-lock:${acct}`), this.store.del(`login-locks:${acct}`)]);
  }
}
