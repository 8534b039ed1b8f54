import { boolean, index, jsonb, pgSchema, text, timestamp, uniqueIndex, uuid, inet } from 'drizzle-orm/pg-core';
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
    // Only a hash of the refresh token is kept; the token itself exists only in the client's hands.
    refreshTokenHash: text('refresh_token_hash').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    revokedAt: timestamp('revoked_at', { withTimezone: true }),
    ip: inet('ip'),
    userAgent: text('user_agent'),
  },
  (t) => [uniqueIndex('sessions_refresh_key').on(t.refreshTokenHash), index('sessions_user_idx').on(t.userId)],
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

export const auditOutbox = auditOutboxTable(usersSchema);

export type UserRow = typeof users.$inferSelect;
