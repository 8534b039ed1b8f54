import { and, asc, count, eq, inArray, isNull, lt, lte, sql } from 'drizzle-orm';
import type { Db, Logger } from '@palisade/kit';
import { mailQueue } from '../db/schema.ts';
import type { Mail, Mailer } from './mailer.ts';

export interface MailQueueOptions {
  db: Db;
  mailer: Mailer;
  /** Builds the mail for a queued row (issuing its token, or reading its notification); null when there is nothing to send. */
  compose(kind: string, userId: string, notificationId: string | null): Promise<Mail | null>;
  log: Logger;
  /** A send that has not finished by then counts as failed and is tried again later. */
  sendTimeoutMs?: number;
  /** The first retry's wait; it doubles with each failure. */
  retryMs?: number;
  maxAttempts?: number;
}

const BATCH = 20;
const LEASE_MS = 120_000;
const KEEP_DONE_MS = 7 * 24 * 3600_000;

export interface DrainResult {
  sent: number;
  settled: number;
  failed: number;
}

/**
 * Sends what requests queued, off their path: a slow or hung mail server delays mail, never an answer.
 * Rows are leased (FOR UPDATE SKIP LOCKED, then moved ahead), so replicas share the work and a crashed
 * drain's rows come back; a failed send is retried with backoff, a few times.
 */
export class MailQueue {
  private inFlight: Promise<DrainResult> | null = null;
  private lastPurge = 0;
  constructor(private readonly o: MailQueueOptions) {}

  /** Rows not yet sent or settled, for /metrics: a number that only grows means mail is not going out. */
  async pending(): Promise<number> {
    const [row] = await this.o.db.select({ n: count() }).from(mailQueue).where(isNull(mailQueue.doneAt));
    return row?.n ?? 0;
  }

  /** One pass over what is due; concurrent calls share it. */
  drain(): Promise<DrainResult> {
    this.inFlight ??= this.pass().finally(() => (this.inFlight = null));
    return this.inFlight;
  }

  private async pass(): Promise<DrainResult> {
    const result: DrainResult = { sent: 0, settled: 0, failed: 0 };
    for (;;) {
      const rows = await this.claim();
      if (!rows.length) break;
      for (const row of rows) await this.deliver(row, result);
      if (rows.length < BATCH) break;
    }
    if (Date.now() - this.lastPurge > 3600_000) {
      this.lastPurge = Date.now();
      await this.o.db.delete(mailQueue).where(lt(mailQueue.doneAt, new Date(Date.now() - KEEP_DONE_MS)));
    }
    return result;
  }

  private claim() {
    return this.o.db.transaction(async (tx) => {
      const due = await tx
        .select({ id: mailQueue.id, kind: mailQueue.kind, userId: mailQueue.userId, notificationId: mailQueue.notificationId, attempts: mailQueue.attempts })
        .from(mailQueue)
        .where(and(isNull(mailQueue.doneAt), lte(mailQueue.nextAttemptAt, new Date())))
        .orderBy(asc(mailQueue.nextAttemptAt))
        .limit(BATCH)
        .for('update', { skipLocked: true });
      if (due.length)
        await tx
          .update(mailQueue)
          .set({ attempts: sql`${mailQueue.attempts} + 1`, nextAttemptAt: new Date(Date.now() + LEASE_MS) })
          .where(inArray(mailQueue.id, due.map((r) => r.id)));
      return due;
    });
  }

  private async deliver(row: { id: string; kind: string; userId: string | null; notificationId: string | null; attempts: number }, result: DrainResult) {
    const done = () => this.o.db.update(mailQueue).set({ doneAt: new Date() }).where(eq(mailQueue.id, row.id));
    try {
      const mail = row.userId ? await this.o.compose(row.kind, row.userId, row.notificationId) : null;
      if (!mail) {
        result.settled++;
        return void (await done());
      }
      await this.send(mail);
      result.sent++;
      await done();
    } catch (err) {
      result.failed++;
      const attempts = row.attempts + 1;
      const giveUp = attempts >= (this.o.maxAttempts ?? 5);
      // A mail server's message may quote the address: its code is enough.
      const reason = (err as { code?: unknown }).code ?? (err as Error).name;
      this.o.log[giveUp ? 'error' : 'warn']({ mailId: row.id, kind: row.kind, attempts, reason }, giveUp ? 'mail could not be sent; given up' : 'mail could not be sent; will retry');
      await this.o.db
        .update(mailQueue)
        .set(giveUp ? { doneAt: new Date() } : { nextAttemptAt: new Date(Date.now() + (this.o.retryMs ?? 30_000) * 2 ** (attempts - 1)) })
        .where(eq(mailQueue.id, row.id));
    }
  }

  private send(mail: Mail): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(Object.assign(new Error('mail server did not answer in time'), { code: 'MAIL_TIMEOUT' })), this.o.sendTimeoutMs ?? 30_000);
      timer.unref();
    });
    return Promise.race([this.o.mailer.send(mail), timeout]).finally(() => clearTimeout(timer));
  }
}
