import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq, inArray, sql } from 'drizzle-orm';
import {
  createAuditWriter,
  eventFields,
  EVENT_STREAMS,
  MemoryEventStream,
  openDatabase,
  queryRows,
  RedisEventStream,
  type Database,
  type EventStream,
  type IntegrationEvent,
} from '@palisade/kit';
import { suiteDatabase, testRedisPrefix, testServers } from '@palisade/kit/testing/index';
import { auditOutbox, eventDeadLetters, mailQueue, notifications } from '../db/schema.ts';
import { NotificationService } from '../services/notification.service.ts';
import { Notifier, NOTIFIER_GROUP } from '../services/notifier.ts';
import { plain, renderNotification } from '../services/notification-templates.ts';

const log = pino({ level: 'silent' });
let db: Awaited<ReturnType<typeof suiteDatabase>>;
let database: Database;
let service: NotificationService;
const redisClients: Redis[] = [];
const people = { ada: '', bo: '', manager: '', manager2: '', retired: '' };

/** A stream whose next acks can be made to fail: a consumer crashing after its handler committed, before XACK. */
class CrashableStream implements EventStream {
  failAcks = 0;
  constructor(readonly inner: EventStream) {}
  add = (s: string, f: Record<string, string>) => this.inner.add(s, f);
  ensureGroup = (s: string, g: string) => this.inner.ensureGroup(s, g);
  readNew = (s: string, g: string, c: string, n: number) => this.inner.readNew(s, g, c, n);
  readOwnPending = (s: string, g: string, c: string, n: number) => this.inner.readOwnPending(s, g, c, n);
  claimStale = (s: string, g: string, c: string, idle: number, n: number) => this.inner.claimStale(s, g, c, idle, n);
  pendingCount = (s: string, g: string) => this.inner.pendingCount(s, g);
  async ack(s: string, g: string, ids: string[]) {
    if (this.failAcks > 0) {
      this.failAcks--;
      throw new Error('crashed before the ack');
    }
    return this.inner.ack(s, g, ids);
  }
}

const streams: [string, () => EventStream][] = [['in-process', () => new MemoryEventStream()]];
const { redisUrl } = testServers();
if (redisUrl)
  streams.push([
    'redis',
    () => {
      const client = new Redis(redisUrl);
      redisClients.push(client);
      return new RedisEventStream(client, testRedisPrefix());
    },
  ]);

async function person(roles: string[], active = true) {
  const [row] = await queryRows<{ id: string }>(
    database.db,
    sql`insert into users.users (email, display_name, password_hash, roles, active) values (${`p-${randomUUID()}@example.com`}, 'P', 'x', ${`{${roles.join(',')}}`}::text[], ${active}) returning id`,
  );
  return row!.id;
}

beforeAll(async () => {
  db = await suiteDatabase();
  database = await openDatabase({ url: db.url ?? undefined, schema: 'users', migrationsFolder: fileURLToPath(new URL('../db/migrations', import.meta.url)), applicationName: 'notifier-test', poolSize: 4 });
  service = new NotificationService({ db: database.db, audit: createAuditWriter('user', auditOutbox) });
  people.ada = await person(['CUSTOMER']);
  people.bo = await person(['CUSTOMER']);
  people.manager = await person(['MANAGER']);
  people.manager2 = await person(['CUSTOMER', 'MANAGER']);
  people.retired = await person(['MANAGER'], false);
});
afterAll(async () => {
  await Promise.all(redisClients.map((c) => c.quit()));
  await database?.close();
  await db?.drop();
});

const orderEvent = (customerId: string, type: IntegrationEvent['type'] = 'order.placed'): IntegrationEvent =>
  ({ id: randomUUID(), type, version: 1, occurredAt: new Date().toISOString(), data: { orderId: randomUUID(), customerId, status: 'PENDING', previousStatus: null, total: { amount: '12.50', currency: 'USD' } } }) as IntegrationEvent;
const lowStock = (name = 'Walnut desk'): IntegrationEvent => ({
  id: randomUUID(),
  type: 'product.low_stock',
  version: 1,
  occurredAt: new Date().toISOString(),
  data: { productId: randomUUID(), sku: 'DESK-1', name, available: 4, reorderPoint: 5 },
});

/** Per event id: its notifications (by person), queued mails and notification.sent audit records. */
async function effects(eventIds: string[]) {
  const rows = eventIds.length ? await database.db.select().from(notifications).where(inArray(notifications.eventId, eventIds)) : [];
  const ids = rows.map((r) => r.id);
  const mails = ids.length ? await database.db.select().from(mailQueue).where(inArray(mailQueue.notificationId, ids)) : [];
  const audits = ids.length
    ? await queryRows<{ id: string }>(database.db, sql`select record->>'resourceId' as id from users.audit_outbox where record->>'action' = 'notification.sent' and record->>'resourceId' = any(${`{${ids.join(',')}}`}::text[])`)
    : [];
  return { rows, mails, audits };
}

