import { and, count, eq, ilike, isNull, ne, or, sql, type SQL } from 'drizzle-orm';
import { badInput, conflict, hashNewPassword, hashPassword, isRole, notFound, PublicError, ErrorCode, verifyPassword, forbidden, type Caller, type Role } from '@palisade/auth';
import { isUuid, keysetPage, loadByIds, queryRows, type AuditWriter, type Connection, type Db, type Logger } from '@palisade/kit';
import { users, type UserRow } from '../db/schema.ts';
import { emailFingerprint } from './email-fingerprint.ts';
import { accountLocked, type LockoutService } from './lockout.service.ts';
import type { RecoveryService } from './recovery.service.ts';
import { SecretGuard, WrongSecret, type TokenKind } from './secret-guard.ts';
import type { AuthPayload, SessionService } from './session.service.ts';
import type { TotpService } from './totp.service.ts';
import { SecondFactorRequired, signInOutcome, type SignInOutcome } from './sign-in-outcome.ts';
import { normalizeEmail, validateDisplayName, validateNewPassword } from './validation.ts';

const invalidCredentials = () => new PublicError(ErrorCode.UNAUTHENTICATED, 'Invalid email or password');

export interface AccountDeps {
  db: Db;
  audit: AuditWriter;
  sessions: SessionService;
  lockout: LockoutService;
  totp: TotpService;
  recovery: RecoveryService;
  log: Logger;
  onLoginFailed?: (lockedFor: number | null) => void;
  /** Told how each sign-in ended, once what it wrote is committed. */
  onSignIn?: (outcome: SignInOutcome) => void;
  /** Told of each account created, once committed. */
  onRegistered?: () => void;
}

export class AccountService {
  private readonly guard: SecretGuard;
  constructor(private readonly d: AccountDeps) {
    this.guard = new SecretGuard(d);
  }

  async register(caller: Caller, input: { email: string; password: string; displayName: string }): Promise<AuthPayload> {
    const email = normalizeEmail(input.email);
    const displayName = validateDisplayName(input.displayName);
    // The strength check is costly CPU: it runs inside the hashing bounds, so a flood past them costs nothing.
    const passwordHash = await hashNewPassword(input.password, () => validateNewPassword(input.password, { email, displayName: input.displayName }, 'input.password'));
    const payload = await this.d.db.transaction(async (tx) => {
      const [user] = await tx.insert(users).values({ email, displayName, passwordHash, roles: ['CUSTOMER'] }).onConflictDoNothing().returning();
      if (!user) return null;
      await this.d.audit(tx, caller, { action: 'auth.register', outcome: 'SUCCESS', actorId: user.id, resourceType: 'User', resourceId: user.id });
      await this.d.recovery.sendVerification(tx, user);
      return this.d.sessions.start(tx, caller, user);
    });
    if (payload) {
      this.d.onRegistered?.();
      return payload;
    }
    // A taken address is an answer about who has an account: audited, so detection can count who asks.
    await this.d.db.transaction((tx) => this.d.audit(tx, caller, { action: 'auth.register', outcome: 'FAILURE', actorId: null, resourceType: 'User', resourceId: null, metadata: { reason: 'conflict' } }));
    throw conflict('An account with that email already exists');
  }

  async login(caller: Caller, input: { email: string; password: string; totpCode?: string | null }): Promise<AuthPayload> {
    try {
      const payload = await this.signIn(caller, input);
      this.d.onSignIn?.('success');
      return payload;
    } catch (err) {
      this.d.onSignIn?.(signInOutcome(err));
      throw err;
    }
  }

