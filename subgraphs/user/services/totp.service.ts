import { and, asc, eq, gt, isNotNull, notLike, or } from 'drizzle-orm';
import { generateSecret, generateURI, verify } from 'otplib';
import { badInput, PublicError, ErrorCode, SecretBox, type Caller } from '@palisade/auth';
import { type AuditWriter, type Db, type Logger, type Store } from '@palisade/kit';
import { users, type UserRow } from '../db/schema.ts';

const CODE = /^\d{6}$/;
// Bound to the user, not the column: enrolment moves the pending secret to the confirmed one as it is.
const context = (userId: string) => `users.totp:${userId}`;

/**
 * Time-based one-time passwords (RFC 6238): 6 digits, 30 s steps, one step of drift, each code once.
 * Secrets are stored sealed (auth/secret-box.ts); rows from before encryption, or under an older key, are
 * read as they are and sealed again under the current key when read and by `resealAll` at start.
 */
export class TotpService {
  /** `issuer`: the name authenticator apps show (TOTP_ISSUER). */
  constructor(private readonly d: { db: Db; store: Store; audit: AuditWriter; box: SecretBox; log: Logger; issuer: string }) {}

  /** The secret of a stored value; a value that does not open fails the request (never a guess at it). */
  private reveal(userId: string, stored: string): string {
    if (!SecretBox.isSealed(stored)) return stored;
    try {
      return this.d.box.open(stored, context(userId));
    } catch (err) {
      this.d.log.error({ userId, err: (err as Error).message }, 'a stored TOTP secret did not open');
      throw new Error('stored TOTP secret did not open');
    }
  }

  /** Seals a stored value again under the current key, unless someone changed it meanwhile. */
  private async reseal(userId: string, stored: string, secret: string): Promise<void> {
    const sealed = this.d.box.seal(secret, context(userId));
    await this.d.db.update(users).set({ totpSecret: sealed }).where(and(eq(users.id, userId), eq(users.totpSecret, stored)));
    await this.d.db.update(users).set({ totpPendingSecret: sealed }).where(and(eq(users.id, userId), eq(users.totpPendingSecret, stored)));
  }

  /** True when the code is right now and was not used before (a code seen once is spent). */
  async check(user: Pick<UserRow, 'id'>, stored: string, code: string | null | undefined): Promise<boolean> {
    if (!code || !CODE.test(code)) return false;
    const secret = this.reveal(user.id, stored);
    if (this.d.box.needsReseal(stored)) await this.reseal(user.id, stored, secret).catch((err) => this.d.log.warn({ err: (err as Error).message }, 'could not reseal a TOTP secret'));
    const result = await verify({ secret, token: code, epochTolerance: 30 });
    if (!result.valid) return false;
    return this.d.store.setIfAbsent(`totp-used:${user.id}:${code}`, '1', 120);
  }

  /** Seals every stored secret that is plaintext or under an older key; returns how many it sealed. */
  async resealAll(): Promise<number> {
    const current = `enc:v1:${this.d.box.currentKeyId}:%`;
    const stale = or(and(isNotNull(users.totpSecret), notLike(users.totpSecret, current)), and(isNotNull(users.totpPendingSecret), notLike(users.totpPendingSecret, current)));
    let after = '00000000-0000-0000-0000-000000000000';
    let sealed = 0;
    for (;;) {
      const rows = await this.d.db.select({ id: users.id, a: users.totpSecret, b: users.totpPendingSecret }).from(users).where(and(stale, gt(users.id, after))).orderBy(asc(users.id)).limit(200);
      if (!rows.length) return sealed;
      for (const row of rows) {
        for (const stored of [row.a, row.b]) {
          if (!stored || !this.d.box.needsReseal(stored)) continue;
          try {
            await this.reseal(row.id, stored, this.reveal(row.id, stored));
            sealed++;
          } catch {} // logged by reveal; the row stays as it is and fails closed when used
        }
      }
      after = rows[rows.length - 1]!.id;
    }
  }

  async enroll(caller: Caller, user: UserRow): Promise<{ secret: string; otpauthUri: string }> {
    if (user.totpSecret) throw badInput('Two-factor sign-in is already on; disable it first');
    const secret = generateSecret();
    await this.d.db.update(users).set({ totpPendingSecret: this.d.box.seal(secret, context(user.id)), updatedAt: new Date() }).where(eq(users.id, user.id));
    return { secret, otpauthUri: generateURI({ issuer: this.d.issuer, label: user.email, secret }) };
  }

  async confirm(caller: Caller, user: UserRow, code: string): Promise<boolean> {
    if (!user.totpPendingSecret) throw badInput('Start with enrollTotp');
    if (!(await this.check(user, user.totpPendingSecret, code))) throw badInput('That code is not right; check the authenticator clock', 'code');
    await this.d.db.transaction(async (tx) => {
      const sealed = this.d.box.seal(this.reveal(user.id, user.totpPendingSecret!), context(user.id));
      await tx.update(users).set({ totpSecret: sealed, totpPendingSecret: null, updatedAt: new Date() }).where(eq(users.id, user.id));
      await this.d.audit(tx, caller, { action: 'auth.totp_enabled', outcome: 'SUCCESS', resourceType: 'User', resourceId: user.id });
    });
    return true;
  }

  async disable(caller: Caller, user: UserRow, code: string): Promise<boolean> {
    if (!user.totpSecret) throw badInput('Two-factor sign-in is not on');
    if (!(await this.check(user, user.totpSecret, code))) throw new PublicError(ErrorCode.FORBIDDEN, 'That code is not right');
    await this.d.db.transaction(async (tx) => {
      await tx.update(users).set({ totpSecret: null, totpPendingSecret: null, updatedAt: new Date() }).where(eq(users.id, user.id));
      await this.d.audit(tx, caller, { action: 'auth.totp_disabled', outcome: 'SUCCESS', resourceType: 'User', resourceId: user.id });
    });
    return true;
  }
}
