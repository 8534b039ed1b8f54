import { and, desc, eq, gt, isNull, inArray, ne, sql } from 'drizzle-orm';
import { issueAccessToken, PublicError, ErrorCode, notFound, type Caller, type Role } from '@palisade/auth';
import { clientAddressKey, isUuid, markSessionsRevoked, type AuditWriter, type Db, type Store, type Tx } from '@palisade/kit';
import { refreshTokens, sessions, users, type SessionRow, type UserRow } from '../db/schema.ts';
import type { SigningKeyService } from './signing-keys.service.ts';
import { hashSecret, newSecret } from './tokens.ts';

export const REFRESH_TOKEN_DAYS = 30;
/** A client address the account signed in from within this many days is a known client (lockout). */
export const KNOWN_CLIENT_DAYS = 90;
const NO_USER = '00000000-0000-0000-0000-000000000000';
const invalidRefresh = () => new PublicError(ErrorCode.UNAUTHENTICATED, 'Invalid or expired refresh token');

export interface AuthPayload {
  accessToken: string;
  refreshToken: string;
  expiresIn: number;
  user: UserRow;
}

export interface SessionDeps {
  db: Db;
  store: Store;
  keys: SigningKeyService;
  audit: AuditWriter;
  /** TOKEN_ISSUER / TOKEN_AUDIENCE: what the router checks access tokens for. */
  tokens: { issuer: string; audience: string };
}

/** Sessions: one per login, refreshed by single-use tokens, ended at once when revoked. */
export class SessionService {
  constructor(private readonly d: SessionDeps) {}

  /**
   * The token carries the roles read here, under a share lock, inside the transaction that creates the
   * session: a role change or deactivation either committed before (and is read) or waits for this session
   * to exist (and ends it). No sign-in racing a demotion walks away with the old roles.
   */
  async start(tx: Tx, caller: Caller, signedIn: UserRow): Promise<AuthPayload> {
    const [user] = await tx.select().from(users).where(eq(users.id, signedIn.id)).for('share');
    if (!user || !user.active) throw new PublicError(ErrorCode.UNAUTHENTICATED, 'Invalid email or password');
    const refresh = newSecret();
    const [session] = await tx
      .insert(sessions)
      .values({ userId: user.id, expiresAt: new Date(Date.now() + REFRESH_TOKEN_DAYS * 86_400_000), ip: validIp(caller.ip), userAgent: caller.userAgent?.slice(0, 512) ?? null })
      .returning({ id: sessions.id });
    await tx.insert(refreshTokens).values({ hash: refresh.hash, sessionId: session!.id });
    return this.payload(user, session!.id, refresh.token);
  }

  private async payload(user: UserRow, sessionId: string, refreshToken: string): Promise<AuthPayload> {
    const { token, expiresIn } = await issueAccessToken(await this.d.keys.signingKey(), {
      issuer: this.d.tokens.issuer,
      audience: this.d.tokens.audience,
      userId: user.id,
      sessionId,
      roles: user.roles as Role[],
    });
    return { accessToken: token, refreshToken, expiresIn, user };
  }

  /**
   * Swaps a refresh token for a new pair. A token already swapped means two parties hold it: the
   * session is ended for both, and the reuse recorded.
   */
  async refresh(caller: Caller, presented: string): Promise<AuthPayload> {
    if (typeof presented !== 'string' || presented.length > 200) throw invalidRefresh();
    const hash = hashSecret(presented);
    const outcome = await this.d.db.transaction(async (tx) => {
      const [row] = await tx
        .select({ sessionId: refreshTokens.sessionId, rotatedAt: refreshTokens.rotatedAt, session: sessions, user: users })
        .from(refreshTokens)
        .innerJoin(sessions, eq(sessions.id, refreshTokens.sessionId))
        .innerJoin(users, eq(users.id, sessions.userId))
        .where(eq(refreshTokens.hash, hash));
      if (!row) return { kind: 'unknown' as const };
      if (row.session.revokedAt || row.session.expiresAt <= new Date() || !row.user.active) return { kind: 'ended' as const };
      // Roles and activity as of now, locked against a concurrent change (see start).
      const [fresh] = await tx.select().from(users).where(eq(users.id, row.user.id)).for('share');
      const [still] = await tx.select({ revokedAt: sessions.revokedAt }).from(sessions).where(eq(sessions.id, row.sessionId));
      if (!fresh?.active || still?.revokedAt) return { kind: 'ended' as const };
      // Rotated only if nobody rotated it first: two racing refreshes cannot both win.
      const [rotated] = await tx
        .update(refreshTokens)
        .set({ rotatedAt: new Date() })
        .where(and(eq(refreshTokens.hash, hash), isNull(refreshTokens.rotatedAt)))
        .returning({ hash: refreshTokens.hash });
      if (!rotated) {
        await this.revokeIn(tx, [row.sessionId]);
        await this.d.audit(tx, caller, { action: 'auth.refresh_reuse', outcome: 'DENIED', actorId: row.user.id, resourceType: 'Session', resourceId: row.sessionId });
        return { kind: 'reused' as const };
      }
      const next = newSecret();
      await tx.insert(refreshTokens).values({ hash: next.hash, sessionId: row.sessionId });
      await tx.update(sessions).set({ lastUsedAt: new Date() }).where(eq(sessions.id, row.sessionId));
      return { kind: 'ok' as const, user: fresh, sessionId: row.sessionId, token: next.token };
    });
    if (outcome.kind !== 'ok') throw invalidRefresh();
    return this.payload(outcome.user, outcome.sessionId, outcome.token);
  }