  private async signIn(caller: Caller, input: { email: string; password: string; totpCode?: string | null }): Promise<AuthPayload> {
    const typed = typeof input.email === 'string' ? input.email.trim().toLowerCase().slice(0, 254) : '';
    let email: string | null = null;
    try {
      email = normalizeEmail(input.email);
    } catch {}
    const [user] = email ? await this.d.db.select().from(users).where(eq(users.email, email)).limit(1) : [];
    // A stranger's failures lock the account for unknown clients only; the owner's known client gets in, and
    // an unknown one with the second factor (checked first: the lock is no password oracle for anyone else).
    const stepUp = await this.d.lockout.assertMayTry(typed, caller.ip, () => this.d.sessions.isKnownClient(user?.id ?? null, caller.ip), Boolean(input.totpCode));
    const steppedUp = stepUp !== null && Boolean(user?.totpSecret) && (await this.d.totp.check(user!, user!.totpSecret!, input.totpCode));
    // Unknown email and wrong password take the same path and the same time (a dummy hash is checked).
    const passwordOk = stepUp === null || steppedUp ? await verifyPassword(user?.passwordHash, input.password) : false;
    let reason = stepUp !== null && !steppedUp ? 'locked_bad_totp' : !user ? 'unknown_email' : !passwordOk ? 'bad_password' : !user.active ? 'inactive' : null;
    if (!reason && user?.totpSecret && !steppedUp) {
      if (!input.totpCode) throw new SecondFactorRequired();
      if (!(await this.d.totp.check(user, user.totpSecret, input.totpCode))) reason = 'bad_totp';
    }
    if (reason || !user) {
      const lockedFor = await this.d.lockout.recordFailure(typed, caller.ip);
      this.d.onLoginFailed?.(lockedFor);
      await this.d.db.transaction(async (tx) => {
        const subject = { actorId: user?.id ?? null, resourceType: 'User', resourceId: user?.id ?? null };
        await this.d.audit(tx, caller, { action: 'auth.login_failed', outcome: 'FAILURE', ...subject, metadata: { reason, ...(user ? {} : emailFingerprint(typed)) } });
        if (lockedFor) await this.d.audit(tx, caller, { action: 'auth.locked', outcome: 'DENIED', ...subject, metadata: { seconds: lockedFor } });
      });
      // While locked, every failure answers as the lock does, whatever was wrong.
      if (stepUp !== null) throw accountLocked(stepUp);
      if (reason === 'bad_totp') throw new PublicError(ErrorCode.UNAUTHENTICATED, 'Invalid one-time code', { field: 'totpCode' });
      throw invalidCredentials();
    }
    await this.d.lockout.recordSuccess(typed, caller.ip);
    return this.d.db.transaction(async (tx) => {
      await this.d.audit(tx, caller, { action: 'auth.login', outcome: 'SUCCESS', actorId: user.id, resourceType: 'User', resourceId: user.id });
      return this.d.sessions.start(tx, caller, user);
    });
  }

  /**
   * A sign-in whose input was refused before it ran (a NUL or an unpaired surrogate in it: see kit's
   * guardArguments) is still a failed sign-in: it counts toward lockout and is audited, without the value.
   */
  async loginRefused(caller: Caller, input: { email?: unknown } | null | undefined): Promise<void> {
    const typed = typeof input?.email === 'string' ? input.email.trim().toLowerCase().slice(0, 254) : '';
    const lockedFor = await this.d.lockout.recordFailure(typed, caller.ip);
    this.d.onLoginFailed?.(lockedFor);
    await this.d.db.transaction(async (tx) => {
      const subject = { actorId: null, resourceType: 'User', resourceId: null };
      await this.d.audit(tx, caller, { action: 'auth.login_failed', outcome: 'FAILURE', ...subject, metadata: { reason: 'bad_input' } });
      if (lockedFor) await this.d.audit(tx, caller, { action: 'auth.locked', outcome: 'DENIED', ...subject, metadata: { seconds: lockedFor } });
    });
    this.d.onSignIn?.('failure');
  }

