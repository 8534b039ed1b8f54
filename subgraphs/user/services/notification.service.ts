import { and, count, eq, isNull, sql } from 'drizzle-orm';
import type { Caller } from '@palisade/auth';
import { keysetPage, type AuditWriter, type Connection, type Db, type DbOrTx, type IntegrationEvent, type StreamEntry } from '@palisade/kit';
import { eventDeadLetters, mailQueue, notifications, users, type NotificationRow } from '../db/schema.ts';
import type { Mail } from './mailer.ts';
import { renderNotification } from './notification-templates.ts';

export interface NotificationDeps {
  db: Db;
  audit: AuditWriter;
}

const MAX_DEAD_LETTER_FIELD = 4_000;

/** Notifications: made from integration events (once per event and person), mailed, and read by their person. */
export class NotificationService {
  constructor(private readonly d: NotificationDeps) {}

  /**
   * Who an event is for: the order's customer, or every active manager for a catalog alert; never an erased
   * account. The rows are share-locked, so an erasure running meanwhile waits for this transaction (and then
   * deletes what it stored) or commits first (and is seen here).
   */
  private async recipients(tx: DbOrTx, event: IntegrationEvent): Promise<string[]> {
    const person = event.type === 'product.low_stock' ? and(eq(users.active, true), sql`'MANAGER' = any(${users.roles})`) : eq(users.id, event.data.customerId);
    const rows = await tx.select({ id: users.id }).from(users).where(and(person, isNull(users.deletedAt))).for('share');
    return rows.map((r) => r.id);
  }

  /**
   * Stores the event's notifications with the mail that carries each and its audit record, in one transaction.
   * The unique (event_id, user_id) makes a second delivery of the event (a redelivery, a duplicate entry, a
   * retry after a crash before the ack, two consumers at once) insert nothing: it is only acked.
   */
  async record(event: IntegrationEvent): Promise<{ sent: number }> {
    const { subject, text } = renderNotification(event);
    return this.d.db.transaction(async (tx) => {
      let sent = 0;
      for (const userId of await this.recipients(tx, event)) {
        const [row] = await tx
          .insert(notifications)
          .values({ userId, eventId: event.id, kind: event.type, subject, body: text })
          .onConflictDoNothing({ target: [notifications.eventId, notifications.userId] })
          .returning({ id: notifications.id });
        if (!row) continue;
        await tx.insert(mailQueue).values({ kind: 'notification', userId, notificationId: row.id });
        await this.d.audit(tx, null, { action: 'notification.sent', outcome: 'SUCCESS', actorId: null, resourceType: 'Notification', resourceId: row.id, metadata: { kind: event.type, eventId: event.id, userId } });
        sent++;
      }
      return { sent };
    });
  }

  /** Keeps a stream entry that is not an event we know, once per entry; the consumer acks it after. */
  async deadLetter(stream: string, entry: StreamEntry, reason: string): Promise<void> {
    const fields = Object.fromEntries(Object.entries(entry.fields).slice(0, 20).map(([k, v]) => [k.slice(0, 100), v.slice(0, MAX_DEAD_LETTER_FIELD).replace(/\u0000/g, '')]));
    await this.d.db.insert(eventDeadLetters).values({ stream, entryId: entry.id, reason, fields }).onConflictDoNothing();
  }

  async deadLetterCount(): Promise<number> {
    const [row] = await this.d.db.select({ n: count() }).from(eventDeadLetters);
    return row?.n ?? 0;
  }

  /** The mail a queued 'notification' row carries; null (settled, nothing sent) when either is gone. */
  async compose(notificationId: string | null, userId: string): Promise<Mail | null> {
    if (!notificationId) return null;
    const [row] = await this.d.db
      .select({ to: users.email, subject: notifications.subject, text: notifications.body })
      .from(notifications)
      .innerJoin(users, eq(users.id, notifications.userId))
      .where(and(eq(notifications.id, notificationId), eq(notifications.userId, userId), isNull(users.deletedAt)));
    return row ?? null;
  }

  /** The caller's own, newest first. */
  mine(caller: Caller, first?: number | null, after?: string | null): Promise<Connection<NotificationRow>> {
    // The schema admits only signed-in callers; without one there is nothing of theirs to show.
    if (!caller.userId) throw new Error('myNotifications reached without a signed-in caller');
    return keysetPage(this.d.db, notifications, { where: eq(notifications.userId, caller.userId), first, after, direction: 'desc' });
  }
}
