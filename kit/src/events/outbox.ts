import { count, inArray, isNull, sql } from 'drizzle-orm';
import { bigserial, index, jsonb, text, timestamp, uuid, type PgSchema } from 'drizzle-orm/pg-core';
import { queryRows, type Db, type DbOrTx } from '../db.ts';
import type { Logger } from '../logger.ts';
import { every } from '../background.ts';
import type { ServiceMetrics } from '../metrics.ts';
import { eventFields, type IntegrationEvent } from './schema.ts';
import type { EventStream } from './stream.ts';

/**
 * A subgraph's integration events, written in the transaction of the change they tell of: the source of truth.
 * The relay copies them to the stream and marks them published; a crash between the two publishes again, so
 * consumers see an event at least once and keep it once by its id.
 */
export function eventOutboxTable(schema: PgSchema) {
  return schema.table(
    'event_outbox',
    {
      seq: bigserial('seq', { mode: 'number' }).primaryKey(),
      id: uuid('id').notNull().unique(),
      type: text('type').notNull(),
      event: jsonb('event').$type<IntegrationEvent>().notNull(),
      createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
      publishedAt: timestamp('published_at', { withTimezone: true }),
    },
    (t) => [index('event_outbox_unpublished_idx').on(t.seq).where(sql`${t.publishedAt} is null`)],
  );
}
export type EventOutboxTable = ReturnType<typeof eventOutboxTable>;

/** Writes the event through the caller's transaction: it exists exactly when the change does. */
export async function writeEvent(tx: DbOrTx, table: EventOutboxTable, event: IntegrationEvent) {
  await tx.insert(table).values({ id: event.id, type: event.type, event });
}

export interface EventRelayOptions {
  /** Names the advisory lock: one relay per outbox at a time, so replicas keep the stream in outbox order. */
  name: string;
  db: Db;
  table: EventOutboxTable;
  stream: EventStream;
  streamName: string;
  log: Logger;
  intervalMs: number;
  batch?: number;
  /** Where palisade_event_outbox_pending is reported: a number that only grows means events are not going out. */
  metrics?: ServiceMetrics;
}

/** One pass: publishes what is unpublished, oldest first, then marks it; returns how many it published. */
export async function relayEvents(o: Omit<EventRelayOptions, 'log' | 'intervalMs'>): Promise<{ published: number }> {
  return o.db.transaction(async (tx) => {
    // The lock is taken in the read itself: an idle poll is one statement (and one that tests counting a
    // request's statements already leave out, as they do the audit relay's), and a replica that does not hold it
    // reads nothing. The lock is tried once (a materialized gate), so a reader gets the whole head of the outbox
    // or nothing, never the rows that happened to be scanned after another relay let go. And the statement's
    // snapshot predates the lock: a relay that got it just after another committed would still see that one's
    // rows as unpublished. FOR UPDATE makes Postgres re-check such rows against their committed version, which
    // is published, and skip them: no event goes out twice and none out of order.
    const rows = await queryRows<{ seq: string | number; event: IntegrationEvent }>(
      tx,
      sql`with gate as materialized (select pg_try_advisory_xact_lock(hashtext(${'palisade-events:' + o.name})) as held)
          select o.seq, o.event from ${o.table} o, gate
          where gate.held and o.published_at is null
          order by o.seq limit ${o.batch ?? 100}
          for update of o`,
    );
    const done: number[] = [];
    let failure: unknown = null;
    for (const r of rows) {
      try {
        await o.stream.add(o.streamName, eventFields(r.event));
      } catch (err) {
        failure = err;
        break;
      }
      done.push(Number(r.seq));
    }
    // What reached the stream is marked even when a later add failed; the rest goes on a later pass.
    if (done.length) await tx.update(o.table).set({ publishedAt: new Date() }).where(inArray(o.table.seq, done));
    else if (failure) throw failure;
    return { published: done.length };
  });
}

export function startEventRelay(o: EventRelayOptions) {
  o.metrics?.gauge('palisade_event_outbox_pending', 'Integration events written but not yet published to their stream', async () => {
    const [row] = await o.db.select({ n: count() }).from(o.table).where(isNull(o.table.publishedAt));
    return row?.n ?? 0;
  });
  let running: Promise<unknown> | null = null;
  return every(o.intervalMs, o.log, {
    // A pass still running (a slow stream) is not overlapped by the next tick.
    run: async () => {
      if (running) return { published: 0 };
      running = relayEvents(o);
      try {
        return (await running) as { published: number };
      } finally {
        running = null;
      }
    },
    worthTelling: () => false,
    done: 'integration events published',
    failed: 'could not publish integration events; will retry',
  });
}
