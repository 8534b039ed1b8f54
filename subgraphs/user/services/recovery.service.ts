import { and, eq, gt, isNull } from 'drizzle-orm';
import { badInput, hashPassword, type Caller } from '@palisade/auth';
import { type AuditWriter, type Db, type Logger, type Tx } from '@palisade/kit';
import { actionTokens, mailQueue, users, type UserRow } from '../db/schema.ts';
import type { LockoutService } from './lockout.service.ts';
import type { Mail } from './mailer.ts';
import type { SessionService } from './session.service.ts';
import { hashSecret, newSecret } from './tokens.ts';
import { normalizeEmail, validateNewPassword } from './validation.ts';

type Purpose = 'verify_email' | 'reset_password';
const TOKEN_MINUTES = 60;
const invalidToken = () => badInput('This link is invalid or has expired', 'token');

export interface RecoveryDeps {
  db: Db;
  audit: AuditWriter;
  sessions: SessionService;
  lockout: LockoutService;
  log: Logger;
  /** PUBLIC_APP_URL: where the links in mail point. */
  publicAppUrl: string;
}

/** Email verification and password reset: single-use mailed tokens, stored as hashes, alive an hour. */
export class RecoveryService {
  constructor(private readonly d: RecoveryDeps) {}

  private link(path: string, token: string) {
    return `${this.d.publicAppUrl}/${path}?token=${token}`;
  }

  private async issue(tx: Tx, userId: string, purpose: Purpose): Promise<string> {
    const { token, hash } = newSecret();
    // A new link retires the old ones: only the newest mail works.
    await tx.update(actionTokens).set({ usedAt: new Date() }).where(and(eq(actionTokens.userId, userId), eq(actionTokens.purpose, purpose), isNull(actionTokens.usedAt)));
    await tx.insert(actionTokens).values({ hash, userId, purpose, expiresAt: new Date(Date.now() + TOKEN_MINUTES * 60_000) });
    return token;
  }

  /** Queues the verification mail with the new account, in its transaction; the mail queue sends it. */
  async sendVerification(tx: Tx, user: UserRow): Promise<void> {
    await tx.insert(mailQueue).values({ kind: 'verify_email', userId: user.id });
  }

  /**
   * Always true, and the same work whether or not the address has an account: one lookup, one queued row, one
   * audit record. The token and the mail come later, from the queue, so neither SMTP nor token creation is
   * on this path to be timed.
   */
  async requestReset(caller: Caller, rawEmail: string): Promise<boolean> {
    let email: string;
    try {
      email = normalizeEmail(rawEmail);
    } catch {
      return true;
    }
    const [user] = await this.d.db.select({ id: users.id, active: users.active }).from(users).where(eq(users.email, email));
    const userId = user?.active ? user.id : null;
    await this.d.db.transaction(async (tx) => {
      await tx.insert(mailQueue).values({ kind: 'reset_password', userId });
      await this.d.audit(tx, caller, { action: 'auth.password_reset_requested', outcome: 'SUCCESS', actorId: null, resourceType: 'User', resourceId: userId });
    });
    return true;
  }

  /** The mail for one queued row, with a fresh token; null when there is nothing to send (any more). */
  async compose(kind: string, userId: string): Promise<Mail | null> {
    return this.d.db.transaction(async (tx) => {
      const [user] = await tx.select().from(users).where(eq(users.id, userId));
      if (!user || !user.active) return null;
      if (kind === 'reset_password') {
        const token = await this.issue(tx, user.id, 'reset_password');
        return { to: user.email, subject: 'Reset your password', text: `Choose a new password: ${this.link('reset-password', token)}\nThe link works once, for an hour. If you did not ask for it, ignore this mail.` };
      }
      if (kind === 'verify_email' && !user.emailVerified) {
        const token = await this.issue(tx, user.id, 'verify_email');
        return { to: user.email, subject: 'Confirm your email', text: `Confirm your email address: ${this.link('verify-email', token)}\nThe link works once, for an hour.` };
      }
      return null;
    });
  }

  private async consume(tx: Tx, token: string, purpose: Purpose): Promise<UserRow> {
    if (typeof token !== 'string' || token.length > 200) throw invalidToken();
    const [used] = await tx
      .update(actionTokens)
      .set({ usedAt: new Date() })
      .where(and(eq(actionTokens.hash, hashSecret(token)), eq(actionTokens.purpose, purpose), isNull(actionTokens.usedAt), gt(actionTokens.expiresAt, new Date())))
      .returning({ userId: actionTokens.userId });
    if (!used) throw invalidToken();
    const [user] = await tx.select().from(users).where(eq(users.id, used.userId));
    if (!user || !user.active) throw invalidToken();
    return user;
  }

  /** A reset ends every session and clears the lockout: whoever held the old password is out. */
  async resetPassword(caller: Caller, token: string, newPassword: string): Promise<boolean> {
    const user = await this.d.db.transaction(async (tx) => {
      const u = await this.consume(tx, token, 'reset_password');
      await validateNewPassword(newPassword, u, 'newPassword');
      await tx.update(users).set({ passwordHash: await hashPassword(newPassword), updatedAt: new Date() }).where(eq(users.id, u.id));
      await this.d.sessions.revokeAllFor(tx, u.id);
      await this.d.audit(tx, caller, { action: 'auth.password_reset', outcome: 'SUCCESS', actorId: u.id, resourceType: 'User', resourceId: u.id });
      return u;
    });
    await this.d.lockout.clear(user.email);
    return true;
  }

  async verifyEmail(caller: Caller, token: string): Promise<boolean> {
    await this.d.db.transaction(async (tx) => {
      const u = await this.consume(tx, token, 'verify_email');
      await tx.update(users).set({ emailVerified: true, updatedAt: new Date() }).where(eq(users.id, u.id));
      await this.d.audit(tx, caller, { action: 'auth.email_verified', outcome: 'SUCCESS', actorId: u.id, resourceType: 'User', resourceId: u.id });
    });
    return true;
  }
}
