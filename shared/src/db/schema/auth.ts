import { index, pgEnum, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { createdAt, id } from './common.ts';

export const apiRole = pgEnum('api_role', ['admin', 'operator', 'viewer']);

/** API keys are stored as SHA-256 hashes; the plaintext is shown once, at creation. */
export const apiKeys = pgTable(
  'api_keys',
  {
    id: id(),
    name: text('name').notNull(),
    /** First characters of the key, to tell keys apart in listings. */
    prefix: text('prefix').notNull(),
    keyHash: text('key_hash').notNull().unique(),
    role: apiRole('role').notNull(),
    createdAt: createdAt(),
    lastUsedAt: timestamp('last_used_at', { withTimezone: true }),
    revokedAt: timestamp('revoked_at', { withTimezone: true }),
  },
  (t) => [index('api_keys_prefix_idx').on(t.prefix)],
);

/**
 * Web UI sessions: an API key signed in through /ui. The cookie carries a random token; only its
 * SHA-256 is stored, so a copy of the meta-store signs nobody in. A session acts with its key's
 * current role and ends with the key (revoked keys' sessions stop at the next request).
 */
export const uiSessions = pgTable(
  'ui_sessions',
  {
    id: id(),
    tokenHash: text('token_hash').notNull().unique(),
    apiKeyId: uuid('api_key_id')
      .notNull()
      .references(() => apiKeys.id, { onDelete: 'cascade' }),
    createdAt: createdAt(),
    lastSeenAt: timestamp('last_seen_at', { withTimezone: true }).notNull().defaultNow(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
  },
  (t) => [index('ui_sessions_api_key_idx').on(t.apiKeyId), index('ui_sessions_expires_idx').on(t.expiresAt)],
);
