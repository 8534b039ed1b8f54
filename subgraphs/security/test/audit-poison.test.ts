import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { pgSchema } from 'drizzle-orm/pg-core';
import { inArray, sql } from 'drizzle-orm';
import {
  AUDIT_INGEST_PATH, AUDIT_LIMITS, auditOutboxTable, buildAuditRecord, createLogger, createServiceClient, loadInternalKeys, queryRows, startAuditRelay,
  type AuditRecord, type IngestReply, type StartedSubgraph,
} from '@palisade/kit';
import { postSigned, signedSubgraphRequest, suiteDatabase, testCaller, waitFor, testConfig } from '@palisade/kit/testing/index';
import type { Caller } from '@palisade/auth';
import { startSecuritySubgraph } from '../index.ts';
import { auditEvents } from '../db/schema.ts';

let sg: StartedSubgraph;
let db: Awaited<ReturnType<typeof suiteDatabase>>;
let base: string;
const stored: AuditRecord[] = []; // records known to be in the trail, for duplicates of both kinds
beforeAll(async () => {
  db = await suiteDatabase();
  sg = await startSecuritySubgraph({ config: testConfig(), port: 0, databaseUrl: db.url, pgliteDir: null });
  base = sg.url.replace(/\/graphql$/, '');
  const first = buildAuditRecord('user', testCaller(), { action: 'auth.login', outcome: 'SUCCESS' });
  expect((await send([first])).stored).toBe(1);
  stored.push(first);
});
afterAll(async () => {
  await sg?.stop();
  await db?.drop();
});

const send = async (events: unknown[]) => postSigned<IngestReply>((await loadInternalKeys('user', [])).signer, 'security', base + AUDIT_INGEST_PATH, { events });
const auditor = testCaller({ userId: randomUUID(), roles: ['AUDITOR'] });
const verify = async () => (await signedSubgraphRequest(sg.url, 'security', auditor, '{ verifyAuditTrail { valid checked firstBrokenId } }')).body.data!.verifyAuditTrail;
const rows = <T>(q: ReturnType<typeof sql>) => queryRows<T>(sg.database.db, q);
const deadLetterCount = async () => (await rows<{ n: number }>(sql`select count(*)::int as n from security.audit_dead_letters`))[0]!.n;

// Client-controlled text as it reaches a producer: any code point, plus what Postgres refuses.
const nasty = fc
  .array(fc.oneof(fc.string({ unit: 'binary', maxLength: 40 }), fc.constantFrom('\u0000', '\uD800', '\uDFFF', '\uD83D', "' OR 1=1; --", '😀')), { maxLength: 30 })
  .map((parts) => parts.join(''));
const longNasty = fc.tuple(nasty, fc.integer({ min: 0, max: 12_000 })).map(([s, n]) => s + 'x'.repeat(n));

/** A good record: whatever the client sent, built by the producer's own function. */
const good = fc
  .record({
    action: fc.oneof(fc.constantFrom('auth.login', 'access.denied', 'security.suspicious_input'), longNasty),
    outcome: fc.constantFrom('SUCCESS', 'DENIED', 'FAILURE') as fc.Arbitrary<'SUCCESS' | 'DENIED' | 'FAILURE'>,
    resourceId: fc.option(longNasty),
    resourceType: fc.option(nasty),
    userAgent: longNasty,
    ip: nasty,
    actorId: fc.option(fc.oneof(fc.uuid(), nasty)),
    metadata: fc.option(fc.dictionary(nasty, fc.oneof(nasty, longNasty, fc.double(), fc.constant(undefined), fc.array(nasty, { maxLength: 80 })), { maxKeys: 60 })),
  })
  .map((g) => {
    const caller: Caller = { ...testCaller(), ip: g.ip, userAgent: g.userAgent };
    return buildAuditRecord('user', caller, { action: g.action, outcome: g.outcome, resourceId: g.resourceId, resourceType: g.resourceType, actorId: g.actorId, metadata: g.metadata as Record<string, unknown> | null });
  });

