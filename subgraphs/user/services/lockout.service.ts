import { createHash } from 'node:crypto';
import { PublicError, ErrorCode } from '@palisade/auth';
import { clientAddressKey, type PalisadeConfig, type Store } from '@palisade/kit';

// Lockout thresholds are not scaled by RATE_LIMIT_SCALE (contract): they count failures, not traffic.
/** Failures against one account from one client address before that address is locked out of it. */
export const CLIENT_FAILURES = 5;
/** Failures against one account from anywhere before it is locked for clients it does not know. */
export const ACCOUNT_FAILURES = 5;
/** Second-factor tries an account's lock lets unknown clients make, from all addresses together. */
export const STEP_UP_TRIES = 5;
const WINDOW_SECONDS = 15 * 60;
const MAX_LOCK_SECONDS = 15 * 60;

const locked = (seconds: number) => new PublicError(ErrorCode.ACCOUNT_LOCKED, 'Too many failed attempts; the account is locked for a while', { retryAfterSeconds: seconds });
/** The account's lock, which its second factor gets past; said the same for every email. */
export const accountLocked = (seconds: number) =>
  new PublicError(ErrorCode.ACCOUNT_LOCKED, 'Too many failed attempts; the account is locked for a while. A one-time code (two-factor sign-in) or a password reset gets you in now', {
    retryAfterSeconds: seconds,
  });
const throttled = (seconds: number) => new PublicError(ErrorCode.RATE_LIMITED, 'Too many failed attempts from this address; try again later', { retryAfterSeconds: seconds });

export interface LockoutSettings {
  /** LOGIN_IP_FAILURE_LIMIT: failures per address over all accounts before the address is throttled. */
  ipFailureLimit: number;
  /** LOGIN_LOCK_BASE_SECONDS: the first lock; doubles per lock up to 15 minutes. */
  lockBaseSeconds: number;
  /** RATE_LIMIT_SCALE, which the address throttle follows (the account locks do not). */
  rateLimitScale: number;
}

export const lockoutSettings = (c: PalisadeConfig): LockoutSettings => ({ ipFailureLimit: c.user.loginIpFailureLimit, lockBaseSeconds: c.user.loginLockBaseSeconds, rateLimitScale: c.rateLimits.scale });

/**
 * Brute-force brakes for every secret check (sign-in, current password, one-time codes), counted three ways:
 * - per account and client address: 5 failures lock that address out of that account (1, 2, 4, 8, then
 *   15 minutes), whoever it is — the owner's own client included;
 * - per account: 5 failures from anywhere lock the account for clients it does not know, so guessing spread
 *   over many addresses stops too; a client the owner signed in from before (a known client) is not locked
 *   out by strangers' failures, and an unknown one gets past with the second factor (step-up: 5 tries per
 *   lock, over all addresses) or a reset;
 * - per address, over all accounts: LOGIN_IP_FAILURE_LIMIT failures throttle the address itself.
 * Accounts are keyed by the email as typed, so unknown emails lock exactly like real ones and reveal nothing;
 * an address is an IPv4 address or an IPv6 /64 (clientAddressKey), so rotating within one's network is no way out.
 */
export class LockoutService {
  private readonly ipLimit: number;
  private readonly lockBaseSeconds: number;
  constructor(
    private readonly store: Store,
    o: LockoutSettings,
  ) {
    this.lockBaseSeconds = o.lockBaseSeconds;
    // A per-address throttle over all accounts is a rate limit (one NAT holds many honest users): scaled.
    this.ipLimit = Math.max(1, Math.round(o.ipFailureLimit * o.rateLimitScale));
  }

  private account = (email: string) => createHash('sha256').update(email).digest('base64url');

  // A reset proves the owner and starts a new generation: per-address counts of older ones no longer apply.
  private async pair(acct: string, ip: string) {
    return `${acct}:${(await this.store.get(`lockout-gen:${acct}`)) ?? '0'}:${clientAddressKey(ip)}`;
  }

