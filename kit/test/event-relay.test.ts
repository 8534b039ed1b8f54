import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { pgSchema } from 'drizzle-orm/pg-core';
import { isNull, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventOutboxTable, relayEvents, writeEvent, MemoryEventStream, EVENT_STREAMS, type EventStream, type IntegrationEvent } from '../src/index.ts';
import { openDatabase, type Database } from '../src/db.ts';
import { suiteDatabase } from '../src/testing/index.ts';

const table = eventOutboxTable(pgSchema('relay_test'));
let db: Awaited<ReturnType<typeof suiteDatabase>>;
let database: Database;

beforeAll(async () => {
  db = await suiteDatabase();
  const dir = mkdtempSync(join(tmpdir(), 'palisade-relay-'));
  mkdirSync(join(dir, 'meta'), { recursive: true });
  writeFileSync(join(dir, 'meta', '_journal.json'), JSON.stringify({ version: '7', dialect: 'postgresql', entries: [] }));
  database = await openDatabase({ url: db.url ?? undefined, schema: 'relay_test', migrationsFolder: dir, applicationName: 'relay-test', poolSize: 4 });
  await database.db.execute(sql`create schema if not exists relay_test`);
  await database.db.execute(
    sql`create table relay_test.event_outbox (seq bigserial primary key, id uuid not null unique, type text not null, event jsonb not null, created_at timestamptz not null default now(), published_at timestamptz)`,
  );
});
afterAll(async () => {
  await database?.close();
  await db?.drop();
});

const event = (): IntegrationEvent => ({
  id: randomUUID(),
  type: 'order.placed',
  version: 1,
  occurredAt: new Date().toISOString(),
  data: { orderId: randomUUID(), customerId: randomUUID(), status: 'PENDING', previousStatus: null, total: { amount: '1.00', currency: 'USD' } },
});

/** A stream that refuses the adds whose ordinal numbers it is given (Redis away mid-batch). */
class FlakyStream extends MemoryEventStream {
  adds = 0;
  constructor(private readonly refuse: Set<number>) {
    super();
  }
  override async add(stream: string, fields: Record<string, string>) {
    if (this.refuse.has(this.adds++)) throw new Error('stream unavailable');
    return super.add(stream, fields);
  }
}

async function streamed(stream: EventStream, group: string) {
  await stream.ensureGroup(EVENT_STREAMS.orders, group);
  return (await stream.readNew(EVENT_STREAMS.orders, group, 'reader', 10_000)).map((e) => e.fields.id);
}
const drain = async (stream: EventStream, passes = 100) => {
  for (let i = 0; i < passes; i++) await relayEvents({ name: 'orders', db: database.db, table, stream, streamName: EVENT_STREAMS.orders }).catch(() => {});
};

describe('the event relay', () => {
  it('publishes every event of the outbox once, in outbox order, whatever adds fail along the way', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 12 }), fc.uniqueArray(fc.nat({ max: 30 }), { maxLength: 10 }), async (n, refused) => {
        await database.db.delete(table);
        const written = Array.from({ length: n }, event);
        for (const e of written) await writeEvent(database.db, table, e);
        const stream = new FlakyStream(new Set(refused));
        await drain(stream, refused.length + 2);
        expect(await database.db.select().from(table).where(isNull(table.publishedAt))).toHaveLength(0);
        expect(await streamed(stream, 'g')).toEqual(written.map((e) => e.id));
      }),
      { numRuns: 25 },
    );
  });

  it('two relays at once publish each event once (one holds the outbox, the other reads nothing)', async (ctx) => {
    if (!db.url) return ctx.skip(); // PGlite has one connection: the two could not overlap
    await database.db.delete(table);
    // Many small batches, so that one relay often takes the lock just as another commits (the race it must survive).
    const written = Array.from({ length: 200 }, event);
    for (const e of written) await writeEvent(database.db, table, e);
    const stream = new MemoryEventStream();
    const pass = () => relayEvents({ name: 'orders', db: database.db, table, stream, streamName: EVENT_STREAMS.orders, batch: 2 });
    for (let i = 0; i < 100; i++) await Promise.all([pass(), pass(), pass()]);
    expect(await streamed(stream, 'g')).toEqual(written.map((e) => e.id));
  });
});
