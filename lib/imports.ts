import { and, asc, count, desc, eq, getTableColumns, inArray, lt, or, sql } from 'drizzle-orm';
import { z } from 'zod';
import type { Db } from '@/db/client';
import { importRows, imports, users, type ImportOperation, type ImportStatus, type RowOutcome } from '@/db/schema';
import type { Locale } from '@/db/schema/columns';
import type { Actor } from '@/lib/actor';
import { auditActor, recordAudit } from '@/lib/audit';
import { authorize, type ImportSummary } from '@/lib/authz';
import { DomainError } from '@/lib/errors';
import { ENTITIES, OPERATIONS, type Entity } from '@/lib/import/columns';
import { ImportFileError } from '@/lib/import/errors';
import { readImportFile } from '@/lib/import/read';
import { appliedColumns, appliedOutcome, isApplied } from '@/lib/import/row-outcome';
import type { ImportHeaders } from '@/db/schema';
import { enqueue } from '@/workers/jobs';

/*
 * The lifecycle of a spreadsheet import (SPEC 3.5), as the web side and the API see it:
 *
 *   upload ──► uploaded ──(worker: import.plan)──► planned ──(apply)──► queued ──► applying ──► completed
 *                  │                                  │                   │           │
 *                  └──────────── failed (file refused mid-read)           └─ cancel ──┴──► cancelled
 *                                                     └── discard ──► discarded
 *
 * - Upload reads the whole file once in the request (about a second per 100,000 rows), so a file
 *   that cannot be an import is refused at once and nothing is stored; the worker reads it again
 *   to plan (lib/import/run.ts).
 * - One import applies at a time per tenant: `applyRequestedAt` orders the line, and the worker
 *   claims the first in line under a per-tenant lock (lib/import/run.ts); several tenants import
 *   at once.
 * - Who: import.create on the tenant; everything else is import.view on the import (a tenant
 *   admin: every import of the tenant; an org admin: the imports they uploaded).
 * - Redis is only a doorbell: the database holds each import's state, and the worker's sweep
 *   re-rings for imports whose job Redis lost (lib/import/run.ts `sweepImports`).
 */

export const IMPORT_FILE_NAME_MAX = 255;
/** An import this large emails its uploader when it finishes. */
export const LARGE_IMPORT_ROWS = 1_000;
export const IMPORT_PAGE_SIZE = 20;
export const IMPORT_ROWS_PAGE_SIZE = 50;

export const zImportOperation = z.enum(OPERATIONS, { message: 'imports.errors.operation' });

export interface UploadImportInput {
  fileName: string;
  content: Buffer;
  operation: ImportOperation;
  source?: 'web' | 'api';
  /** Apply as soon as the preview is ready (the API's `apply=auto`). */
  autoApply?: boolean;
  /** The language of the results (Result words, messages): the uploader's. */
  locale: Locale;
}

/** What the request-time read found: rows per entity and the header rows. */
export interface FileInspection {
  totalRows: number;
  rowsByEntity: Partial<Record<Entity, number>>;
  headers: ImportHeaders;
}

/** Reads the whole file without keeping its rows; throws ImportFileError for a file that cannot be an import. */
export async function inspectImportFile(content: Buffer, fileName: string, operation: ImportOperation): Promise<FileInspection> {
  const rowsByEntity: Partial<Record<Entity, number>> = {};
  const headers: ImportHeaders = {};
  let totalRows = 0;
  for await (const event of readImportFile(content, fileName, operation)) {
    if (event.type === 'sheet') {
      headers[event.entity] = { labels: event.labels, columns: event.columns };
    } else {
      totalRows += 1;
      rowsByEntity[event.entity] = (rowsByEntity[event.entity] ?? 0) + 1;
    }
  }
  if (totalRows === 0) throw new ImportFileError('noRows', {});
  return { totalRows, rowsByEntity, headers };
}