type Poison = { kind: string; value: unknown };
const textFields = ['service', 'action', 'resourceType', 'resourceId', 'requestId', 'ip', 'userAgent'] as const;
const withField = (field: string, value: unknown) => (r: AuditRecord) => ({ ...r, [field]: value });
const poisonOf = (kind: string, arb: fc.Arbitrary<(r: AuditRecord) => unknown>) => fc.tuple(good, arb).map(([r, f]): Poison => ({ kind, value: f(r) }));
const poison: fc.Arbitrary<Poison> = fc.oneof(
  poisonOf('overlong field', fc.constantFrom(...textFields).chain((f) => fc.integer({ min: AUDIT_LIMITS[f] + 1, max: 20_000 }).map((n) => withField(f, f === 'service' ? 'user' + 'x'.repeat(n) : 'x'.repeat(n))))),
  poisonOf('NUL byte', fc.constantFrom(...textFields.filter((f) => f !== 'service')).map((f) => withField(f, 'a\u0000b'))),
  poisonOf('unpaired surrogate', fc.tuple(fc.constantFrom(...textFields.filter((f) => f !== 'service')), fc.constantFrom('\uD800', '\uDFFF', 'x\uD83D')).map(([f, s]) => withField(f, s))),
  poisonOf('NUL or surrogate in metadata', fc.constantFrom({ k: 'a\u0000' }, { 'k\u0000': 1 }, { k: ['\uD800'] }, { deep: { deeper: 'x\uDC00y' } }).map((m) => withField('metadata', m))),
  poisonOf('wrong type', fc.tuple(fc.constantFrom(...textFields, 'metadata', 'outcome', 'actorId', 'occurredAt'), fc.constantFrom(42, true, { a: 1 }, ['x'], 'not-an-object')).filter(([f, v]) => !(f === 'metadata' && typeof v === 'object' && !Array.isArray(v)) && !((textFields as readonly string[]).includes(f) && typeof v === 'string')).map(([f, v]) => withField(f, v))),
  poisonOf('missing field', fc.constantFrom('id', 'occurredAt', 'service', 'action', 'outcome').map((f) => (r: AuditRecord) => ({ ...r, [f]: undefined }))),
  poisonOf('huge metadata', fc.integer({ min: AUDIT_LIMITS.metadataChars, max: 200_000 }).map((n) => withField('metadata', { blob: 'x'.repeat(n) }))),
  poisonOf('deep metadata', fc.integer({ min: AUDIT_LIMITS.metadataDepth + 1, max: 60 }).map((n) => withField('metadata', JSON.parse('{"a":'.repeat(n) + '1' + '}'.repeat(n))))),
  poisonOf('bad date', fc.constantFrom('yesterday', '', '2026-13-45T99:00:00Z', '1900-01-01T00:00:00Z', '9999-01-01T00:00:00Z', '2026-01-01', '2026-01-01T00:00:00\u0000Z').map((d) => withField('occurredAt', d))),
  poisonOf('bad value', fc.constantFrom(withField('outcome', 'MAYBE'), withField('actorId', 'not-a-uuid'), withField('id', 'not-a-uuid'), withField('id', 42), withField('service', 'order'))),
  fc.constantFrom<Poison>({ kind: 'not an object', value: null }, { kind: 'not an object', value: 42 }, { kind: 'not an object', value: 'record' }, { kind: 'not an object', value: [] }),
);

describe('a batch of good and poison records', () => {
  it('stores every good record, sets every bad one aside with its reason, and chains only the good ones', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(good, { minLength: 1, maxLength: 12 }), fc.array(poison, { minLength: 1, maxLength: 12 }), fc.integer({ min: 0, max: 2 }), fc.nat(), async (generated, poisons, redeliveries, seed) => {
        // Fresh ids on every run: fast-check replays values while shrinking, and a replayed record is a redelivery.
        const goods = generated.map((g) => ({ ...g, id: randomUUID() }));
        // Records already stored come back twice: once unchanged (a redelivery), once altered (a conflict).
        const known = stored[seed % stored.length]!;
        const conflicts: Poison[] = [{ kind: 'duplicate id with different content', value: { ...known, action: `${known.action}.forged` } }];
        const repeats = Array.from({ length: redeliveries }, () => stored[(seed + 1) % stored.length]!);
        const items = [...goods.map((g) => ({ good: g })), ...repeats.map((r) => ({ repeat: r })), ...[...poisons, ...conflicts].map((p) => ({ poison: p }))];
        // Interleave deterministically from the seed (fast-check shrinks the seed like any other input).
        items.sort((a, b) => ((JSON.stringify(a).length * 31 + seed) % 7) - ((JSON.stringify(b).length * 31 + seed) % 7));
        const before = await deadLetterCount();

        const reply = await send(items.map((i) => ('good' in i ? i.good : 'repeat' in i ? i.repeat : i.poison.value)));

        const poisonAt = items.flatMap((i, index) => ('poison' in i ? [index] : []));
        expect(reply.rejected.map((r) => r.index)).toEqual(poisonAt);
        for (const r of reply.rejected) expect(r.reason).toMatch(/\w/);
        expect(reply.stored).toBe(goods.length);
        expect(reply.duplicate).toBe(redeliveries);
        const ids = goods.map((g) => g.id);
        const found = await sg.database.db.select({ id: auditEvents.id }).from(auditEvents).where(inArray(auditEvents.id, ids));
        expect(found.length).toBe(goods.length);
        expect(await deadLetterCount()).toBe(before + poisonAt.length);
        stored.push(...goods);
      }),
      { numRuns: 40 },
    );
    expect(await verify()).toMatchObject({ valid: true, firstBrokenId: null });
  });

  it('names each dead letter’s reason, and counts them in /metrics', async () => {
    const r = buildAuditRecord('user', testCaller(), { action: 'auth.login', outcome: 'SUCCESS' });
    const one = (patch: Record<string, unknown>) => ({ ...r, id: randomUUID(), ...patch });
    const each = [
      one({ action: 'x'.repeat(81) }), one({ ip: '\u0000' }), one({ ip: 7 }), one({ action: undefined }), one({ metadata: { a: 'x'.repeat(9_000) } }),
      one({ metadata: JSON.parse('{"a":'.repeat(20) + '1' + '}'.repeat(20)) }), one({ occurredAt: 'now' }), one({ outcome: 'MAYBE' }), one({ id: 'x' }), one({ service: 'order' }), 'record', { ...stored[0]!, action: 'forged' },
    ];
    expect((await send(each)).rejected.length).toBe(each.length);
    const reasons = await rows<{ code: string; reason: string }>(sql`select code, reason from security.audit_dead_letters`);
    expect(new Set(reasons.map((r) => r.code))).toEqual(new Set(['too_long', 'invalid_text', 'wrong_type', 'missing_field', 'metadata_too_large', 'invalid_metadata', 'invalid_date', 'invalid_value', 'invalid_id', 'sender_mismatch', 'not_object', 'duplicate_conflict']));
    const metrics = await (await fetch(`${base}/metrics`)).text();
    const total = [...metrics.matchAll(/^palisade_audit_dead_letters_total\{[^}]*\} (\d+)/gm)].reduce((n, m) => n + Number(m[1]), 0);
    expect(total).toBe(reasons.length);
    const alerts = await signedSubgraphRequest(sg.url, 'security', auditor, '{ securityAlerts(filter: { type: "audit_dead_letter" }) { edges { node { severity count } } } }');
    expect(alerts.body.data!.securityAlerts.edges).toEqual([{ node: { severity: 'HIGH', count: reasons.length } }]);
  });
});

