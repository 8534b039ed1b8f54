import { randomUUID } from 'node:crypto';
import { bigserial, index, jsonb, timestamp, uuid, type PgSchema } from 'drizzle-orm/pg-core';
import { sql } from 'drizzle-orm';
import type { Caller } from '@palisade/auth';
import type { DbOrTx } from '../db.ts';
import { isUuid } from '../values.ts';
import { AUDIT_LIMITS, cleanMetadata, cleanText } from './limits.ts';

export * from './limits.ts';

export type AuditOutcome = 'SUCCESS' | 'DENIED' | 'FAILURE';

export interface AuditInput {
  action: string;
  outcome: AuditOutcome;
  actorId?: string | null;
  resourceType?: string | null;
  resourceId?: string | null;
  metadata?: Record<string, unknown> | null;
}

/** What travels from a subgraph's outbox to the security subgraph. */
export interface AuditRecord {
  id: string;
  occurredAt: string;
  service: string;
  action: string;
  outcome: AuditOutcome;
  actorId: string | null;
  resourceType: string | null;
  resourceId: string | null;
  requestId: string | null;
  ip: string | null;
  userAgent: string | null;
  metadata: Record<string, unknown> | null;
}

/** The outbox every subgraph keeps in its own schema; rows are written in the business transaction. */
export function auditOutboxTable(schema: PgSchema) {
  return schema.table(
    'audit_outbox',
    {
      seq: bigserial('seq', { mode: 'number' }).primaryKey(),
      id: uuid('id').notNull().unique(),
      record: jsonb('record').$type<AuditRecord>().notNull(),
      createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
      deliveredAt: timestamp('delivered_at', { withTimezone: true }),
    },
    (t) => [index('audit_outbox_pending_idx').on(t.seq).where(sql`${t.deliveredAt} is null`)],
  );
}
export type AuditOutboxTable = ReturnType<typeof auditOutboxTable>;

const text = (v: string | null | undefined, max: number) => (typeof v === 'string' ? cleanText(v, max) : null);

/**
 * Builds a record the security subgraph will accept whatever the caller sent: every field is clipped to
 * its limit and cleaned of what Postgres refuses (NUL, unpaired surrogates), metadata bounded. Values come
 * from clients (operation names, user agents, input samples), so nothing here may be trusted to be short.
 */
export function buildAuditRecord(service: string, caller: Caller | null, input: AuditInput): AuditRecord {
  const actorId = input.actorId !== undefined ? input.actorId : (caller?.userId ?? null);
  return {
    id: randomUUID(),
    occurredAt: new Date().toISOString(),
    service: cleanText(service, AUDIT_LIMITS.service) || 'unknown',
    action: cleanText(input.action, AUDIT_LIMITS.action) || 'unknown',
    outcome: input.outcome,
    actorId: isUuid(actorId) ? actorId : null,
    resourceType: text(input.resourceType, AUDIT_LIMITS.resourceType),
    resourceId: text(input.resourceId, AUDIT_LIMITS.resourceId),
    requestId: text(caller?.requestId, AUDIT_LIMITS.requestId),
    ip: text(caller?.ip, AUDIT_LIMITS.ip),
    userAgent: text(caller?.userAgent, AUDIT_LIMITS.userAgent),
    metadata: cleanMetadata(input.metadata),
  };
}

export type AuditWriter = (tx: DbOrTx, caller: Caller | null, input: AuditInput) => Promise<void>;

/** Writes into the outbox through the caller's transaction, so the change and its record commit together. */
export function createAuditWriter(service: string, table: AuditOutboxTable): AuditWriter {
  return async (tx, caller, input) => {
    const record = buildAuditRecord(service, caller, input);
    await tx.insert(table).values({ id: record.id, record });
  };
}
