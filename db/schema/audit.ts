import { sql } from 'drizzle-orm';
import { bigserial, index, jsonb, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';

/**
 * Append-only record of every change: who, when, what, before → after.
 * No foreign keys: the log is history and outlives what it names (the labels keep it readable), and
 * an append must not check and lock the rows it names; a large import appends two events per user.
 */
export const auditEvents = pgTable(
  'audit_events',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    /** Null for platform-level events (tenant created or deleted). */
    tenantId: uuid('tenant_id'),
    actorUserId: uuid('actor_user_id'),
    /** Kept so the log stays readable after the actor is gone. */
    actorLabel: text('actor_label').notNull(),
    action: text('action').notNull(),
    targetType: text('target_type').notNull(),
    targetId: text('target_id'),
    targetLabel: text('target_label').notNull().default(''),
    /** idPaths of the orgs the change touched: org admins see events inside their subtree. */
    orgIdPaths: text('org_id_paths').array().notNull().default(sql`'{}'::text[]`),
    before: jsonb('before'),
    after: jsonb('after'),
    importId: uuid('import_id'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index('audit_events_tenant_created_idx').on(t.tenantId, t.createdAt.desc()),
    index('audit_events_tenant_actor_idx').on(t.tenantId, t.actorUserId, t.createdAt.desc()),
    index('audit_events_tenant_target_idx').on(t.tenantId, t.targetType, t.targetId),
    index('audit_events_tenant_action_idx').on(t.tenantId, t.action, t.createdAt.desc()),
    // (import_id, id): an import's events in order, read by keyset (lib/import/invite.ts).
    index('audit_events_import_idx').on(t.importId, t.id).where(sql`${t.importId} is not null`),
  ],
);
