import { AUDIT_LIMITS, isUuid, textProblem, type AuditRecord, type AuditTextField } from '@palisade/kit';

/** Short stable reasons (a metrics label), each with words for the dead-letter table. */
export type RejectCode =
  | 'not_object'
  | 'invalid_id'
  | 'invalid_date'
  | 'missing_field'
  | 'wrong_type'
  | 'too_long'
  | 'invalid_text'
  | 'invalid_value'
  | 'invalid_metadata'
  | 'metadata_too_large'
  | 'sender_mismatch'
  | 'duplicate_conflict'
  | 'database_refused';

export type Checked = { ok: true; record: AuditRecord } | { ok: false; id: string | null; code: RejectCode; reason: string };

const OUTCOMES = new Set(['SUCCESS', 'DENIED', 'FAILURE']);
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?(Z|[+-]\d{2}:\d{2})$/;
const EARLIEST = Date.UTC(2000, 0, 1);
// Producers' clocks may run ahead a little; a record from further in the future would sort wrongly forever.
const FUTURE_SLACK_MS = 24 * 3_600_000;

class Refused extends Error {
  constructor(
    readonly code: RejectCode,
    reason: string,
  ) {
    super(reason);
  }
}

function text(e: Record<string, unknown>, field: AuditTextField, required: boolean): string | null {
  const v = e[field];
  if (v === undefined || v === null) {
    if (required) throw new Refused('missing_field', `${field} is missing`);
    return null;
  }
  if (typeof v !== 'string') throw new Refused('wrong_type', `${field} must be a string`);
  if (required && !v) throw new Refused('missing_field', `${field} is empty`);
  if (v.length > AUDIT_LIMITS[field]) throw new Refused('too_long', `${field} is longer than ${AUDIT_LIMITS[field]} characters`);
  const problem = textProblem(v);
  if (problem) throw new Refused('invalid_text', `${field} ${problem}`);
  return v;
}

/** Plain JSON Postgres stores unchanged: bounded depth, clean keys and strings, finite numbers. */
function checkJson(v: unknown, depth: number): void {
  if (v === null || typeof v === 'boolean') return;
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new Refused('invalid_metadata', 'metadata holds a number out of range');
    return;
  }
  if (typeof v === 'string') {
    const problem = textProblem(v);
    if (problem) throw new Refused('invalid_text', `metadata ${problem}`);
    return;
  }
  if (typeof v !== 'object') throw new Refused('invalid_metadata', 'metadata is not JSON');
  if (depth >= AUDIT_LIMITS.metadataDepth) throw new Refused('invalid_metadata', `metadata is nested deeper than ${AUDIT_LIMITS.metadataDepth}`);
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
    const problem = textProblem(k);
    if (problem) throw new Refused('invalid_text', `a metadata key ${problem}`);
    checkJson(x, depth + 1);
  }
}

function check(e: unknown, sender: string): AuditRecord {
  if (!e || typeof e !== 'object' || Array.isArray(e)) throw new Refused('not_object', 'record is not an object');
  const r = e as Record<string, unknown>;
  if (!isUuid(r.id)) throw new Refused('invalid_id', 'id is not a UUID');
  if (typeof r.occurredAt !== 'string' || !ISO.test(r.occurredAt)) throw new Refused('invalid_date', 'occurredAt is not an ISO 8601 timestamp');
  const at = Date.parse(r.occurredAt);
  if (Number.isNaN(at) || at < EARLIEST || at > Date.now() + FUTURE_SLACK_MS) throw new Refused('invalid_date', 'occurredAt is not a plausible time');
  const service = text(r, 'service', true)!;
  if (service !== sender) throw new Refused('sender_mismatch', 'service is not the service that signed the batch');
  const action = text(r, 'action', true)!;
  if (typeof r.outcome !== 'string' || !OUTCOMES.has(r.outcome)) throw new Refused('invalid_value', 'outcome is not SUCCESS, DENIED or FAILURE');
  const actorId = r.actorId ?? null;
  if (actorId !== null && !isUuid(actorId)) throw new Refused('invalid_value', 'actorId is not a UUID');
  const metadata = r.metadata ?? null;
  if (metadata !== null) {
    if (typeof metadata !== 'object' || Array.isArray(metadata)) throw new Refused('wrong_type', 'metadata must be an object');
    checkJson(metadata, 0);
    if (JSON.stringify(metadata).length > AUDIT_LIMITS.metadataChars) throw new Refused('metadata_too_large', `metadata is larger than ${AUDIT_LIMITS.metadataChars} characters`);
  }
  return {
    id: r.id,
    occurredAt: new Date(at).toISOString(),
    service,
    action,
    outcome: r.outcome as AuditRecord['outcome'],
    actorId: actorId as string | null,
    resourceType: text(r, 'resourceType', false),
    resourceId: text(r, 'resourceId', false),
    requestId: text(r, 'requestId', false),
    ip: text(r, 'ip', false),
    userAgent: text(r, 'userAgent', false),
    metadata: metadata as Record<string, unknown> | null,
  };
}

/** One record's verdict: accepted as it will be stored, or refused with its reason. Never throws. */
export function checkAuditRecord(e: unknown, sender: string): Checked {
  try {
    return { ok: true, record: check(e, sender) };
  } catch (err) {
    const id = (e as { id?: unknown } | null)?.id;
    const readableId = typeof id === 'string' && !textProblem(id) ? id.slice(0, 100) : null;
    if (err instanceof Refused) return { ok: false, id: readableId, code: err.code, reason: err.message };
    return { ok: false, id: readableId, code: 'invalid_value', reason: 'record could not be read' };
  }
}