  async updateProfile(caller: Caller, input: { displayName?: string | null }): Promise<UserRow> {
    if (input.displayName == null) throw badInput('input changes nothing');
    const displayName = validateDisplayName(input.displayName);
    return this.d.db.transaction(async (tx) => {
      // A deleted account is a placeholder: a request of theirs still under way must not name it again.
      const [user] = await tx.update(users).set({ displayName, updatedAt: new Date() }).where(and(eq(users.id, caller.userId!), isNull(users.deletedAt))).returning();
      if (!user) throw notFound('User not found');
      await this.d.audit(tx, caller, { action: 'user.profile_updated', outcome: 'SUCCESS', resourceType: 'User', resourceId: user.id, metadata: { fields: ['displayName'] } });
      return user;
    });
  }

  /** Needs the current password; every other session of the user ends. */
  async changePassword(caller: Caller, input: { currentPassword: string; newPassword: string }): Promise<boolean> {
    const user = await this.getById(caller.userId!);
    await this.guard.check(caller, user, 'auth.password_change_failed', async () => {
      if (!(await verifyPassword(user.passwordHash, input.currentPassword))) throw new WrongSecret(ErrorCode.FORBIDDEN, 'Current password is not right', { field: 'currentPassword' });
    });
    if (input.newPassword === input.currentPassword) throw badInput('The new password must differ from the current one', 'newPassword');
    const passwordHash = await hashNewPassword(input.newPassword, () => validateNewPassword(input.newPassword, user, 'input.newPassword'));
    await this.d.db.transaction(async (tx) => {
      await tx.update(users).set({ passwordHash, updatedAt: new Date() }).where(eq(users.id, user.id));
      const ended = await this.d.sessions.revokeAllFor(tx, user.id, caller.sessionId);
      await this.d.audit(tx, caller, { action: 'auth.password_changed', outcome: 'SUCCESS', resourceType: 'User', resourceId: user.id, metadata: { sessionsEnded: ended } });
    });
    return true;
  }

  async setRoles(caller: Caller, userId: string, roles: string[]): Promise<UserRow> {
    if (!isUuid(userId)) throw notFound('User not found');
    const wanted = [...new Set(roles)];
    if (!wanted.length || !wanted.every(isRole)) throw badInput('roles must name at least one known role', 'roles');
    if (!wanted.includes('CUSTOMER')) wanted.unshift('CUSTOMER');
    return this.d.db.transaction(async (tx) => {
      const [before] = await tx.select().from(users).where(eq(users.id, userId)).for('update');
      // A deleted account is a placeholder kept for the ids that refer to it: it cannot be given roles back.
      if (!before || before.deletedAt) throw notFound('User not found');
      if (before.roles.includes('ADMIN') && !wanted.includes('ADMIN')) await this.assertAnotherAdmin(tx, userId);
      const [user] = await tx.update(users).set({ roles: wanted as Role[], updatedAt: new Date() }).where(eq(users.id, userId)).returning();
      // Roles ride in access tokens: the user's sessions end, so the next request is decided on the new roles.
      const changed = before.roles.length !== wanted.length || !wanted.every((r) => before.roles.includes(r));
      const ended = changed ? await this.d.sessions.revokeAllFor(tx, userId) : 0;
      await this.d.audit(tx, caller, { action: 'user.roles_changed', outcome: 'SUCCESS', resourceType: 'User', resourceId: userId, metadata: { from: before.roles, to: wanted, sessionsEnded: ended } });
      return user!;
    });
  }

  /** Deactivation ends every session at once; an active admin must remain. */
  async setActive(caller: Caller, userId: string, active: boolean): Promise<UserRow> {
    if (!isUuid(userId)) throw notFound('User not found');
    return this.d.db.transaction(async (tx) => {
      const [before] = await tx.select().from(users).where(eq(users.id, userId)).for('update');
      if (!before || before.deletedAt) throw notFound('User not found');
      if (!active && before.roles.includes('ADMIN')) await this.assertAnotherAdmin(tx, userId);
      const [user] = await tx.update(users).set({ active, updatedAt: new Date() }).where(eq(users.id, userId)).returning();
      const ended = active ? 0 : await this.d.sessions.revokeAllFor(tx, userId);
      await this.d.audit(tx, caller, { action: 'user.active_changed', outcome: 'SUCCESS', resourceType: 'User', resourceId: userId, metadata: { active, sessionsEnded: ended } });
      return user!;
    });
  }

