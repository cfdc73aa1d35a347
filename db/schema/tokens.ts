import { sql } from 'drizzle-orm';
import { check, foreignKey, index, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { createdAt, id } from './columns';
import { tenantMembers, users } from './identity';

export const TOKEN_KINDS = ['invitation', 'password_reset'] as const;
export type TokenKind = (typeof TOKEN_KINDS)[number];

/**
 * Single-use links (invitation, password reset). Only the SHA-256 of the random token is
 * stored; the token itself exists only in the email.
 */
export const userTokens = pgTable(
  'user_tokens',
  {
    id: id(),
    kind: text('kind', { enum: TOKEN_KINDS }).notNull(),
    tokenHash: text('token_hash').notNull(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    /** Invitations are to a tenant (checked with the member, below); password resets are not. */
    tenantId: uuid('tenant_id'),
    memberId: uuid('member_id'),
    /** Who issued it, as a record (like the audit log's actor): no foreign key to check on bulk invitations. */
    createdByUserId: uuid('created_by_user_id'),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    usedAt: timestamp('used_at', { withTimezone: true }),
    revokedAt: timestamp('revoked_at', { withTimezone: true }),
    /** Set when the email could not be sent (notifications off) so the console can offer "send". */
    emailSentAt: timestamp('email_sent_at', { withTimezone: true }),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex('user_tokens_hash_uq').on(t.tokenHash),
    index('user_tokens_user_kind_idx').on(t.userId, t.kind),
    index('user_tokens_tenant_idx').on(t.tenantId, t.createdAt),
    // A member's latest invitation (user page, invitations view), revoking its open ones, and the
    // member_id foreign key's cascade when a member is removed: each was a scan of the whole table.
    // NULLS FIRST is what ORDER BY … DESC means, so the index serves "newest first" as written.
    index('user_tokens_member_created_idx')
      .on(t.memberId, t.createdAt.desc().nullsFirst(), t.id.desc().nullsFirst())
      .where(sql`${t.memberId} is not null`),
    // An invitation's member is of its tenant; removing the member removes its tokens.
    foreignKey({
      name: 'user_tokens_member_fk',
      columns: [t.tenantId, t.memberId],
      foreignColumns: [tenantMembers.tenantId, tenantMembers.id],
    }).onDelete('cascade'),
    check('user_tokens_kind_ck', sql`${t.kind} in ('invitation', 'password_reset')`),
    check('user_tokens_invitation_tenant_ck', sql`${t.kind} <> 'invitation' or ${t.tenantId} is not null`),
    check('user_tokens_hash_ck', sql`${t.tokenHash} ~ '^[0-9a-f]{64}$'`),
  ],
);
