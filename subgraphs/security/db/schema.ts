import { bigserial, index, jsonb, pgSchema, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';

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
  },
  (t) => [
    uniqueIndex('audit_events_id_key').on(t.id),
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
    // One alert per kind, subject and window, however many events trip it.
    dedupKey: text('dedup_key').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    acknowledgedAt: timestamp('acknowledged_at', { withTimezone: true }),
    acknowledgedBy: uuid('acknowledged_by'),
  },
  (t) => [uniqueIndex('security_alerts_dedup_key').on(t.dedupKey), index('security_alerts_created_idx').on(t.createdAt, t.id)],
);

export type AuditEventRow = typeof auditEvents.$inferSelect;
export type SecurityAlertRow = typeof securityAlerts.$inferSelect;
