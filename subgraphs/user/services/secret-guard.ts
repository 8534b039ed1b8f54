import { PublicError, type Caller } from '@palisade/auth';
import type { AuditWriter, Db } from '@palisade/kit';
import type { UserRow } from '../db/schema.ts';
import type { LockoutService } from './lockout.service.ts';
import type { SessionService } from './session.service.ts';

export interface SecretGuardDeps {
  db: Db;
  audit: AuditWriter;
  lockout: LockoutService;
  sessions: SessionService;
}

/** Thrown by a check whose secret was wrong, as opposed to any other refusal. */
export class WrongSecret extends PublicError {}

export type SecretFailedAction = 'auth.password_change_failed' | 'auth.totp_failed' | 'user.deleted';
export type TokenKind = 'reset_password' | 'verify_email' | 'refresh';

/**
 * Every secret check a signed-in caller can make (current password, one-time code) goes through here, so a
 * stolen access token is not an oracle: it is refused while locked, and each wrong answer is audited and
 * counts toward the same lockout as sign-in (per account and address, and per account for unknown clients).
 */
export class SecretGuard {
  constructor(private readonly d: SecretGuardDeps) {}

  check<T>(caller: Caller, user: UserRow, action: SecretFailedAction, run: () => Promise<T>, isWrong: (err: unknown) => boolean = (e) => e instanceof WrongSecret): Promise<T> {
    // One at a time per account, so a burst is counted as the same guesses one after another would be.
    return this.d.lockout.oneAtATime(user.email, () => this.checkNow(caller, user, action, run, isWrong));
  }

  private async checkNow<T>(caller: Caller, user: UserRow, action: SecretFailedAction, run: () => Promise<T>, isWrong: (err: unknown) => boolean): Promise<T> {
    await this.d.lockout.assertMayTry(user.email, caller.ip, () => this.d.sessions.isKnownClient(user.id, caller.ip));
    try {
      return await run();
    } catch (err) {
      if (!isWrong(err)) throw err;
      const lockedFor = await this.d.lockout.recordFailure(user.email, caller.ip);
      await this.d.db.transaction(async (tx) => {
        const subject = { actorId: user.id, resourceType: 'User', resourceId: user.id };
        await this.d.audit(tx, caller, { action, outcome: 'FAILURE', ...subject });
        if (lockedFor) await this.d.audit(tx, caller, { action: 'auth.locked', outcome: 'DENIED', ...subject, metadata: { seconds: lockedFor, after: action } });
      });
      throw err;
    }
  }

  /**
   * Mailed and refresh tokens name no account until they match: a wrong one is audited and counts against
   * the caller's address, which is throttled once it keeps failing.
   */
  async checkToken<T>(caller: Caller, kind: TokenKind, run: () => Promise<T>, isWrong: (err: unknown) => boolean): Promise<T> {
    await this.d.lockout.assertAddress('token', caller.ip);
    try {
      return await run();
    } catch (err) {
      if (!isWrong(err)) throw err;
      await this.d.lockout.recordAddressFailure('token', caller.ip);
      await this.d.db.transaction((tx) => this.d.audit(tx, caller, { action: 'auth.token_rejected', outcome: 'FAILURE', metadata: { kind } }));
      throw err;
    }
  }
}