describe('a relay with poison in its outbox', () => {
  const schema = pgSchema('poison_outbox');
  const outbox = auditOutboxTable(schema);
  beforeAll(async () => {
    await rows(sql`create schema if not exists poison_outbox`);
    await rows(sql`create table poison_outbox.audit_outbox (seq bigserial primary key, id uuid not null unique, record jsonb not null, created_at timestamptz not null default now(), delivered_at timestamptz)`);
  });

  it('drains to zero: every good record stored, every bad one set aside, an unsendable one given up without holding back the rest', async () => {
    // What jsonb can hold (NUL and lone surrogates cannot reach an outbox), plus one record too large to send at all.
    const storable = poison.filter((p) => p.value !== null && p.kind !== 'deep metadata' && !/\\u0000|\\ud[89a-f]/i.test(JSON.stringify(p.value)));
    const { signer } = await loadInternalKeys('user', []);
    const log = createLogger('user');
    const client = createServiceClient({ from: 'user', signer, peers: () => base, log });
    const relay = startAuditRelay({ service: 'user', db: sg.database.db, table: outbox, client, log });
    try {
      await fc.assert(
        fc.asyncProperty(fc.array(fc.oneof(good.map((g) => ({ good: g })), storable.map((p) => ({ poison: p }))), { minLength: 1, maxLength: 40 }), async (generated) => {
          const items = generated.map((i) => ('good' in i ? { good: { ...i.good, id: randomUUID() } } : i));
          const before = await deadLetterCount();
          const outboxRows = items.map((i) => ({ id: randomUUID(), record: ('good' in i ? i.good : i.poison.value) as AuditRecord }));
          await sg.database.db.insert(outbox).values(outboxRows);
          await waitFor(async () => (await rows<{ n: number }>(sql`select count(*)::int as n from poison_outbox.audit_outbox where delivered_at is null`))[0]!.n === 0, 'the relay backlog to drain');
          const goods = items.flatMap((i) => ('good' in i ? [i.good.id] : []));
          const found = await sg.database.db.select({ id: auditEvents.id }).from(auditEvents).where(inArray(auditEvents.id, goods));
          expect(found.length).toBe(goods.length);
          expect(await deadLetterCount()).toBe(before + items.length - goods.length);
        }),
        { numRuns: 10 },
      );
      const oversized = { ...buildAuditRecord('user', testCaller(), { action: 'x', outcome: 'SUCCESS' }), resourceId: 'x'.repeat(1_100_000) };
      const after = buildAuditRecord('user', testCaller(), { action: 'after.oversized', outcome: 'SUCCESS' });
      await sg.database.db.insert(outbox).values([{ id: randomUUID(), record: oversized }, { id: randomUUID(), record: after }]);
      await waitFor(async () => (await rows<{ n: number }>(sql`select count(*)::int as n from security.audit_events where id = ${after.id}`))[0]!.n === 1, 'the record behind an unsendable one');
    } finally {
      await relay.stop();
      await client.close();
    }
    expect(await verify()).toMatchObject({ valid: true });
  });
});
