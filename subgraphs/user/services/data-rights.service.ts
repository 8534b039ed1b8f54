import { and, asc, count, desc, eq, inArray, isNull, lte, ne, or, sql } from 'drizzle-orm';
import { badInput, ErrorCode, forbidden, notFound, serviceUnavailable, verifyPassword, type Caller } from '@palisade/auth';
import { queryRows, type AuditWriter, type Db, type Logger, type ServiceClient, type SubgraphName, type Tx } from '@palisade/kit';
import { actionTokens, auditOutbox, erasures, mailQueue, notifications, refreshTokens, sessions, users, type UserRow } from '../db/schema.ts';
import { SecretGuard, WrongSecret } from './secret-guard.ts';
import type { LockoutService } from './lockout.service.ts';
import type { SessionService } from './session.service.ts';
import type { TotpService } from './totp.service.ts';

/** The other subgraphs' data-rights routes (order: orders and cart; security: audit records). */
const EXPORT_PATH = '/internal/data-rights/export';
const ERASE_PATH = '/internal/data-rights/erase';
/** Every subgraph besides this one that holds a person's data, and must confirm its erasure. */
export const ERASING_PEERS = ['order', 'security'] as const satisfies readonly SubgraphName[];

/** How much of each collection one export carries; the document says when one was cut. */
export const EXPORT_CAPS = { sessions: 200, orders: 200, notifications: 500, auditEvents: 1000 } as const;

export interface DataRightsDeps {
  db: Db;
  audit: AuditWriter;
  sessions: SessionService;
  lockout: LockoutService;
  totp: TotpService;
  peers: ServiceClient;
  log: Logger;
  /** The first retry of an unconfirmed erasure waits this long, doubling up to an hour. */
  retryMs?: number;
}

interface PeerExport {
  order: { orders: { shippingAddress: unknown }[]; capped: boolean; cart: unknown };
  security: { events: unknown[]; capped: boolean };
}

/**
 * Who the account becomes once deleted: nothing in it points back at the person. The address has no dot in
 * its domain, so no registration (validation.ts) can take it first and make the deletion fail on its uniqueness.
 */
const placeholder = (id: string) => ({ email: `deleted-${id}@erased`, displayName: 'Deleted user' });

/**
 * A customer's rights over their data: everything Palisade holds about them as one document, and the deletion
 * of their account, which erases or anonymises their personal data in every subgraph. The deletion commits
 * here first (account anonymised, sessions ended at once) with an erasure row naming the subgraphs still to
 * confirm; those are asked at once and, if one is down, again by a job until each has confirmed.
 */
export class DataRightsService {
  private readonly guard: SecretGuard;
  constructor(private readonly d: DataRightsDeps) {
    this.guard = new SecretGuard(d);
  }

  async exportFor(caller: Caller): Promise<Record<string, unknown>> {
    const user = await this.liveUser(caller);
    const [mine, order, security, told] = await Promise.all([
      this.d.db.select().from(sessions).where(eq(sessions.userId, user.id)).orderBy(desc(sessions.createdAt)).limit(EXPORT_CAPS.sessions + 1),
      this.ask<PeerExport['order']>(caller, 'order', { userId: user.id, limit: EXPORT_CAPS.orders }),
      this.ask<PeerExport['security']>(caller, 'security', { userId: user.id, limit: EXPORT_CAPS.auditEvents }),
      this.d.db.select().from(notifications).where(eq(notifications.userId, user.id)).orderBy(desc(notifications.createdAt)).limit(EXPORT_CAPS.notifications + 1),
    ]);
    const addresses = [...new Map(order.orders.map((o) => [JSON.stringify(o.shippingAddress), o.shippingAddress])).values()];
    const document = {
      format: 'palisade.data-export',
      version: 1,
      generatedAt: new Date().toISOString(),
      account: {
        id: user.id,
        email: user.email,
        displayName: user.displayName,
        roles: user.roles,
        emailVerified: user.emailVerified,
        active: user.active,
        createdAt: user.createdAt,
        updatedAt: user.updatedAt,
        totpEnabled: Boolean(user.totpSecret),
      },
      // Held, never handed out, even to their owner: a hash or a sealed secret in a file is one more copy to steal.
      secretsHeld: {
        passwordHash: 'an Argon2id hash of your password is held; it is not exported',
        totpSecret: user.totpSecret ? 'your two-factor secret is held, encrypted; it is not exported' : null,
      },
      sessions: collection(
        mine.map((s) => ({ id: s.id, createdAt: s.createdAt, lastUsedAt: s.lastUsedAt, expiresAt: s.expiresAt, revokedAt: s.revokedAt, ip: s.ip, userAgent: s.userAgent })),
        EXPORT_CAPS.sessions,
      ),
      addresses: { items: addresses, capped: order.capped, note: 'the shipping addresses of the orders below' },
      orders: { items: order.orders, capped: order.capped, cap: EXPORT_CAPS.orders },
      cart: order.cart,
      notifications: collection(
        told.map((n) => ({ id: n.id, kind: n.kind, subject: n.subject, body: n.body, createdAt: n.createdAt, readAt: n.readAt })),
        EXPORT_CAPS.notifications,
      ),
      auditEvents: { items: security.events, capped: security.capped, cap: EXPORT_CAPS.auditEvents },
    };
    await this.d.db.transaction(async (tx) => {
      // Under the account's row lock, which a deletion takes too: one that committed while this was gathered
      // leaves no export to give and no record of one to keep (it would hold the address the deletion erased).
      const [live] = await tx.select({ id: users.id }).from(users).where(and(eq(users.id, user.id), isNull(users.deletedAt))).for('update');
      if (!live) throw notFound('User not found');
      await this.d.audit(tx, caller, {
        action: 'user.data_exported',
        outcome: 'SUCCESS',
        resourceType: 'User',
        resourceId: user.id,
        metadata: { sessions: document.sessions.items.length, orders: order.orders.length, notifications: document.notifications.items.length, auditEvents: security.events.length },
      });
    });
    return document;
  }