  /** Turns two-factor sign-in on; the code is a guarded secret check, and the user's other sessions end. */
  async confirmTotp(caller: Caller, code: string): Promise<boolean> {
    const user = await this.getById(caller.userId!);
    // A wrong code is BAD_USER_INPUT on `code` (confirm) or FORBIDDEN (disable); other refusals carry no field.
    await this.guard.check(caller, user, 'auth.totp_failed', () => this.d.totp.confirm(caller, user, code), wrongCode);
    await this.d.sessions.endOthers(caller);
    return true;
  }

  async disableTotp(caller: Caller, code: string): Promise<boolean> {
    const user = await this.getById(caller.userId!);
    await this.guard.check(caller, user, 'auth.totp_failed', () => this.d.totp.disable(caller, user, code), wrongCode);
    await this.d.sessions.endOthers(caller);
    return true;
  }

  /** Runs a check of a mailed or refresh token, throttling and auditing the address when it is wrong. */
  checkToken<T>(caller: Caller, kind: TokenKind, run: () => Promise<T>): Promise<T> {
    return this.guard.checkToken(caller, kind, run, (err) => err instanceof PublicError && (err.extensions.field === 'token' || err.extensions.code === ErrorCode.UNAUTHENTICATED));
  }

  private async assertAnotherAdmin(tx: Parameters<Parameters<Db['transaction']>[0]>[0], except: string) {
    // One lock for every removal of an administrator (deleteMyAccount takes it too): two at once would each count the other.
    await queryRows(tx, sql`select pg_advisory_xact_lock(hashtext('palisade-last-admin'))`);
    const [other] = await tx
      .select({ n: count() })
      .from(users)
      .where(and(ne(users.id, except), eq(users.active, true), sql`'ADMIN' = any(${users.roles})`));
    if (!other?.n) throw forbidden('That would leave no active administrator');
  }

  byIds(ids: readonly string[]): Promise<(UserRow | null)[]> {
    return loadByIds(this.d.db, users, ids);
  }

  async getById(id: string): Promise<UserRow> {
    const [user] = await this.byIds([id]);
    if (!user) throw notFound('User not found');
    return user;
  }

  async list(args: { first?: number | null; after?: string | null; search?: string | null }): Promise<Connection<UserRow>> {
    const filters: SQL[] = [];
    const search = args.search?.trim();
    if (search) {
      if (search.length > 100) throw badInput('search is too long', 'search');
      const pattern = `%${search.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
      filters.push(or(ilike(users.email, pattern), ilike(users.displayName, pattern))!);
    }
    return keysetPage(this.d.db, users, { where: filters.length ? and(...filters) : undefined, first: args.first, after: args.after, direction: 'asc' });
  }

  /** Creates the first administrator; a no-op once that email exists. */
  async ensureAdmin(email: string, password: string): Promise<boolean> {
    const normal = normalizeEmail(email);
    await validateNewPassword(password, { email: normal, displayName: 'Administrator' }, 'ADMIN_PASSWORD');
    const passwordHash = await hashPassword(password);
    const [created] = await this.d.db
      .insert(users)
      .values({ email: normal, displayName: 'Administrator', passwordHash, roles: ['ADMIN'], emailVerified: true })
      .onConflictDoNothing()
      .returning({ id: users.id });
    return Boolean(created);
  }
}

const wrongCode = (err: unknown) => err instanceof PublicError && (err.extensions.field === 'code' || err.extensions.code === ErrorCode.FORBIDDEN);