describe.each(streams)('the notifier on the %s stream', (_, makeStream) => {
  const start = (stream: EventStream, consumer = 'user-a', claimIdleMs = 60_000) =>
    new Notifier({ stream, notifications: service, log, intervalMs: 3_600_000, claimIdleMs, consumer }).start();

  it('acks a later version of a type it reads without a notification or a dead letter (it is published beside version 1)', async () => {
    const stream = makeStream();
    const v2 = { ...orderEvent(people.ada), version: 2, data: { order: 'reshaped' } };
    const entryId = await stream.add(EVENT_STREAMS.orders, { id: v2.id, type: v2.type, event: JSON.stringify(v2) });
    const notifier = start(stream);
    await notifier.poll();
    notifier.stop();
    expect(await stream.pendingCount(EVENT_STREAMS.orders, NOTIFIER_GROUP)).toBe(0);
    expect((await effects([v2.id])).rows).toHaveLength(0);
    expect(await database.db.select().from(eventDeadLetters).where(eq(eventDeadLetters.entryId, entryId))).toHaveLength(0);
  });

  it('tells nobody whose account was erased, and acks the event', async () => {
    const stream = makeStream();
    const gone = await person(['CUSTOMER', 'MANAGER']);
    await database.db.execute(sql`update users.users set deleted_at = now() where id = ${gone}`);
    const events = [orderEvent(gone, 'order.shipped'), lowStock()];
    await stream.add(EVENT_STREAMS.orders, eventFields(events[0]!));
    await stream.add(EVENT_STREAMS.catalog, eventFields(events[1]!));
    const notifier = start(stream);
    await notifier.poll();
    notifier.stop();
    expect((await effects(events.map((e) => e.id))).rows.filter((r) => r.userId === gone)).toHaveLength(0);
    expect(await stream.pendingCount(EVENT_STREAMS.orders, NOTIFIER_GROUP)).toBe(0);
  });

  it('turns a duplicated stream entry into one notification, one mail and one audit record', async () => {
    const stream = makeStream();
    const event = orderEvent(people.ada, 'order.shipped');
    await stream.add(EVENT_STREAMS.orders, eventFields(event));
    await stream.add(EVENT_STREAMS.orders, eventFields(event)); // the relay published it twice (crashed before marking it)
    const notifier = start(stream);
    await notifier.poll();
    notifier.stop();
    const { rows, mails, audits } = await effects([event.id]);
    expect(rows.map((r) => [r.userId, r.kind, r.subject])).toEqual([[people.ada, 'order.shipped', 'Your order has shipped']]);
    expect(mails.map((m) => [m.userId, m.kind])).toEqual([[people.ada, 'notification']]);
    expect(audits).toHaveLength(1);
    expect(await stream.pendingCount(EVENT_STREAMS.orders, NOTIFIER_GROUP)).toBe(0);
  });

  it('copies of one event handled at the same moment (replicas racing) are stored once', async () => {
    const events = [orderEvent(people.ada, 'order.placed'), lowStock()];
    // Concurrent transactions: the unique (event, person) makes all but one insert nothing.
    const results = await Promise.all(events.flatMap((e) => Array.from({ length: 4 }, () => service.record(e))));
    const { rows, mails, audits } = await effects(events.map((e) => e.id));
    expect(rows.filter((r) => r.eventId === events[0]!.id)).toHaveLength(1);
    const alerts = rows.filter((r) => r.eventId === events[1]!.id);
    expect(new Set(alerts.map((r) => r.userId)).size).toBe(alerts.length);
    expect(results.reduce((n, r) => n + r.sent, 0)).toBe(rows.length);
    expect([mails.length, audits.length]).toEqual([rows.length, rows.length]);
  });

  it('after a crash between storing and acking, the restarted consumer finds the row and only acks', async () => {
    const stream = new CrashableStream(makeStream());
    const event = orderEvent(people.bo, 'order.delivered');
    await stream.add(EVENT_STREAMS.orders, eventFields(event));
    stream.failAcks = 1;
    const crashed = start(stream);
    await crashed.poll().catch(() => {});
    crashed.stop();
    expect(await stream.pendingCount(EVENT_STREAMS.orders, NOTIFIER_GROUP)).toBe(1); // stored, never acked
    // The same consumer, restarted, takes back its own pending entry before anything new.
    const restarted = start(stream);
    await restarted.poll();
    restarted.stop();
    expect(await stream.pendingCount(EVENT_STREAMS.orders, NOTIFIER_GROUP)).toBe(0);
    const { rows, mails, audits } = await effects([event.id]);
    expect([rows.length, mails.length, audits.length]).toEqual([1, 1, 1]);
  });

  it('a consumer that never returns has its pending entries claimed by another', async () => {
    const stream = new CrashableStream(makeStream());
    const event = orderEvent(people.ada, 'order.cancelled');
    await stream.add(EVENT_STREAMS.orders, eventFields(event));
    stream.failAcks = 1;
    const gone = start(stream, 'user-gone');
    await gone.poll().catch(() => {});
    gone.stop();
    const other = start(stream, 'user-other', 0);
    await other.poll();
    other.stop();
    expect(await stream.pendingCount(EVENT_STREAMS.orders, NOTIFIER_GROUP)).toBe(0);
    expect((await effects([event.id])).rows).toHaveLength(1);
  });

  it('sends one low-stock alert per event to each active manager, and none to anyone else', async () => {
    const stream = makeStream();
    const event = lowStock();
    await stream.add(EVENT_STREAMS.catalog, eventFields(event));
    await stream.add(EVENT_STREAMS.catalog, eventFields(event));
    const notifier = start(stream);
    await notifier.poll();
    notifier.stop();
    const { rows, mails } = await effects([event.id]);
    const managers = (await queryRows<{ id: string }>(database.db, sql`select id from users.users where active and deleted_at is null and 'MANAGER' = any(roles)`)).map((r) => r.id);
    expect(managers).toEqual(expect.arrayContaining([people.manager, people.manager2]));
    expect(managers).not.toContain(people.retired);
    expect(rows.map((r) => r.userId).sort()).toEqual([...managers].sort());
    expect(mails.map((m) => m.userId).sort()).toEqual([...managers].sort());
  });

  it('sets every malformed entry aside as a dead letter, acks it, and goes on with the next event', async () => {
    const good = orderEvent(people.ada);
    const poison = fc.oneof(
      fc.dictionary(fc.string({ maxLength: 10 }), fc.string({ maxLength: 50 }), { minKeys: 1, maxKeys: 4 }),
      fc.string({ maxLength: 200 }).map((event) => ({ event })),
      fc.jsonValue().map((v) => ({ event: JSON.stringify(v) })),
      // A real event with one field broken: an unknown type, a later version, a missing or mistyped field.
      fc.constantFrom<[string, unknown]>(['type', 'order.exploded'], ['version', 0], ['version', '1'], ['id', 'not-a-uuid'], ['data', null], ['occurredAt', 'yesterday']).map(([k, v]) => ({ event: JSON.stringify({ ...good, id: randomUUID(), [k]: v }) })),
      fc.constant({ event: JSON.stringify({ ...good, data: { ...good.data, customerId: 'x' } }) }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(poison, { minLength: 1, maxLength: 4 }), async (entries) => {
        const stream = makeStream();
        const event = orderEvent(people.ada, 'order.confirmed');
        const ids: string[] = [];
        for (const fields of entries) ids.push(await stream.add(EVENT_STREAMS.orders, fields as Record<string, string>));
        await stream.add(EVENT_STREAMS.orders, eventFields(event));
        const notifier = start(stream);
        await notifier.poll();
        notifier.stop();
        expect(await stream.pendingCount(EVENT_STREAMS.orders, NOTIFIER_GROUP)).toBe(0);
        expect((await effects([event.id])).rows).toHaveLength(1);
        const dead = await database.db.select().from(eventDeadLetters).where(inArray(eventDeadLetters.entryId, ids));
        expect(dead.filter((d) => d.stream === EVENT_STREAMS.orders).map((d) => d.entryId).sort()).toEqual([...ids].sort());
      }),
      { numRuns: 15 },
    );
  });

  it('delivers each event exactly once under any interleaving of publishing, duplicates, consuming and crashes', async () => {
    type Step = { kind: 'publish'; to: 'ada' | 'bo' } | { kind: 'republish'; index: number } | { kind: 'poll'; consumer: 'a' | 'b' } | { kind: 'crash-before-ack'; consumer: 'a' | 'b' } | { kind: 'handler-fails'; consumer: 'a' | 'b' };
    const step: fc.Arbitrary<Step> = fc.oneof(
      fc.record({ kind: fc.constant('publish' as const), to: fc.constantFrom('ada' as const, 'bo' as const) }),
      fc.record({ kind: fc.constant('republish' as const), index: fc.nat() }),
      fc.record({ kind: fc.constantFrom('poll' as const, 'crash-before-ack' as const, 'handler-fails' as const), consumer: fc.constantFrom('a' as const, 'b' as const) }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 12 }), async (steps) => {
        const stream = new CrashableStream(makeStream());
        const published: IntegrationEvent[] = [];
        let failHandler = 0;
        const flaky = Object.create(service) as NotificationService;
        flaky.record = async (e) => {
          if (failHandler > 0) {
            failHandler--;
            throw new Error('database went away');
          }
          return service.record(e);
        };
        // Claims with no idle wait: a crashed consumer's entries are someone else's at once.
        const consumer = (name: 'a' | 'b') => new Notifier({ stream, notifications: flaky, log, intervalMs: 3_600_000, claimIdleMs: 0, consumer: `user-${name}` });
        for (const s of steps) {
          if (s.kind === 'publish') {
            const e = orderEvent(people[s.to]);
            published.push(e);
            await stream.add(EVENT_STREAMS.orders, eventFields(e));
          } else if (s.kind === 'republish') {
            if (published.length) await stream.add(EVENT_STREAMS.orders, eventFields(published[s.index % published.length]!));
          } else {
            if (s.kind === 'crash-before-ack') stream.failAcks = 1;
            if (s.kind === 'handler-fails') failHandler = 1;
            const n = consumer(s.consumer).start();
            await n.poll().catch(() => {});
            n.stop();
            stream.failAcks = 0;
            failHandler = 0;
          }
        }
        // Then everything recovers: one consumer drains what is left.
        const last = consumer('a').start();
        await last.poll();
        last.stop();
        expect(await stream.pendingCount(EVENT_STREAMS.orders, NOTIFIER_GROUP)).toBe(0);
        const { rows, mails, audits } = await effects(published.map((e) => e.id));
        expect(rows.map((r) => r.eventId).sort()).toEqual(published.map((e) => e.id).sort());
        for (const e of published) expect(rows.find((r) => r.eventId === e.id)!.userId).toBe(e.type.startsWith('order.') ? (e.data as { customerId: string }).customerId : null);
        expect(mails).toHaveLength(published.length);
        expect(audits).toHaveLength(published.length);
      }),
      { numRuns: 20 },
    );
  });
});