/** Stores an uploaded file after reading it through, and rings the planner. Returns the import's id. */
export async function uploadImport(db: Db, actor: Actor, input: UploadImportInput): Promise<{ importId: string }> {
  const tenantId = actor.tenant?.id;
  if (!tenantId) throw new DomainError('forbidden', 'forbidden');
  await authorize(db, actor, 'import.create', { type: 'tenant', id: tenantId });
  const operation = zImportOperation.parse(input.operation);
  const fileName = cleanFileName(input.fileName);
  const inspection = await inspectImportFile(input.content, fileName, operation);
  const importId = await db.transaction(async (tx) => {
    const [row] = await tx
      .insert(imports)
      .values({
        tenantId,
        uploadedByUserId: actor.userId,
        operation,
        status: 'uploaded',
        fileName,
        fileSize: input.content.length,
        fileContent: input.content,
        locale: input.locale,
        totalRows: inspection.totalRows,
        headers: inspection.headers,
        source: input.source ?? 'web',
        autoApply: input.autoApply ?? false,
      })
      .returning({ id: imports.id });
    await recordAudit(tx, {
      tenantId,
      actor: auditActor(actor),
      action: 'import.upload',
      target: { type: 'import', id: row!.id, label: fileName },
      after: { operation, rows: inspection.totalRows, source: input.source ?? 'web', apply: input.autoApply ? 'auto' : 'preview' },
      importId: row!.id,
    });
    return row!.id;
  });
  await ring('import.plan', importId);
  return { importId };
}

/** A file name as shown in the history: the last path segment, control characters out, bounded. */
function cleanFileName(name: string): string {
  // eslint-disable-next-line no-control-regex
  const base = (name.split(/[\\/]/).pop() ?? '').replace(/[\u0000-\u001f\u007f]/g, '').trim();
  return [...(base || 'import')].slice(0, IMPORT_FILE_NAME_MAX).join('');
}

/**
 * Enqueues work for an import. Failure to reach Redis is not the user's problem: the state is in
 * the database and the worker's sweep enqueues it again.
 */
export async function ring(job: 'import.plan' | 'import.apply' | 'invitation.import', importId: string): Promise<void> {
  try {
    await enqueue(job, { importId });
  } catch (err) {
    console.warn(`[imports] could not enqueue ${job} for ${importId} (the worker's sweep will): ${(err as Error).message}`);
  }
}

/**
 * The import, for someone who may see it (import.view: NotFoundError otherwise). Reads and
 * downloads take the import loaded here, so a request authorizes it once.
 */
export async function loadImport(db: Db, actor: Actor, importId: string): Promise<ImportSummary> {
  const { import: row } = await authorize(db, actor, 'import.view', { type: 'import', id: importId });
  return row;
}

/**
 * Whether the import has rows to show and download: its plan was stored (plannedCounts is set
 * with the rows) and not discarded since. A file refused while planning has none.
 */
export function hasResults(imp: Pick<ImportSummary, 'status' | 'plannedCounts'>): boolean {
  return imp.status !== 'discarded' && Object.keys(imp.plannedCounts).length > 0;
}

/** Puts a planned import in its tenant's line; the worker applies it when its turn comes. */
export async function requestApply(db: Db, actor: Actor, importId: string): Promise<void> {
  const row = await loadImport(db, actor, importId);
  await db.transaction(async (tx) => {
    const [updated] = await tx
      .update(imports)
      .set({ status: 'queued', applyRequestedAt: new Date(), updatedAt: new Date() })
      .where(and(eq(imports.id, row.id), eq(imports.status, 'planned')))
      .returning({ id: imports.id });
    if (!updated) throw new DomainError('import_not_planned', 'imports.errors.notPlanned');
    await recordAudit(tx, {
      tenantId: row.tenantId,
      actor: auditActor(actor),
      action: 'import.apply',
      target: { type: 'import', id: row.id, label: row.fileName },
      importId: row.id,
    });
  });
  await ring('import.apply', row.id);
}

