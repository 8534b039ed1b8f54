import { boolean, index, integer, jsonb, pgSchema, text, timestamp, uniqueIndex, uuid, inet } from 'drizzle-orm/pg-core';
import { sql } from 'drizzle-orm';
import type { JWK } from 'jose';
import { auditOutboxTable } from '@palisade/kit';

export const usersSchema = pgSchema('users');

export const users = usersSchema.table(
  'users',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    // Stored normalised (trimmed, lower-cased) so uniqueness is case-insensitive.
    email: text('email').notNull(),
    displayName: text('display_name').notNull(),
    passwordHash: text('password_hash').notNull(),
    roles: text('roles').array().notNull().default(['CUSTOMER']),
    emailVerified: boolean('email_verified').notNull().default(false),
    active: boolean('active').notNull().default(true),
    // TOTP secrets: the confirmed one, and one being enrolled until its first code proves the authenticator.
    totpSecret: text('totp_secret'),
    totpPendingSecret: text('totp_pending_secret'),
    // Set when the account was deleted at its owner's request: the row stays (orders and audit records refer
    // to the id) with every personal field replaced (services/data-rights.service.ts).
    deletedAt: timestamp('deleted_at', { withTimezone: true }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex('users_email_key').on(t.email), index('users_created_idx').on(t.createdAt, t.id)],
);

export const sessions = usersSchema.table(
  'sessions',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    userId: uuid('user_id').notNull().references(() => users.id),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    lastUsedAt: timestamp('last_used_at', { withTimezone: true }).notNull().defaultNow(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    revokedAt: timestamp('revoked_at', { withTimezone: true }),
    ip: inet('ip'),
    userAgent: text('user_agent'),
  },
  (t) => [index('sessions_user_idx').on(t.userId)],
);

/**
 * Every refresh token a session was ever given, by hash. Only the newest is unrotated; presenting a
 * rotated one means it was copied, so the whole session ends.
 */
export const refreshTokens = usersSchema.table(
  'refresh_tokens',
  {
    hash: text('hash').primaryKey(),
    sessionId: uuid('session_id').notNull().references(() => sessions.id),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    rotatedAt: timestamp('rotated_at', { withTimezone: true }),
  },
  (t) => [index('refresh_tokens_session_idx').on(t.sessionId)],
);

/** Single-use tokens mailed to the user (email verification, password reset); stored as hashes. */
export const actionTokens = usersSchema.table(
  'action_tokens',
  {
    hash: text('hash').primaryKey(),
    userId: uuid('user_id').notNull().references(() => users.id),
    purpose: text('purpose').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    usedAt: timestamp('used_at', { withTimezone: true }),
  },
  (t) => [index('action_tokens_user_idx').on(t.userId, t.purpose)],
);

/**
 * Mail to send, written by the request that asks for it and sent by a background drain, so no request waits
 * on SMTP. A password reset for an address without an account writes its row too (with no user), so both
 * answers do the same work; the drain settles it without sending anything. No token is kept here: the drain
 * issues it when it sends.
 */
export const mailQueue = usersSchema.table(
  'mail_queue',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    kind: text('kind').notNull(),
    userId: uuid('user_id').references(() => users.id),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    attempts: integer('attempts').notNull().default(0),
    // Also a lease: a drain that takes a row moves this ahead, so no other drain sends it meanwhile.
    nextAttemptAt: timestamp('next_attempt_at', { withTimezone: true }).notNull().defaultNow(),
    doneAt: timestamp('done_at', { withTimezone: true }),
    // The notification a 'notification' mail carries (its subject and text are composed when it is stored).
    notificationId: uuid('notification_id'),
  },
  (t) => [index('mail_queue_due_idx').on(t.nextAttemptAt).where(sql`${t.doneAt} is null`), index('mail_queue_done_idx').on(t.doneAt)],
);

export const signingKeys = usersSchema.table('signing_keys', {
  kid: text('kid').primaryKey(),
  alg: text('alg').notNull(),
  privateJwk: jsonb('private_jwk').$type<JWK>().notNull(),
  publicJwk: jsonb('public_jwk').$type<JWK>().notNull(),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  // A retired key signs nothing new but stays in the JWKS until its last token has expired.
  retiredAt: timestamp('retired_at', { withTimezone: true }),
});

/**
 * What a person was told (an order's progress, a low-stock alert for managers), one row per event and person:
 * the unique (event_id, user_id) is what makes a redelivered event a no-op. Keyed by user_id, so a person's
 * export and erasure find theirs.
 */
export const notifications = usersSchema.table(
  'notifications',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    userId: uuid('user_id').notNull(),
    eventId: uuid('event_id').notNull(),
    kind: text('kind').notNull(),
    subject: text('subject').notNull(),
    body: text('body').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    readAt: timestamp('read_at', { withTimezone: true }),
  },
  (t) => [uniqueIndex('notifications_event_user_key').on(t.eventId, t.userId), index('notifications_user_idx').on(t.userId, t.createdAt, t.id)],
);

/** Stream entries the notifier could not read as an event it knows: kept for a person to look at, then acked. */
export const eventDeadLetters = usersSchema.table(
  'event_dead_letters',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    stream: text('stream').notNull(),
    entryId: text('entry_id').notNull(),
    reason: text('reason').notNull(),
    fields: jsonb('fields').$type<Record<string, string>>().notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex('event_dead_letters_entry_key').on(t.stream, t.entryId)],
);

/**
 * An account deletion the other subgraphs have yet to confirm: written with the deletion itself, retried by a
 * job until every subgraph named in `pending` answers that its part is erased, so a deletion made while one is
 * down is finished when it returns, never left half-done in silence.
 */
export const erasures = usersSchema.table('erasures', {
  userId: uuid('user_id').primaryKey(),
  pending: text('pending').array().notNull(),
  requestedAt: timestamp('requested_at', { withTimezone: true }).notNull().defaultNow(),
  attempts: integer('attempts').notNull().default(0),
  nextAttemptAt: timestamp('next_attempt_at', { withTimezone: true }).notNull().defaultNow(),
  doneAt: timestamp('done_at', { withTimezone: true }),
});

export const auditOutbox = auditOutboxTable(usersSchema);

export type UserRow = typeof users.$inferSelect;
export type SessionRow = typeof sessions.$inferSelect;
export type NotificationRow = typeof notifications.$inferSelect;