describe('notification templates', () => {
  it('put no markup, control or line-breaking character of a typed value into a mail', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 300 }), fc.string({ unit: 'binary', maxLength: 80 }), (name, sku) => {
        const event = { ...lowStock(name), data: { ...lowStock().data, name, sku } } as IntegrationEvent;
        const { subject, text } = renderNotification(event);
        expect(subject).not.toMatch(/[\r\n]/);
        for (const line of text.split('\n')) expect(line).not.toMatch(/[<>"'\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/);
        expect(plain(name).length).toBeLessThanOrEqual(120);
      }),
    );
  });

  it('never includes what a customer typed in order mail', () => {
    const e = orderEvent(people.ada, 'order.placed');
    const { subject, text } = renderNotification(e);
    expect(subject).toBe('We received your order');
    expect(text).toContain((e.data as { orderId: string }).orderId);
    expect(text).toContain('12.50 USD');
  });
});

describe('myNotifications', () => {
  it("pages the caller's own, newest first, and nobody else's", async () => {
    const stream = new MemoryEventStream();
    const events = [orderEvent(people.bo, 'order.placed'), orderEvent(people.ada, 'order.placed'), orderEvent(people.bo, 'order.confirmed'), orderEvent(people.bo, 'order.shipped')];
    for (const e of events) {
      await stream.add(EVENT_STREAMS.orders, eventFields(e));
      const n = new Notifier({ stream, notifications: service, log, intervalMs: 3_600_000, claimIdleMs: 60_000, consumer: 'user-x' }).start();
      await n.poll();
      n.stop();
    }
    const caller = { userId: people.bo } as Parameters<NotificationService['mine']>[0];
    const first = await service.mine(caller, 2);
    const rest = await service.mine(caller, 100, first.pageInfo.endCursor);
    const all = [...first.edges, ...rest.edges].map((e) => e.node);
    expect(all.every((n) => n.userId === people.bo)).toBe(true);
    const mine = (await database.db.select().from(notifications).where(eq(notifications.userId, people.bo))).length;
    expect(all).toHaveLength(mine);
    expect(first.totalCount).toBe(mine);
    const times = all.map((n) => n.createdAt.getTime());
    expect(times).toEqual([...times].sort((a, b) => b - a));
  });
});
