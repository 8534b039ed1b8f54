import { createHash, randomBytes } from 'node:crypto';
import { and, asc, count, eq, ilike, inArray, or, sql, type SQL } from 'drizzle-orm';
import { hashPassword, issueAccessToken, verifyPassword, PublicError, ErrorCode, conflict, notFound, type Caller, type Role } from '@palisade/auth';
import { decodeCursor, isUuid, pageSize, toConnection, tokenAudience, tokenIssuer, type AuditWriter, type Connection, type Db, type Tx } from '@palisade/kit';
import { sessions, users, type UserRow } from '../db/schema.ts';
import type { SigningKeyService } from './signing-keys.service.ts';
import { normalizeEmail, validateDisplayName, validateNewPassword } from './validation.ts';

const REFRESH_TOKEN_DAYS = 30;
const invalidCredentials = () => new PublicError(ErrorCode.UNAUTHENTICATED, 'Invalid email or password');

export interface AuthPayload {
  accessToken: string;
  refreshToken: string;
  expiresIn: number;
  user: UserRow;
}

export interface AccountDeps {
  db: Db;
  keys: SigningKeyService;
  audit: AuditWriter;
}

export class AccountService {
  constructor(private readonly d: AccountDeps) {}

  async register(caller: Caller, input: { email: string; password: string; displayName: string }): Promise<AuthPayload> {
    const email = normalizeEmail(input.email);
    validateNewPassword(input.password, email);
    const displayName = validateDisplayName(input.displayName);
    const passwordHash = await hashPassword(input.password);
    return this.d.db.transaction(async (tx) => {
      const [user] = await tx.insert(users).values({ email, displayName, passwordHash, roles: ['CUSTOMER'] }).onConflictDoNothing().returning();
      if (!user) throw conflict('An account with that email already exists');
      await this.d.audit(tx, caller, { action: 'auth.register', outcome: 'SUCCESS', actorId: user.id, resourceType: 'User', resourceId: user.id });
      return this.startSession(tx, caller, user);
    });
  }

  async login(caller: Caller, input: { email: string; password: string }): Promise<AuthPayload> {
    let email: string | null = null;
    try {
      email = normalizeEmail(input.email);
    } catch {}
    const [user] = email ? await this.d.db.select().from(users).where(eq(users.email, email)).limit(1) : [];
    // Unknown email and wrong password take the same path and the same time (a dummy hash is checked).
    const ok = (await verifyPassword(user?.passwordHash, input.password)) && user?.active === true;
    if (!ok || !user) {
      await this.d.db.transaction((tx) =>
        this.d.audit(tx, caller, { action: 'auth.login_failed', outcome: 'FAILURE', actorId: user?.id ?? null, resourceType: 'User', resourceId: user?.id ?? null, metadata: { reason: user ? (user.active ? 'bad_password' : 'inactive') : 'unknown_email' } }),
      );
      throw invalidCredentials();
    }
    return this.d.db.transaction(async (tx) => {
      await this.d.audit(tx, caller, { action: 'auth.login', outcome: 'SUCCESS', actorId: user.id, resourceType: 'User', resourceId: user.id });
      return this.startSession(tx, caller, user);
    });
  }

  private async startSession(tx: Tx, caller: Caller, user: UserRow): Promise<AuthPayload> {
    const refreshToken = randomBytes(32).toString('base64url');
    const [session] = await tx
      .insert(sessions)
      .values({
        userId: user.id,
        refreshTokenHash: hashRefreshToken(refreshToken),
        expiresAt: new Date(Date.now() + REFRESH_TOKEN_DAYS * 86_400_000),
        ip: caller.ip && isIp(caller.ip) ? caller.ip : null,
        userAgent: caller.userAgent?.slice(0, 512) ?? null,
      })
      .returning({ id: sessions.id });
    const { token, expiresIn } = await issueAccessToken(await this.d.keys.signingKey(), {
      issuer: tokenIssuer(),
      audience: tokenAudience(),
      userId: user.id,
      sessionId: session!.id,
      roles: user.roles as Role[],
    });
    return { accessToken: token, refreshToken, expiresIn, user };
  }

  async byIds(ids: readonly string[]): Promise<(UserRow | null)[]> {
    const valid = ids.filter(isUuid);
    const rows = valid.length ? await this.d.db.select().from(users).where(inArray(users.id, valid)) : [];
    const byId = new Map(rows.map((r) => [r.id, r]));
    return ids.map((id) => byId.get(id) ?? null);
  }

  async getById(id: string): Promise<UserRow> {
    const [user] = await this.byIds([id]);
    if (!user) throw notFound('User not found');
    return user;
  }

  async list(args: { first?: number | null; after?: string | null; search?: string | null }): Promise<Connection<UserRow>> {
    const size = pageSize(args.first);
    const after = decodeCursor(args.after, 2);
    const filters: SQL[] = [];
    const search = args.search?.trim();
    if (search) {
      if (search.length > 100) throw new PublicError(ErrorCode.BAD_USER_INPUT, 'search is too long', { field: 'search' });
      const pattern = `%${search.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
      filters.push(or(ilike(users.email, pattern), ilike(users.displayName, pattern))!);
    }
    const where = filters.length ? and(...filters) : undefined;
    const pageWhere = after ? and(where, sql`(${users.createdAt}, ${users.id}) > (${new Date(after[0] as string)}, ${after[1]})`) : where;
    const [rows, [total]] = await Promise.all([
      this.d.db.select().from(users).where(pageWhere).orderBy(asc(users.createdAt), asc(users.id)).limit(size + 1),
      this.d.db.select({ n: count() }).from(users).where(where),
    ]);
    return toConnection(rows, size, total?.n ?? 0, (u) => [u.createdAt.toISOString(), u.id]);
  }

  /** Creates the first administrator; a no-op once that email exists. */
  async ensureAdmin(email: string, password: string): Promise<boolean> {
    const normal = normalizeEmail(email);
    const passwordHash = await hashPassword(password);
    const [created] = await this.d.db
      .insert(users)
      .values({ email: normal, displayName: 'Administrator', passwordHash, roles: ['ADMIN'], emailVerified: true })
      .onConflictDoNothing()
      .returning({ id: users.id });
    return Boolean(created);
  }
}

export const hashRefreshToken = (token: string) => createHash('sha256').update(token).digest('base64url');
const isIp = (s: string) => /^[0-9a-f:.]+$/i.test(s) && s.length <= 45;
