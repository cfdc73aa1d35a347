import { sql } from 'drizzle-orm';
import { check, foreignKey, index, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { createdAt, id } from './columns';
import { tenantMembers, tenants } from './identity';

/**
 * Tenant API tokens for the services and HR systems that rely on Tenantry (`Authorization:
 * Bearer tnt_…`). Only the SHA-256 of the secret is stored; the secret is shown once. A token
 * acts as its owner (a member of the tenant), so it can never do more than the owner can now.
 */
export const apiTokens = pgTable(
  'api_tokens',
  {
    id: id(),
    tenantId: uuid('tenant_id')
      .notNull()
      .references(() => tenants.id, { onDelete: 'cascade' }),
    /** The member the token acts as; removing the member removes their tokens. */
    memberId: uuid('member_id').notNull(),
    name: text('name').notNull(),
    tokenHash: text('token_hash').notNull(),
    /** The first characters of the secret (`tnt_ab12cd34`), so admins can tell tokens apart. */
    prefix: text('prefix').notNull(),
    expiresAt: timestamp('expires_at', { withTimezone: true }),
    lastUsedAt: timestamp('last_used_at', { withTimezone: true }),
    revokedAt: timestamp('revoked_at', { withTimezone: true }),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex('api_tokens_hash_uq').on(t.tokenHash),
    index('api_tokens_tenant_created_idx').on(t.tenantId, t.createdAt),
    foreignKey({
      name: 'api_tokens_member_fk',
      columns: [t.tenantId, t.memberId],
      foreignColumns: [tenantMembers.tenantId, tenantMembers.id],
    }).onDelete('cascade'),
    check('api_tokens_hash_ck', sql`${t.tokenHash} ~ '^[0-9a-f]{64}$'`),
    check('api_tokens_name_ck', sql`length(${t.name}) between 1 and 100`),
  ],
);
