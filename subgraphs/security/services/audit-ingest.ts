import { badInput } from '@palisade/auth';
import { cleanText, type AuditRecord, type Db, type IngestReply } from '@palisade/kit';
import { auditDeadLetters } from '../db/schema.ts';
import { appendAuditEvents } from './audit-chain.ts';
import { checkAuditRecord, type RejectCode } from './audit-validation.ts';

const MAX_BATCH = 500;
const PAYLOAD_CHARS = 16_000;

export interface IngestOutcome {
  reply: IngestReply;
  /** What was newly stored, for detection. */
  stored: AuditRecord[];
  /** The reasons records were set aside, for metrics and the dead-letter alert. */
  deadLetters: RejectCode[];
}

function payloadOf(e: unknown): string {
  try {
    // JSON text escapes NUL and lone surrogates, so the record is kept as it came, whatever it holds.
    return cleanText(JSON.stringify(e) ?? String(e), PAYLOAD_CHARS);
  } catch {
    return '[unreadable]';
  }
}

/**
 * Stores a signed batch record by record: each valid record joins the chain; each invalid one goes to the
 * dead-letter table with its reason, in the same transaction, and the sender gets a verdict for every record.
 * So no record can make the sender resend a batch, and none is lost without a trace.
 */
export async function ingestAuditBatch(db: Db, body: unknown, sender: string): Promise<IngestOutcome> {
  const events = (body as { events?: unknown } | null)?.events;
  if (!Array.isArray(events) || events.length > MAX_BATCH) throw badInput(`events must be a list of at most ${MAX_BATCH}`);
  const checked = events.map((e) => checkAuditRecord(e, sender));
  const valid = checked.flatMap((c, index) => (c.ok ? [{ index, record: c.record }] : []));
  const rejected = checked.flatMap((c, index) => (c.ok ? [] : [{ index, id: c.id, code: c.code, reason: c.reason }]));
  return db.transaction(async (tx) => {
    const appended = await appendAuditEvents(tx, valid.map((v) => v.record));
    for (const r of appended.refused) {
      const v = valid[r.index]!;
      rejected.push({ index: v.index, id: v.record.id, code: r.code, reason: r.reason });
    }
    rejected.sort((a, b) => a.index - b.index);
    if (rejected.length)
      await tx.insert(auditDeadLetters).values(rejected.map((r) => ({ recordId: r.id, sender, code: r.code, reason: r.reason, payload: payloadOf(events[r.index]) })));
    return {
      reply: { stored: appended.stored.length, duplicate: appended.duplicate, rejected: rejected.map(({ index, id, reason }) => ({ index, id, reason })) },
      stored: appended.stored,
      deadLetters: rejected.map((r) => r.code),
    };
  });
}
