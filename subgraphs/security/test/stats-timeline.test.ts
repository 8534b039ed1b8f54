import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { AUDIT_INGEST_PATH, buildAuditRecord, loadInternalKeys, type IngestReply, type StartedSubgraph } from '@palisade/kit';
import { postSigned, signedSubgraphRequest, suiteDatabase, testCaller, testConfig } from '@palisade/kit/testing/index';
import { startSecuritySubgraph } from '../index.ts';

let sg: StartedSubgraph;
let db: Awaited<ReturnType<typeof suiteDatabase>>;
beforeAll(async () => {
  db = await suiteDatabase();
  sg = await startSecuritySubgraph({ config: testConfig(), port: 0, databaseUrl: db.url, pgliteDir: null });
});
afterAll(async () => {
  await sg?.stop();
  await db?.drop();
});

const HOUR = 3_600_000;
const auditor = testCaller({ userId: randomUUID(), roles: ['AUDITOR'] });
type Bucket = { start: string; events: number; failedLogins: number };
const timeline = async (windowHours: number) =>
  (await signedSubgraphRequest(sg.url, 'security', auditor, 'query($w: Int) { securityStats(windowHours: $w) { totalEvents failedLogins timeline { start events failedLogins } } }', { w: windowHours })).body.data!
    .securityStats as { totalEvents: number; failedLogins: number; timeline: Bucket[] };

describe('securityStats over time', () => {
  it('puts every event in the hour it happened, and the slices add up to the totals', async () => {
    const signer = (await loadInternalKeys('user', [])).signer;
    const before = await timeline(24);
    // Events at generated moments over the last day, some of them failed sign-ins.
    const moments = fc.sample(fc.tuple(fc.integer({ min: 1_000, max: 23 * HOUR }), fc.boolean()), { numRuns: 40, seed: 20261126 });
    const events = moments.map(([ago, failed]) => ({
      ...buildAuditRecord('user', testCaller({ userId: randomUUID() }), { action: failed ? 'auth.login_failed' : 'auth.login', outcome: failed ? 'FAILURE' : 'SUCCESS' }),
      occurredAt: new Date(Date.now() - ago).toISOString(),
    }));
    expect((await postSigned<IngestReply>(signer, 'security', sg.url.replace(/\/graphql$/, '') + AUDIT_INGEST_PATH, { events })).stored).toBe(events.length);
    const after = await timeline(24);
    expect(after.timeline.length).toBeGreaterThanOrEqual(24);
    const starts = after.timeline.map((b) => new Date(b.start).getTime());
    expect(starts).toEqual([...starts].sort((a, b) => a - b));
    expect(starts.every((s, i) => i === 0 || s - starts[i - 1]! === HOUR)).toBe(true);
    const sum = (k: 'events' | 'failedLogins', t: Bucket[]) => t.reduce((n, b) => n + b[k], 0);
    expect(sum('events', after.timeline) - sum('events', before.timeline)).toBe(events.length);
    expect(sum('failedLogins', after.timeline) - sum('failedLogins', before.timeline)).toBe(moments.filter(([, f]) => f).length);
    for (const e of events) {
      const at = new Date(e.occurredAt).getTime();
      const slot = after.timeline.findIndex((b) => new Date(b.start).getTime() <= at && at < new Date(b.start).getTime() + HOUR);
      expect(slot).toBeGreaterThanOrEqual(0);
    }
    const byHour = new Map<number, number>();
    for (const e of events) {
      const h = Math.floor(new Date(e.occurredAt).getTime() / HOUR) * HOUR;
      byHour.set(h, (byHour.get(h) ?? 0) + 1);
    }
    for (const [h, n] of byHour) {
      const now = after.timeline.find((b) => new Date(b.start).getTime() === h)!.events;
      const was = before.timeline.find((b) => new Date(b.start).getTime() === h)?.events ?? 0;
      expect(now - was).toBe(n);
    }
  });

  it('slices by day past two days', async () => {
    const week = await timeline(24 * 7);
    expect(week.timeline.length).toBeGreaterThanOrEqual(7);
    expect(week.timeline.length).toBeLessThanOrEqual(8);
  });
});