/** Drops a preview: the rows go, the history keeps the file's name and counts. */
export async function discardImport(db: Db, actor: Actor, importId: string): Promise<void> {
  const row = await loadImport(db, actor, importId);
  await db.transaction(async (tx) => {
    const [updated] = await tx
      .update(imports)
      .set({ status: 'discarded', finishedAt: new Date(), fileContent: Buffer.alloc(0), updatedAt: new Date() })
      .where(and(eq(imports.id, row.id), inArray(imports.status, ['uploaded', 'planning', 'planned'])))
      .returning({ id: imports.id });
    if (!updated) throw new DomainError('import_not_discardable', 'imports.errors.notDiscardable');
    await tx.delete(importRows).where(eq(importRows.importId, row.id));
    await recordAudit(tx, {
      tenantId: row.tenantId,
      actor: auditActor(actor),
      action: 'import.discard',
      target: { type: 'import', id: row.id, label: row.fileName },
      importId: row.id,
    });
  });
}

/**
 * Cancels an import. Waiting (queued) stops at once; applying stops after the running batch —
 * what was applied stays, and the rows not reached are reported as not applied.
 */
export async function cancelImport(db: Db, actor: Actor, importId: string): Promise<{ status: ImportStatus }> {
  const row = await loadImport(db, actor, importId);
  const status = await db.transaction(async (tx) => {
    const [current] = await tx.select({ status: imports.status }).from(imports).where(eq(imports.id, row.id)).for('update');
    let next: ImportStatus;
    if (current?.status === 'queued') {
      await tx.update(imports).set({ status: 'cancelled', cancelRequestedAt: new Date(), finishedAt: new Date(), updatedAt: new Date() }).where(eq(imports.id, row.id));
      next = 'cancelled';
    } else if (current?.status === 'applying') {
      await tx.update(imports).set({ cancelRequestedAt: sql`coalesce(${imports.cancelRequestedAt}, now())`, updatedAt: new Date() }).where(eq(imports.id, row.id));
      next = 'applying';
    } else {
      throw new DomainError('import_not_cancellable', 'imports.errors.notCancellable');
    }
    await recordAudit(tx, {
      tenantId: row.tenantId,
      actor: auditActor(actor),
      action: 'import.cancel',
      target: { type: 'import', id: row.id, label: row.fileName },
      importId: row.id,
    });
    return next;
  });
  if (status === 'cancelled') await ring('import.apply', row.id); // the next in line may start
  return { status };
}

// ---------------------------------------------------------------------------------------------
// Reading

export type OutcomeCounts = Partial<Record<RowOutcome, number>>;

export interface ImportListItem {
  id: string;
  fileName: string;
  operation: ImportOperation;
  status: ImportStatus;
  source: 'web' | 'api';
  uploadedBy: string | null;
  createdAt: Date;
  finishedAt: Date | null;
  totalRows: number;
  processedRows: number;
  counts: OutcomeCounts;
  plannedCounts: OutcomeCounts;
}

/** The import history: every file of the tenant for its admins, an org admin's own uploads for them; newest first. */
export async function listImports(db: Db, actor: Actor, options: { page?: number; pageSize?: number } = {}): Promise<{ items: ImportListItem[]; total: number }> {
  const tenantId = actor.tenant?.id;
  if (!tenantId) throw new DomainError('forbidden', 'forbidden');
  await authorize(db, actor, 'import.view', { type: 'tenant', id: tenantId });
  const pageSize = options.pageSize ?? IMPORT_PAGE_SIZE;
  const page = Math.max(1, options.page ?? 1);
  const where = and(eq(imports.tenantId, tenantId), actor.isTenantAdmin ? undefined : eq(imports.uploadedByUserId, actor.userId));
  const [items, [totals]] = await Promise.all([
    db
      .select({
        id: imports.id,
        fileName: imports.fileName,
        operation: imports.operation,
        status: imports.status,
        source: imports.source,
        uploadedBy: users.email,
        createdAt: imports.createdAt,
        finishedAt: imports.finishedAt,
        totalRows: imports.totalRows,
        processedRows: imports.processedRows,
        counts: imports.counts,
        plannedCounts: imports.plannedCounts,
      })
      .from(imports)
      .leftJoin(users, eq(users.id, imports.uploadedByUserId))
      .where(where)
      .orderBy(desc(imports.createdAt), desc(imports.id))
      .limit(pageSize)
      .offset((page - 1) * pageSize),
    db.select({ total: count() }).from(imports).where(where),
  ]);
  return { items, total: totals?.total ?? 0 };
}

