import { eq } from 'drizzle-orm';
import { generateSecret, generateURI, verify } from 'otplib';
import { badInput, PublicError, ErrorCode, type Caller } from '@palisade/auth';
import { envString, type AuditWriter, type Db, type Store } from '@palisade/kit';
import { users, type UserRow } from '../db/schema.ts';

const CODE = /^\d{6}$/;

/** Time-based one-time passwords (RFC 6238): 6 digits, 30 s steps, one step of drift, each code once. */
export class TotpService {
  constructor(private readonly d: { db: Db; store: Store; audit: AuditWriter }) {}

  /** True when the code is right now and was not used before (a code seen once is spent). */
  async check(user: Pick<UserRow, 'id'>, secret: string, code: string | null | undefined): Promise<boolean> {
    if (!code || !CODE.test(code)) return false;
    const result = await verify({ secret, token: code, epochTolerance: 30 });
    if (!result.valid) return false;
    return this.d.store.setIfAbsent(`totp-used:${user.id}:${code}`, '1', 120);
  }

  async enroll(caller: Caller, user: UserRow): Promise<{ secret: string; otpauthUri: string }> {
    if (user.totpSecret) throw badInput('Two-factor sign-in is already on; disable it first');
    const secret = generateSecret();
    await this.d.db.update(users).set({ totpPendingSecret: secret, updatedAt: new Date() }).where(eq(users.id, user.id));
    return { secret, otpauthUri: generateURI({ issuer: envString('TOTP_ISSUER', 'Palisade'), label: user.email, secret }) };
  }

  async confirm(caller: Caller, user: UserRow, code: string): Promise<boolean> {
    if (!user.totpPendingSecret) throw badInput('Start with enrollTotp');
    if (!(await this.check(user, user.totpPendingSecret, code))) throw badInput('That code is not right; check the authenticator clock', 'code');
    await this.d.db.transaction(async (tx) => {
      await tx.update(users).set({ totpSecret: user.totpPendingSecret, totpPendingSecret: null, updatedAt: new Date() }).where(eq(users.id, user.id));
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
