import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { AUDIT_BATCH_RECORDS, relayWait } from '../src/audit/relay.ts';

// The audit relay goes again at once only to drain a backlog: a partial batch means the outbox is empty for now,
// and its next records wait for the poll, so steady traffic is one delivery (one signed call, one chain
// transaction in the security subgraph) per interval instead of one per few records.
describe("the audit relay's pace", () => {
  it('polls after a partial batch, drains after a full one, backs off after failures (generated)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 6 }), fc.integer({ min: 0, max: AUDIT_BATCH_RECORDS }), fc.integer({ min: 1, max: 10_000 }), (failures, delivered, interval) => {
        const wait = relayWait(failures, delivered, interval);
        if (failures) expect(wait).toBe(Math.min(5_000, 250 * 2 ** Math.min(failures, 5)));
        else if (delivered === AUDIT_BATCH_RECORDS) expect(wait).toBe(0);
        else expect(wait).toBe(interval);
      }),
      { numRuns: 500 },
    );
  });

  it('a single record delivered waits for the next poll', () => {
    expect(relayWait(0, 1, 200)).toBe(200);
  });
});
