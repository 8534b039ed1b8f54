import { bigserial, index, integer, jsonb, pgSchema, smallint, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';

export const securitySchema = pgSchema('security');

// Append-only: a trigger (in the migration) refuses UPDATE and DELETE.
export const auditEvents = securitySchema.table(
  'audit_events',
  {
    seq: bigserial('seq', { mode: 'number' }).primaryKey(),
    id: uuid('id').notNull(),
    occurredAt: timestamp('occurred_at', { withTimezone: true }).notNull(),
    receivedAt: timestamp('received_at', { withTimezone: true }).notNull().defaultNow(),
    service: text('service').notNull(),
    action: text('action').notNull(),
    outcome: text('outcome').notNull(),
    actorId: uuid('actor_id'),
    resourceType: text('resource_type'),
    resourceId: text('resource_id'),
    requestId: text('request_id'),
    ip: text('ip'),
    userAgent: text('user_agent'),
    metadata: jsonb('metadata').$type<Record<string, unknown>>(),
    prevHash: text('prev_hash').notNull(),
    hash: text('hash').notNull(),
    /**
     * 1: the hash covers ip, userAgent and metadata themselves (records from before erasure existed).
     * 2: it covers personalDigest, a salted commitment to them, so they can be erased (services/audit-erasure.ts).
     */
    hashVersion: smallint('hash_version').notNull().default(1),
    personalDigest: text('personal_digest'),
    /** Destroyed with ip, userAgent and metadata when the record is erased: the digest alone then proves nothing about them. */
    personalSalt: text('personal_salt'),
    erasedAt: timestamp('erased_at', { withTimezone: true }),
  },
  (t) => [
    uniqueIndex('audit_events_id_key').on(t.id),
    index('audit_events_resource_idx').on(t.resourceId, t.seq),
    index('audit_events_occurred_idx').on(t.occurredAt),
    index('audit_events_action_idx').on(t.action, t.seq),
    index('audit_events_actor_idx').on(t.actorId, t.seq),
  ],
);

export const securityAlerts = securitySchema.table(
  'security_alerts',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    type: text('type').notNull(),
    severity: text('severity').notNull(),
    description: text('description').notNull(),
    sourceIp: text('source_ip'),
    userId: uuid('user_id'),
    dedupKey: text('dedup_key').notNull(),
    /** Kind and subject (an address, else an account): events of one group within the window join one open alert. */
    groupKey: text('group_key'),
    /** How many events this alert stands for. */
    count: integer('count').notNull().default(1),
    lastSeenAt: timestamp('last_seen_at', { withTimezone: true }).notNull().defaultNow(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    acknowledgedAt: timestamp('acknowledged_at', { withTimezone: true }),
    acknowledgedBy: uuid('acknowledged_by'),
  },
  (t) => [
    uniqueIndex('security_alerts_dedup_key').on(t.dedupKey),
    index('security_alerts_created_idx').on(t.createdAt, t.id),
    index('security_alerts_group_idx').on(t.groupKey, t.lastSeenAt),
  ],
);

/** Audit records the security subgraph could not store as sent, each kept with its reason, never retried. */
export const auditDeadLetters = securitySchema.table(
  'audit_dead_letters',
  {
    seq: bigserial('seq', { mode: 'number' }).primaryKey(),
    /** The record's id when it had a readable one. */
    recordId: text('record_id'),
    /** The service whose signature the batch carried. */
    sender: text('sender').notNull(),
    /** A short stable code (metrics label) and the reason in words. */
    code: text('code').notNull(),
    reason: text('reason').notNull(),
    /** The record as received, as JSON text (escaped, so NUL and lone surrogates survive), clipped. */
    payload: text('payload').notNull(),
    receivedAt: timestamp('received_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('audit_dead_letters_received_idx').on(t.receivedAt)],
);

/** Accounts erased at their owner's request: their records are erased now and as they arrive from any outbox later. */
export const erasedSubjects = securitySchema.table('erased_subjects', {
  subjectId: uuid('subject_id').primaryKey(),
  erasedAt: timestamp('erased_at', { withTimezone: true }).notNull().defaultNow(),
});

export type AuditEventRow = typeof auditEvents.$inferSelect;
export type SecurityAlertRow = typeof securityAlerts.$inferSelect;
export type AuditDeadLetterRow = typeof auditDeadLetters.$inferSelect;