/** An import's state for its page, the progress poll and the API: JSON-safe. */
export interface ImportProgress {
  id: string;
  fileName: string;
  operation: ImportOperation;
  status: ImportStatus;
  source: 'web' | 'api';
  locale: Locale;
  uploadedBy: string | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  totalRows: number;
  /** Rows applied so far (apply phase). */
  processedRows: number;
  /** 0..100, of the apply. */
  percent: number;
  rowsPerSecond: number | null;
  /** Estimated seconds left of the apply, while it runs. */
  secondsLeft: number | null;
  /** Imports of the tenant ahead of this one in line (queued only). */
  queuePosition: number | null;
  cancelRequested: boolean;
  /** The rows can be shown and the results downloaded (`hasResults`). */
  hasResults: boolean;
  plannedCounts: Record<RowOutcome, number>;
  counts: Record<RowOutcome, number>;
  /** Sheets of the file: the header row, and which headers are ignored (extra columns). */
  sheets: { entity: Entity; labels: string[]; ignored: string[] }[];
  /** A file-level refusal found while planning (`importFile.<key>`), or a failure of the worker. */
  error: { key: string; params: Record<string, string | number> } | null;
}

const ZERO_COUNTS: Record<RowOutcome, number> = { created: 0, updated: 0, unchanged: 0, deleted: 0, not_found: 0, error: 0 };

export function fullCounts(counts: OutcomeCounts | null | undefined): Record<RowOutcome, number> {
  return { ...ZERO_COUNTS, ...(counts ?? {}) };
}

/** The import's progress for someone who may view it (NotFoundError otherwise). */
export async function loadImportProgress(db: Db, actor: Actor, importId: string, now = new Date()): Promise<ImportProgress> {
  return importProgress(db, await loadImport(db, actor, importId), now);
}

/** The progress of an import `loadImport` returned. */
export async function importProgress(db: Db, row: ImportSummary, now = new Date()): Promise<ImportProgress> {
  const [uploader, ahead] = await Promise.all([
    row.uploadedByUserId
      ? db.select({ email: users.email }).from(users).where(eq(users.id, row.uploadedByUserId)).limit(1)
      : Promise.resolve([]),
    row.status === 'queued' ? countAhead(db, row) : Promise.resolve(null),
  ]);
  return progressOf(row, uploader[0]?.email ?? null, ahead, now);
}

/** Queued imports of the tenant in line before this one, plus the one applying. */
async function countAhead(db: Db, row: ImportSummary): Promise<number> {
  const [result] = await db
    .select({ n: count() })
    .from(imports)
    .where(
      and(
        eq(imports.tenantId, row.tenantId),
        or(
          eq(imports.status, 'applying'),
          and(
            eq(imports.status, 'queued'),
            or(lt(imports.applyRequestedAt, row.applyRequestedAt!), and(eq(imports.applyRequestedAt, row.applyRequestedAt!), lt(imports.id, row.id))),
          ),
        ),
      ),
    );
  return result?.n ?? 0;
}

