import { sql } from 'drizzle-orm';
import { check, index, integer, jsonb, pgTable, primaryKey, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { createdAt, id, updatedAt } from './columns';
import { tenants } from './identity';

export const INVITATION_BATCH_OPS = ['resend', 'revoke'] as const;
export type InvitationBatchOp = (typeof INVITATION_BATCH_OPS)[number];
export const INVITATION_BATCH_STATUSES = ['queued', 'running', 'done', 'failed'] as const;
export type InvitationBatchStatus = (typeof INVITATION_BATCH_STATUSES)[number];
export const INVITATION_BATCH_ITEM_OUTCOMES = ['resent', 'revoked', 'skipped'] as const;
export type InvitationBatchItemOutcome = (typeof INVITATION_BATCH_ITEM_OUTCOMES)[number];
/** Why an item was skipped: registered or removed meanwhile, nothing open to revoke, or no longer in the admin's reach. */
export const INVITATION_SKIP_REASONS = ['not_invited', 'nothing_to_revoke', 'gone', 'not_allowed'] as const;
export type InvitationSkipReason = (typeof INVITATION_SKIP_REASONS)[number];

/** What the admin chose: checked rows, or every invitation matching the console's filter at that moment. */
export type InvitationBatchSelection = { kind: 'ids' } | { kind: 'filter'; state: string | null; q: string | null };

/**
 * A bulk resend or revoke from the invitation console. The request saves the batch and its items
 * (one per member), the worker (`invitation.bulk`, workers/invitations.ts) works through the items
 * in chunks, each chunk one transaction with its effects, audit and counters: a crash or retry
 * resumes with the items not yet done, and no item is done twice.
 */
export const invitationBatches = pgTable(
  'invitation_batches',
  {
    id: id(),
    tenantId: uuid('tenant_id')
      .notNull()
      .references(() => tenants.id, { onDelete: 'cascade' }),
    op: text('op', { enum: INVITATION_BATCH_OPS }).notNull(),
    /** Who asked (a record, like the audit log's actor: no foreign key); the worker acts as them, re-checked per chunk. */
    createdByUserId: uuid('created_by_user_id').notNull(),
    createdByLabel: text('created_by_label').notNull(),
    selection: jsonb('selection').$type<InvitationBatchSelection>().notNull(),
    status: text('status', { enum: INVITATION_BATCH_STATUSES }).notNull().default('queued'),
    total: integer('total').notNull(),
    processed: integer('processed').notNull().default(0),
    /** Items resent or revoked. */
    succeeded: integer('succeeded').notNull().default(0),
    skipped: integer('skipped').notNull().default(0),
    /** Why the batch stopped (failed): a message key under `invitations.batch.errors`. */
    error: text('error'),
    startedAt: timestamp('started_at', { withTimezone: true }),
    finishedAt: timestamp('finished_at', { withTimezone: true }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    index('invitation_batches_tenant_created_idx').on(t.tenantId, t.createdAt.desc()),
    // Batches with work left (the worker's sweep after Redis lost a job).
    index('invitation_batches_open_idx').on(t.createdAt).where(sql`${t.status} in ('queued', 'running')`),
    check('invitation_batches_op_ck', sql`${t.op} in ('resend', 'revoke')`),
    check('invitation_batches_status_ck', sql`${t.status} in ('queued', 'running', 'done', 'failed')`),
    check('invitation_batches_counts_ck', sql`${t.processed} >= 0 and ${t.processed} <= ${t.total} and ${t.succeeded} + ${t.skipped} = ${t.processed}`),
  ],
);

/** One member of a batch; `outcome` stays null until the worker has done it. */
export const invitationBatchItems = pgTable(
  'invitation_batch_items',
  {
    batchId: uuid('batch_id')
      .notNull()
      .references(() => invitationBatches.id, { onDelete: 'cascade' }),
    /** No foreign key: a member removed meanwhile is reported as skipped ("gone"). */
    memberId: uuid('member_id').notNull(),
    outcome: text('outcome', { enum: INVITATION_BATCH_ITEM_OUTCOMES }),
    skipReason: text('skip_reason', { enum: INVITATION_SKIP_REASONS }),
    processedAt: timestamp('processed_at', { withTimezone: true }),
  },
  (t) => [
    primaryKey({ name: 'invitation_batch_items_pk', columns: [t.batchId, t.memberId] }),
    // The items left to do, in order: each chunk reads the next ones without passing over the done.
    index('invitation_batch_items_pending_idx').on(t.batchId, t.memberId).where(sql`${t.outcome} is null`),
    check('invitation_batch_items_outcome_ck', sql`${t.outcome} is null or ${t.outcome} in ('resent', 'revoked', 'skipped')`),
    check(
      'invitation_batch_items_reason_ck',
      sql`(${t.outcome} = 'skipped') = (${t.skipReason} is not null) and (${t.skipReason} is null or ${t.skipReason} in ('not_invited', 'nothing_to_revoke', 'gone', 'not_allowed'))`,
    ),
  ],
);