  /**
   * Throws when this attempt must not even be tried. `knownClient` is asked only while the account is locked
   * for strangers, and the same work is done for unknown emails. With `stepUp` (the caller offers a second
   * factor), an unknown client of a locked account may go on: the lock's remaining seconds are returned, and
   * the caller must check the second factor before anything else.
   */
  async assertMayTry(email: string, ip: string | null, knownClient: () => Promise<boolean>, stepUp = false): Promise<number | null> {
    if (ip) await this.assertAddress('login', ip);
    const acct = this.account(email);
    if (ip) {
      const pairLock = await this.store.ttl(`lock:pair:${await this.pair(acct, ip)}`);
      if (pairLock) throw locked(pairLock);
    }
    const accountLock = await this.store.ttl(`lock:acct:${acct}`);
    if (!accountLock || (await knownClient())) return null;
    if (!stepUp) throw accountLocked(accountLock);
    // Lives as long as the lock it belongs to: the next lock starts with fresh tries.
    if ((await this.store.incr(`stepup:acct:${acct}`, accountLock)) > STEP_UP_TRIES) throw accountLocked(accountLock);
    return accountLock;
  }

  /**
   * Runs one check of the account's secret at a time: checks sent at once (from many addresses, with one
   * stolen token) would all pass assertMayTry before the first failure was counted. Another under way: RATE_LIMITED.
   */
  async oneAtATime<T>(email: string, run: () => Promise<T>): Promise<T> {
    const key = `checking:acct:${this.account(email)}`;
    // The expiry only frees the account should this process die mid-check; a check takes well under a second.
    if (!(await this.store.setIfAbsent(key, '1', 30))) throw new PublicError(ErrorCode.RATE_LIMITED, 'Another check of this account is under way; try again in a moment', { retryAfterSeconds: 1 });
    try {
      return await run();
    } finally {
      await this.store.del(key);
    }
  }

  /** Counts a failure; returns the lock length in seconds when this failure started a lock. */
  async recordFailure(email: string, ip: string | null): Promise<number | null> {
    await this.recordAddressFailure('login', ip);
    const acct = this.account(email);
    const pairLock = ip ? await this.countTowardLock(`pair:${await this.pair(acct, ip)}`, CLIENT_FAILURES) : null;
    const accountLock = await this.countTowardLock(`acct:${acct}`, ACCOUNT_FAILURES);
    return pairLock ?? accountLock;
  }

  /** Each lock of the same kind within a day doubles the wait: 1, 2, 4, 8 minutes, then 15. */
  private async countTowardLock(subject: string, threshold: number): Promise<number | null> {
    const failures = await this.store.incr(`fail:${subject}`, WINDOW_SECONDS);
    if (failures < threshold) return null;
    const locks = await this.store.incr(`locks:${subject}`, 24 * 3600);
    const seconds = Math.min(this.lockBaseSeconds * 2 ** (locks - 1), MAX_LOCK_SECONDS);
    await this.store.set(`lock:${subject}`, '1', seconds);
    await this.store.del(`fail:${subject}`);
    return seconds;
  }

  /** A success from this address clears its count and the account's count, not a lock already running. */
  async recordSuccess(email: string, ip: string | null): Promise<void> {
    const acct = this.account(email);
    await Promise.all([this.store.del(`fail:acct:${acct}`), ip ? this.store.del(`fail:pair:${await this.pair(acct, ip)}`) : undefined]);
  }

  /** Checks of mailed or refresh tokens: there is no account to lock, so the address is throttled. */
  async assertAddress(kind: 'login' | 'token', ip: string | null): Promise<void> {
    if (!ip) return;
    const key = `fail:ip:${kind}:${clientAddressKey(ip)}`;
    const failures = Number((await this.store.get(key)) ?? 0);
    if (failures >= this.ipLimit) throw throttled((await this.store.ttl(key)) ?? WINDOW_SECONDS);
  }

  async recordAddressFailure(kind: 'login' | 'token', ip: string | null): Promise<void> {
    if (ip) await this.store.incr(`fail:ip:${kind}:${clientAddressKey(ip)}`, WINDOW_SECONDS);
  }

  /** A password reset proves the owner: the account starts clean, at every address. */
  async clear(email: string): Promise<void> {
    const acct = this.account(email);
    await this.store.incr(`lockout-gen:${acct}`, 24 * 3600);
    await Promise.all([this.store.del(`fail:acct:${acct}`), this.store.del(`lock:acct:${acct}`), this.store.del(`locks:acct:${acct}`), this.store.del(`stepup:acct:${acct}`)]);
  }
}