function progressOf(row: ImportSummary, uploadedBy: string | null, queuePosition: number | null, now = new Date()): ImportProgress {
  const elapsed = row.startedAt ? ((row.finishedAt ?? now).getTime() - row.startedAt.getTime()) / 1000 : 0;
  const rate = row.startedAt && elapsed > 0 && row.processedRows > 0 ? row.processedRows / elapsed : null;
  const left = row.totalRows - row.processedRows;
  const sheets = ENTITIES.flatMap((entity) => {
    const h = row.headers[entity];
    return h ? [{ entity, labels: h.labels, ignored: h.labels.filter((label, i) => h.columns[i] === null && label.trim() !== '') }] : [];
  });
  return {
    id: row.id,
    fileName: row.fileName,
    operation: row.operation,
    status: row.status,
    source: row.source,
    locale: row.locale,
    uploadedBy,
    createdAt: row.createdAt.toISOString(),
    startedAt: row.startedAt?.toISOString() ?? null,
    finishedAt: row.finishedAt?.toISOString() ?? null,
    totalRows: row.totalRows,
    processedRows: row.processedRows,
    percent: row.status === 'completed' ? 100 : row.totalRows > 0 ? Math.floor((row.processedRows / row.totalRows) * 100) : 0,
    rowsPerSecond: rate === null ? null : Math.round(rate),
    secondsLeft: row.status === 'applying' && rate ? Math.ceil(left / rate) : null,
    queuePosition,
    cancelRequested: row.cancelRequestedAt !== null,
    hasResults: hasResults(row),
    plannedCounts: fullCounts(row.plannedCounts),
    counts: fullCounts(row.counts),
    sheets,
    error: row.errorKey ? { key: row.errorKey, params: row.errorParams ?? {} } : null,
  };
}

export interface ImportRowView {
  entity: Entity;
  rowNumber: number;
  values: Record<string, string>;
  /** The applied outcome once the apply has reached the row, else the planned one. */
  outcome: RowOutcome | null;
  planned: RowOutcome | null;
  applied: boolean;
  changes: Record<string, { from: unknown; to: unknown }> | null;
  messageKey: string | null;
  messageParams: Record<string, string | number> | null;
}

export const zRowFilter = z.object({
  outcome: z.enum(['created', 'updated', 'unchanged', 'deleted', 'not_found', 'error', 'not_applied']).optional(),
  entity: z.enum(ENTITIES).optional(),
  page: z.coerce.number().int().min(1).max(100_000).default(1),
});
export type RowFilter = z.input<typeof zRowFilter>;

/**
 * The rows of an import `loadImport` returned, by sheet and row number, filtered by outcome (the applied one once the apply
 * has started, else the planned one; `not_applied`: rows an interrupted apply never reached).
 */
export async function listImportRows(
  db: Db,
  row: ImportSummary,
  filter: RowFilter = {},
  pageSize = IMPORT_ROWS_PAGE_SIZE,
): Promise<{ rows: ImportRowView[]; total: number; page: number }> {
  const f = zRowFilter.parse(filter);
  const applyPhase = ['applying', 'completed', 'failed', 'cancelled'].includes(row.status) && row.startedAt !== null;
  const through = row.appliedThroughSeq;
  const effective = applyPhase ? appliedOutcome(through) : importRows.plannedOutcome;
  const where = and(
    eq(importRows.importId, row.id),
    f.entity ? eq(importRows.entity, f.entity) : undefined,
    f.outcome === 'not_applied' ? sql`not ${isApplied(through)}` : f.outcome ? sql`${effective} = ${f.outcome}` : undefined,
  );
  const [rows, [totals]] = await Promise.all([
    db
      .select({ ...getTableColumns(importRows), ...appliedColumns(through) })
      .from(importRows)
      .where(where)
      .orderBy(asc(importRows.entity), asc(importRows.rowNumber))
      .limit(pageSize)
      .offset((f.page - 1) * pageSize),
    db.select({ total: count() }).from(importRows).where(where),
  ]);
  return {
    page: f.page,
    total: totals?.total ?? 0,
    rows: rows.map((r) => ({
      entity: r.entity,
      rowNumber: r.rowNumber,
      values: r.values as Record<string, string>,
      outcome: applyPhase ? r.outcome : r.plannedOutcome,
      planned: r.plannedOutcome,
      applied: r.applied,
      changes: r.changes,
      messageKey: r.messageKey,
      messageParams: r.messageParams,
    })),
  };
}
