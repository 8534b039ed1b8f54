import { randomUUID } from 'node:crypto';
import { bigserial, index, jsonb, timestamp, uuid, type PgSchema } from 'drizzle-orm/pg-core';
import { sql } from 'drizzle-orm';
import type { Caller } from '@palisade/auth';
import type { DbOrTx } from '../db.ts';

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

export function buildAuditRecord(service: string, caller: Caller | null, input: AuditInput): AuditRecord {
  return {
    id: randomUUID(),
    occurredAt: new Date().toISOString(),
    service,
    action: input.action,
    outcome: input.outcome,
    actorId: input.actorId !== undefined ? input.actorId : (caller?.userId ?? null),
    resourceType: input.resourceType ?? null,
    resourceId: input.resourceId ?? null,
    requestId: caller?.requestId ?? null,
    ip: caller?.ip ?? null,
    userAgent: caller?.userAgent ?? null,
    metadata: input.metadata ?? null,
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
