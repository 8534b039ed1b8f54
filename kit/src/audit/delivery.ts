import { ServiceCallError, type ServiceClient } from '../service-client.ts';

export const AUDIT_INGEST_PATH = '/internal/audit';
/** Records per request, and bytes per request (the receiver takes bodies up to 1 MB). */
export const AUDIT_BATCH_RECORDS = 200;
export const AUDIT_BATCH_BYTES = 512 * 1024;

/** The security subgraph's answer: a verdict for every record it was sent. */
export interface IngestReply {
  stored: number;
  duplicate: number;
  /** Set aside in the dead-letter table, each with its reason; never worth sending again. */
  rejected: { index: number; id: string | null; reason: string }[];
}

export interface DeliveryResult {
  /** How many records from the front of the list are settled (stored, duplicate, set aside or given up). */
  settled: number;
  rejected: IngestReply['rejected'];
  /** Records the receiver refused even on their own, outside its verdicts (say, too large to read). */
  undeliverable: { record: unknown; status: number | null }[];
  /** Set when delivery stopped at a failure worth retrying later (network, 503, 429, 401). */
  transient: Error | null;
}

/**
 * Failures that say nothing about the batch: the receiver or the way to it is away or busy, or cannot check
 * signatures just now. Anything else (400, 413, 500) is about what was sent, and sending it again won't help.
 */
export function isTransientFailure(err: unknown): boolean {
  if (!(err instanceof ServiceCallError)) return true;
  const s = err.status;
  return s === null || s === 401 || s === 408 || s === 429 || s === 502 || s === 503 || s === 504;
}

/** Cuts a list of records into requests the receiver will read: bounded by count and by size. */
export function auditBatches<T>(records: T[], size: (r: T) => number = (r) => JSON.stringify(r).length): T[][] {
  const out: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  for (const r of records) {
    const n = size(r) + 1;
    if (current.length && (current.length >= AUDIT_BATCH_RECORDS || bytes + n > AUDIT_BATCH_BYTES)) {
      out.push(current);
      current = [];
      bytes = 0;
    }
    current.push(r);
    bytes += n;
  }
  if (current.length) out.push(current);
  return out;
}

export type AuditSender = (records: unknown[]) => Promise<IngestReply>;

/** Sends through the service's client: signed, kept alive, within a deadline, behind the security subgraph's circuit. */
export const signedAuditSender =
  (client: ServiceClient, deadlineMs = 5_000): AuditSender =>
  (records) =>
    client.post<IngestReply>('security', AUDIT_INGEST_PATH, { events: records }, { deadlineMs });

/**
 * Delivers records in order. A batch the receiver refuses as a whole for what it holds is split in halves
 * until the record at fault stands alone, which is then given up (reported, never retried), so one bad
 * record can never hold back the ones after it. A transient failure stops delivery; what was settled
 * before it stays settled (the receiver stores each id once, so a resend is harmless).
 */
export async function deliverAuditRecords(send: AuditSender, records: unknown[]): Promise<DeliveryResult> {
  const result: DeliveryResult = { settled: 0, rejected: [], undeliverable: [], transient: null };
  const queue: { from: number; items: unknown[] }[] = auditBatches(records).reduce<{ from: number; items: unknown[] }[]>((acc, items) => {
    const from = acc.length ? acc.at(-1)!.from + acc.at(-1)!.items.length : 0;
    return [...acc, { from, items }];
  }, []);
  while (queue.length) {
    const { from, items } = queue.shift()!;
    try {
      const reply = await send(items);
      for (const r of reply.rejected ?? []) result.rejected.push({ ...r, index: from + r.index });
    } catch (err) {
      if (isTransientFailure(err)) {
        result.transient = err as Error;
        return result;
      }
      if (items.length > 1) {
        const half = Math.ceil(items.length / 2);
        queue.unshift({ from, items: items.slice(0, half) }, { from: from + half, items: items.slice(half) });
        continue;
      }
      result.undeliverable.push({ record: items[0], status: (err as ServiceCallError).status });
    }
    result.settled = from + items.length;
  }
  return result;
}