  /**
   * Re-authenticated with the password and, when on, the one-time code: a wrong one counts toward the
   * account's lockout and is audited (user.deleted FAILURE, auth.totp_failed), like changePassword.
   */
  async deleteAccount(caller: Caller, input: { password: string; totpCode?: string | null }): Promise<boolean> {
    const user = await this.liveUser(caller);
    if (user.totpSecret && !input.totpCode) throw badInput('A one-time code is required: two-factor sign-in is on', 'input.totpCode');
    await this.guard.check(caller, user, 'user.deleted', async () => {
      if (!(await verifyPassword(user.passwordHash, input.password))) throw new WrongSecret(ErrorCode.FORBIDDEN, 'Password is not right', { field: 'input.password' });
    });
    if (user.totpSecret) {
      await this.guard.check(caller, user, 'auth.totp_failed', async () => {
        if (!(await this.d.totp.check(user, user.totpSecret!, input.totpCode))) throw new WrongSecret(ErrorCode.FORBIDDEN, 'One-time code is not right', { field: 'input.totpCode' });
      });
    }
    await this.d.db.transaction(async (tx) => {
      const [locked] = await tx.select().from(users).where(eq(users.id, user.id)).for('update');
      if (!locked || locked.deletedAt) throw notFound('User not found');
      if (locked.roles.includes('ADMIN')) await assertAnotherAdmin(tx, user.id);
      await this.eraseHere(tx, user.id);
      await tx
        .insert(erasures)
        .values({ userId: user.id, pending: [...ERASING_PEERS] })
        .onConflictDoUpdate({ target: erasures.userId, set: { pending: [...ERASING_PEERS], doneAt: null, attempts: 0, nextAttemptAt: new Date() } });
      // The erasure is audited without copying what it erases: no address, no user agent, no name.
      await this.d.audit(tx, { ...caller, ip: null, userAgent: null }, { action: 'user.deleted', outcome: 'SUCCESS', actorId: user.id, resourceType: 'User', resourceId: user.id, metadata: { pending: [...ERASING_PEERS] } });
    });
    await this.finish(user.id).catch((err: unknown) => this.d.log.warn({ err: (err as Error).name }, 'erasure left for the retry job'));
    return true;
  }

