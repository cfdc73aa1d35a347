import { sql } from 'drizzle-orm';
import { boolean, check, index, integer, json, jsonb, pgTable, primaryKey, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import type { ColumnKey, Entity } from '@/lib/import/columns';
import { bytea, createdAt, id, updatedAt } from './columns';
import { tenants, users } from './identity';

export const IMPORT_OPERATIONS = ['upsert', 'delete'] as const;
export const IMPORT_STATUSES = [
  'uploaded', // stored, waiting for the planner
  'planning',
  'planned', // preview ready: waiting for the admin to apply or discard
  'queued', // apply requested, waiting for its turn in the tenant's line
  'applying',
  'completed',
  'failed',
  'cancelled',
  'discarded',
] as const;
export const ROW_OUTCOMES = ['created', 'updated', 'unchanged', 'deleted', 'not_found', 'error'] as const;
export type ImportOperation = (typeof IMPORT_OPERATIONS)[number];
export type ImportStatus = (typeof IMPORT_STATUSES)[number];
export type RowOutcome = (typeof ROW_OUTCOMES)[number];

export type ImportHeaders = Partial<Record<Entity, { labels: string[]; columns: (ColumnKey | null)[] }>>;

/** One uploaded file and its lifecycle. The file itself is kept here, not on local disk. */
export const imports = pgTable(
  'imports',
  {
    id: id(),
    tenantId: uuid('tenant_id')
      .notNull()
      .references(() => tenants.id, { onDelete: 'cascade' }),
    uploadedByUserId: uuid('uploaded_by_user_id').references(() => users.id, { onDelete: 'set null' }),
    operation: text('operation', { enum: IMPORT_OPERATIONS }).notNull(),
    status: text('status', { enum: IMPORT_STATUSES }).notNull().default('uploaded'),
    fileName: text('file_name').notNull(),
    fileSize: integer('file_size').notNull(),
    fileContent: bytea('file_content').notNull(),
    locale: text('locale', { enum: ['en', 'ja'] }).notNull().default('en'),
    totalRows: integer('total_rows').notNull().default(0),
    processedRows: integer('processed_rows').notNull().default(0),
    /**
     * The stored plan's rows up to this seq took effect as planned, without an outcome of their own
     * (rewriting every wide import row was a tenth of the apply): lib/import/row-outcome.ts reads them.
     */
    appliedThroughSeq: integer('applied_through_seq'),
    /** Counts per outcome, e.g. {"created": 10, "error": 2}. */
    counts: jsonb('counts').$type<Partial<Record<RowOutcome, number>>>().notNull().default({}),
    errorMessage: text('error_message'),
    /** A file-level refusal, translated when shown: `imports.fileErrors.<key>` with its params. */
    errorKey: text('error_key'),
    errorParams: jsonb('error_params').$type<Record<string, string | number>>(),
    /** Each sheet's header row as uploaded and the column each cell maps to (null: an extra column, ignored). */
    headers: jsonb('headers').$type<ImportHeaders>().notNull().default({}),
    /** Counts per planned outcome (the preview); `counts` holds the applied ones. */
    plannedCounts: jsonb('planned_counts').$type<Partial<Record<RowOutcome, number>>>().notNull().default({}),
    /** `web` (the import screens) or `api` (POST /api/v1/imports). */
    source: text('source', { enum: ['web', 'api'] }).notNull().default('web'),
    /** Apply as soon as the plan is ready (the API's `apply=auto`). */
    autoApply: boolean('auto_apply').notNull().default(false),
    applyRequestedAt: timestamp('apply_requested_at', { withTimezone: true }),
    /** When the "import finished" email was queued, so it goes once. */
    notifiedAt: timestamp('notified_at', { withTimezone: true }),
    /**
     * lib/import/snapshot planDigest of what the preview was planned against: an apply that finds the
     * tenant the same applies the stored plan batch by batch instead of planning the file again.
     */
    planDigest: text('plan_digest'),
    /**
     * When the invitations of the members this import created were issued (lib/import/invite.ts, after
     * the apply): null while the `import.invite` job still has work, so the sweep rings it again.
     */
    invitationsIssuedAt: timestamp('invitations_issued_at', { withTimezone: true }),
    cancelRequestedAt: timestamp('cancel_requested_at', { withTimezone: true }),
    startedAt: timestamp('started_at', { withTimezone: true }),
    finishedAt: timestamp('finished_at', { withTimezone: true }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    index('imports_tenant_created_idx').on(t.tenantId, t.createdAt),
    index('imports_tenant_status_idx').on(t.tenantId, t.status),
    check('imports_operation_ck', sql`${t.operation} in ('upsert', 'delete')`),
    check(
      'imports_status_ck',
      sql`${t.status} in ('uploaded', 'planning', 'planned', 'queued', 'applying', 'completed', 'failed', 'cancelled', 'discarded')`,
    ),
    check('imports_progress_ck', sql`${t.processedRows} between 0 and ${t.totalRows}`),
  ],
);

/** Every data row of an import: the values as uploaded, the plan, and the applied outcome. */
export const importRows = pgTable(
  'import_rows',
  {
    importId: uuid('import_id')
      .notNull()
      .references(() => imports.id, { onDelete: 'cascade' }),
    entity: text('entity', { enum: ['organization', 'user'] }).notNull(),
    rowNumber: integer('row_number').notNull(),
    /** Apply order computed by the planner (parents before children, etc.). */
    seq: integer('seq').notNull(),
    /** The row's cells as uploaded, in sheet column order (extra columns included): the results workbook repeats them. */
    cells: text('cells').array().notNull().default(sql`'{}'::text[]`),
    /** The recognised columns' values, normalised (half-width, trimmed), by column key. */
    values: jsonb('values').$type<Partial<Record<ColumnKey, string>>>().notNull(),
    plannedOutcome: text('planned_outcome', { enum: ROW_OUTCOMES }),
    /**
     * The field changes, `old → new`. json, not jsonb: it is only ever stored and read whole (never
     * queried into), and jsonb's conversion to text was a third of the cost of reading a batch's rows
     * back for the apply.
     */
    changes: json('changes').$type<Record<string, { from: unknown; to: unknown }>>(),
    outcome: text('outcome', { enum: ROW_OUTCOMES }),
    messageKey: text('message_key'),
    messageParams: jsonb('message_params').$type<Record<string, string | number>>(),
    appliedAt: timestamp('applied_at', { withTimezone: true }),
  },
  (t) => [
    primaryKey({ name: 'import_rows_pk', columns: [t.importId, t.entity, t.rowNumber] }),
    index('import_rows_seq_idx').on(t.importId, t.seq),
    check('import_rows_entity_ck', sql`${t.entity} in ('organization', 'user')`),
  ],
);