  async logout(caller: Caller): Promise<boolean> {
    if (!caller.sessionId || !caller.userId) return false;
    await this.d.db.transaction(async (tx) => {
      await this.revokeIn(tx, [caller.sessionId!]);
      await this.d.audit(tx, caller, { action: 'auth.logout', outcome: 'SUCCESS', resourceType: 'Session', resourceId: caller.sessionId });
    });
    return true;
  }

  list(caller: Caller): Promise<SessionRow[]> {
    return this.listFor(caller.userId!);
  }

  /** A user's live sessions; who may ask is decided by the schema (the user themself, or user:read:any). */
  listFor(userId: string): Promise<SessionRow[]> {
    return this.d.db
      .select()
      .from(sessions)
      .where(and(eq(sessions.userId, userId), isNull(sessions.revokedAt), gt(sessions.expiresAt, new Date())))
      .orderBy(desc(sessions.lastUsedAt));
  }

  /** Ends one of the caller's own sessions; someone else's looks exactly like one that does not exist. */
  revokeOwn(caller: Caller, sessionId: string): Promise<boolean> {
    return this.revokeOf(caller, caller.userId!, sessionId, 'user');
  }

  /** Ends one session of the given user, for an administrator (the schema requires user:write:any). */
  revokeFor(caller: Caller, userId: string, sessionId: string): Promise<boolean> {
    if (!isUuid(userId)) throw notFound('Session not found');
    return this.revokeOf(caller, userId, sessionId, 'administrator');
  }

  private async revokeOf(caller: Caller, userId: string, sessionId: string, revokedBy: 'user' | 'administrator'): Promise<boolean> {
    if (!isUuid(sessionId)) throw notFound('Session not found');
    return this.d.db.transaction(async (tx) => {
      const [s] = await tx.select({ id: sessions.id }).from(sessions).where(and(eq(sessions.id, sessionId), eq(sessions.userId, userId), isNull(sessions.revokedAt)));
      if (!s) throw notFound('Session not found');
      await this.revokeIn(tx, [s.id]);
      await this.d.audit(tx, caller, { action: 'auth.logout', outcome: 'SUCCESS', resourceType: 'Session', resourceId: s.id, metadata: { revokedBy, userId } });
      return true;
    });
  }

  /** Ends every live session of a user (but `keep`), inside the caller's transaction. */
  async revokeAllFor(tx: Tx, userId: string, keep: string | null = null): Promise<number> {
    const live = await tx
      .select({ id: sessions.id })
      .from(sessions)
      .where(and(eq(sessions.userId, userId), isNull(sessions.revokedAt), keep ? ne(sessions.id, keep) : undefined));
    await this.revokeIn(tx, live.map((s) => s.id));
    return live.length;
  }

  /** Ends the caller's other sessions, after a change to how the account signs in (second factor). */
  async endOthers(caller: Caller): Promise<number> {
    return this.d.db.transaction((tx) => this.revokeAllFor(tx, caller.userId!, caller.sessionId));
  }

  /**
   * Whether the account signed in from this address before (any session in the last KNOWN_CLIENT_DAYS);
   * for IPv6, from this /64, as privacy addresses rotate within it. Asked the same way for unknown emails
   * (no user), so a locked answer takes the same path either way.
   */
  async isKnownClient(userId: string | null, ip: string | null): Promise<boolean> {
    const addr = validIp(ip);
    const sameClient = !addr ? isNull(sessions.id) : addr.includes(':') ? sql`${sessions.ip} <<= ${clientAddressKey(addr)}::cidr` : eq(sessions.ip, addr);
    const [row] = await this.d.db
      .select({ id: sessions.id })
      .from(sessions)
      .where(and(eq(sessions.userId, userId ?? NO_USER), sameClient, gt(sessions.createdAt, new Date(Date.now() - KNOWN_CLIENT_DAYS * 86_400_000))))
      .limit(1);
    return Boolean(row) && Boolean(addr);
  }

  // The store is told before the transaction commits: if it cannot be told, nothing is revoked and the
  // caller hears so, rather than a session that is over in the database but still accepted by the router.
  private async revokeIn(tx: Tx, ids: string[]): Promise<void> {
    if (!ids.length) return;
    await markSessionsRevoked(this.d.store, ids);
    await tx.update(sessions).set({ revokedAt: new Date() }).where(and(inArray(sessions.id, ids), isNull(sessions.revokedAt)));
  }
}

function validIp(ip: string | null): string | null {
  if (!ip) return null;
  const v = ip.startsWith('::ffff:') ? ip.slice(7) : ip;
  return /^[0-9a-f:.]{2,45}$/i.test(v) ? v : null;
}