  /** This subgraph's part, in the deletion's transaction: the account anonymised, sessions ended, tokens, mail and notifications gone. */
  private async eraseHere(tx: Tx, userId: string): Promise<void> {
    await this.d.sessions.revokeAllFor(tx, userId); // the store is told first: every access token of theirs is refused from now
    const theirs = tx.select({ id: sessions.id }).from(sessions).where(eq(sessions.userId, userId));
    await tx.delete(refreshTokens).where(inArray(refreshTokens.sessionId, theirs));
    await tx.update(sessions).set({ ip: null, userAgent: null }).where(eq(sessions.userId, userId));
    await tx.delete(actionTokens).where(eq(actionTokens.userId, userId));
    await tx.delete(mailQueue).where(eq(mailQueue.userId, userId));
    await tx.delete(notifications).where(eq(notifications.userId, userId));
    // Audit records in the outbox are copies too, delivered or not: one not yet sent would otherwise keep its
    // address here for good once sent (delivered copies stay). Security erases its own copy either way.
    await tx
      .update(auditOutbox)
      .set({ record: sql`${auditOutbox.record} || '{"ip":null,"userAgent":null,"metadata":null}'::jsonb` })
      .where(or(sql`${auditOutbox.record}->>'actorId' = ${userId}`, sql`${auditOutbox.record}->>'resourceId' = ${userId}`));
    await tx
      .update(users)
      .set({ ...placeholder(userId), passwordHash: '!erased', totpSecret: null, totpPendingSecret: null, roles: ['CUSTOMER'], emailVerified: false, active: false, deletedAt: new Date(), updatedAt: new Date() })
      .where(eq(users.id, userId));
  }

  /** Asks each subgraph still pending to erase the person; each that confirms is struck off. True once none is left. */
  async finish(userId: string): Promise<boolean> {
    const [row] = await this.d.db.select().from(erasures).where(eq(erasures.userId, userId));
    if (!row || row.doneAt) return true;
    const left: string[] = [];
    for (const peer of row.pending as SubgraphName[]) {
      try {
        await this.d.peers.post(peer, ERASE_PATH, { userId }, { caller: null });
      } catch (err) {
        this.d.log.warn({ peer, err: (err as Error).message }, 'erasure not confirmed yet');
        left.push(peer);
      }
    }
    const attempts = row.attempts + 1;
    const wait = Math.min((this.d.retryMs ?? 30_000) * 2 ** Math.min(attempts - 1, 10), 3_600_000);
    await this.d.db
      .update(erasures)
      .set({ pending: left, attempts, nextAttemptAt: new Date(Date.now() + wait), doneAt: left.length ? null : new Date() })
      .where(eq(erasures.userId, userId));
    return left.length === 0;
  }

  /** The retry job's run: every erasure whose next attempt is due. */
  async retryDue(): Promise<{ finished: number; pending: number }> {
    const due = await this.d.db.select({ userId: erasures.userId }).from(erasures).where(and(isNull(erasures.doneAt), lte(erasures.nextAttemptAt, new Date()))).orderBy(asc(erasures.nextAttemptAt)).limit(50);
    let finished = 0;
    for (const { userId } of due) if (await this.finish(userId)) finished++;
    return { finished, pending: due.length - finished };
  }

  /** Erasures some subgraph has yet to confirm (a gauge: a number that stays up needs a look). */
  async pending(): Promise<number> {
    const [row] = await this.d.db.select({ n: count() }).from(erasures).where(isNull(erasures.doneAt));
    return row?.n ?? 0;
  }

  private async liveUser(caller: Caller): Promise<UserRow> {
    const [user] = await this.d.db.select().from(users).where(eq(users.id, caller.userId!));
    if (!user || user.deletedAt) throw notFound('User not found');
    return user;
  }

  /** A peer's part of the export; without it the document would be silently incomplete, so none is given. */
  private async ask<T>(caller: Caller, peer: SubgraphName, payload: unknown): Promise<T> {
    try {
      return await this.d.peers.post<T>(peer, EXPORT_PATH, payload, { caller });
    } catch (err) {
      this.d.log.warn({ peer, err: (err as Error).message }, 'data export: a subgraph did not answer');
      throw serviceUnavailable('Your data cannot be gathered right now; retry shortly');
    }
  }
}

const collection = <T>(rows: T[], cap: number) => ({ items: rows.slice(0, cap), capped: rows.length > cap, cap });

async function assertAnotherAdmin(tx: Tx, except: string) {
  // Every removal of an administrator decides under this one lock (account.service.ts takes it too): two
  // last administrators leaving at once would otherwise each count the other and leave none.
  await queryRows(tx, sql`select pg_advisory_xact_lock(hashtext('palisade-last-admin'))`);
  const [other] = await tx
    .select({ n: count() })
    .from(users)
    .where(and(ne(users.id, except), eq(users.active, true), isNull(users.deletedAt), sql`'ADMIN' = any(${users.roles})`));
  if (!other?.n) throw forbidden('The last active administrator cannot delete their account: make another administrator first');
}
