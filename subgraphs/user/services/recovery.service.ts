import { and, eq, gt, isNull } from 'drizzle-orm';
import { badInput, hashPassword, type Caller } from '@palisade/auth';
import { envString, type AuditWriter, type Db, type Logger, type Tx } from '@palisade/kit';
import { actionTokens, users, type UserRow } from '../db/schema.ts';
import type { LockoutService } from './lockout.service.ts';
import type { Mailer } from './mailer.ts';
import type { SessionService } from './session.service.ts';
import { hashSecret, newSecret } from './tokens.ts';
import { normalizeEmail, validateNewPassword } from './validation.ts';

type Purpose = 'verify_email' | 'reset_password';
const TOKEN_MINUTES = 60;
const invalidToken = () => badInput('This link is invalid or has expired', 'token');

export interface RecoveryDeps {
  db: Db;
  audit: AuditWriter;
  mailer: Mailer;
  sessions: SessionService;
  lockout: LockoutService;
  log: Logger;
}

/** Email verification and password reset: single-use mailed tokens, stored as hashes, alive an hour. */
export class RecoveryService {
  constructor(private readonly d: RecoveryDeps) {}

  private link(path: string, token: string) {
    return `${envString('PUBLIC_APP_URL', 'http://localhost:3000')}/${path}?token=${token}`;
  }

  private async issue(tx: Tx, userId: string, purpose: Purpose): Promise<string> {
    const { token, hash } = newSecret();
    // A new link retires the old ones: only the newest mail works.
    await tx.update(actionTokens).set({ usedAt: new Date() }).where(and(eq(actionTokens.userId, userId), eq(actionTokens.purpose, purpose), isNull(actionTokens.usedAt)));
    await tx.insert(actionTokens).values({ hash, userId, purpose, expiresAt: new Date(Date.now() + TOKEN_MINUTES * 60_000) });
    return token;
  }

  async sendVerification(tx: Tx, user: UserRow): Promise<void> {
    const token = await this.issue(tx, user.id, 'verify_email');
    await this.d.mailer.send({ to: user.email, subject: 'Confirm your email', text: `Confirm your email address: ${this.link('verify-email', token)}\nThe link works once, for an hour.` });
  }

  /** Always true, whether or not the address has an account: nothing to enumerate. */
  async requestReset(caller: Caller, rawEmail: string): Promise<boolean> {
    let email: string;
    try {
      email = normalizeEmail(rawEmail);
    } catch {
      return true;
    }
    const [user] = await this.d.db.select().from(users).where(eq(users.email, email));
    if (!user || !user.active) return true;
    const token = await this.d.db.transaction(async (tx) => {
      const t = await this.issue(tx, user.id, 'reset_password');
      await this.d.audit(tx, caller, { action: 'auth.password_reset_requested', outcome: 'SUCCESS', actorId: null, resourceType: 'User', resourceId: user.id });
      return t;
    });
    await this.d.mailer.send({ to: user.email, subject: 'Reset your password', text: `Choose a new password: ${this.link('reset-password', token)}\nThe link works once, for an hour. If you did not ask for it, ignore this mail.` }).catch((err) => {
      this.d.log.error({ err: (err as Error).message }, 'could not send password reset mail');
    });
    return true;
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
