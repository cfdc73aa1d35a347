import { and, asc, eq, inArray, isNull, sql } from 'drizzle-orm';
import type { Db } from '@/db/client';
import { importRows, imports, tenants, type ImportStatus, type RowOutcome } from '@/db/schema';
import { loadActor, type Actor } from '@/lib/actor';
import { adminScope, type AdminScope } from '@/lib/authz';
import { sendEmail, deliverQueuedEmails } from '@/lib/email/send';
import { env } from '@/lib/env';
import { fullCounts, LARGE_IMPORT_ROWS, ring } from '@/lib/imports';
import { applyBatch } from './apply';
import type { Operation } from './columns';
import { ImportFileError } from './errors';
import { planImport, type ImportRowInput, type PlannedRow } from './plan';
import { readImportFile } from './read';
import { loadExternalUsers, loadTenantSnapshot, planDigest, type TenantSnapshot } from './snapshot';

/*
 * The worker's side of an import (SPEC 3.5 "Apply in the background"): `import.plan` and
 * `import.apply` jobs call these with an import id; the database holds all state, so a job can
 * run twice, late, or after a crash, and do the right thing.
 *
 * Plan: read the stored file, plan it against a snapshot of the tenant, store every row with its
 * planned outcome (multi-row inserts of ROW_CHUNK rows), status planned (or queued for `apply=auto`).
 *
 * Apply, one import at a time per tenant:
 * - Claim under a per-tenant advisory lock: an import already `applying` is resumed; a `queued`
 *   one starts only when none of the tenant applies and it is first in line (applyRequestedAt).
 * - Re-plan the rows not applied yet against a FRESH snapshot (the tenant may have changed since
 *   the preview; a resumed run sees what its earlier batches did), then apply in seq order, in
 *   batches of `batchSize` rows, each ONE transaction that writes the changes (lib/import/apply.ts),
 *   the rows' outcomes and the import's processedRows and counts together. A crash loses at most
 *   the batch in flight, which rolled back: resuming starts at the first row without an outcome,
 *   so no row is applied twice.
 * - Exclusive without trusting Redis: each batch locks the import row and checks processedRows is
 *   what this run expects; a second runner of the same import (a duplicated job) stops there.
 * - Cancel (cancelRequestedAt) is honoured between batches; what was applied stays.
 * - When an import finishes, the next in the tenant's line is rung, the uploader of a large import
 *   gets an email, and the `invitation.import` job invites the members it created (lib/import/invite.ts).
 */

/** Rows per INSERT/UPDATE statement of import_rows (a few MB of JSON each). */
const ROW_CHUNK = 5_000;

export interface RunOptions {
  /** Aborted when the worker stops: the apply returns between batches and resumes on restart. */
  signal?: AbortSignal;
  /** Rows per apply transaction; default IMPORT_BATCH_ROWS (5,000). */
  batchSize?: number;
  log?: (line: string) => void;
  /** Called after each committed batch (tests pause or kill here). */
  onBatch?: (processedRows: number) => void | Promise<void>;
}

type ImportRecord = typeof imports.$inferSelect;

async function loadImportRecord(db: Db, importId: string, withFile = false) {
  const [row] = await db
    .select({
      id: imports.id,
      tenantId: imports.tenantId,
      tenantSlug: tenants.slug,
      tenantName: tenants.name,
      uploadedByUserId: imports.uploadedByUserId,
      operation: imports.operation,
      status: imports.status,
      fileName: imports.fileName,
      fileContent: withFile ? imports.fileContent : sql<Buffer>`null`,
      locale: imports.locale,
      totalRows: imports.totalRows,
      processedRows: imports.processedRows,
      counts: imports.counts,
      autoApply: imports.autoApply,
      cancelRequestedAt: imports.cancelRequestedAt,
      notifiedAt: imports.notifiedAt,
      planDigest: imports.planDigest,
    })
    .from(imports)
    .innerJoin(tenants, eq(tenants.id, imports.tenantId))
    .where(eq(imports.id, importId))
    .limit(1);
  return row ?? null;
}
type LoadedImport = NonNullable<Awaited<ReturnType<typeof loadImportRecord>>>;

/** The uploader acting in the tenant with their current scope, or null when they may no longer import. */
async function uploaderOf(db: Db, imp: LoadedImport): Promise<{ actor: Actor; scope: AdminScope } | null> {
  if (!imp.uploadedByUserId) return null;
  const actor = await loadActor(db, imp.uploadedByUserId, { tenantSlug: imp.tenantSlug });
  if (!actor) return null;
  const scope = await adminScope(db, actor);
  return scope.kind === 'none' ? null : { actor, scope };
}

async function fail(db: Db, importId: string, key: string, params: Record<string, string | number> = {}): Promise<void> {
  await db
    .update(imports)
    .set({ status: 'failed', errorKey: key, errorParams: params, finishedAt: new Date(), updatedAt: new Date() })
    .where(and(eq(imports.id, importId), inArray(imports.status, ['uploaded', 'planning', 'queued', 'applying'])));
}

// ---------------------------------------------------------------------------------------------
// Plan

interface ReadRow extends ImportRowInput {
  cells: string[];
}

/** The `import.plan` job. */
export async function runPlan(db: Db, importId: string, options: RunOptions = {}): Promise<void> {
  const log = options.log ?? (() => {});
  const [claimed] = await db
    .update(imports)
    .set({ status: 'planning', updatedAt: new Date() })
    .where(and(eq(imports.id, importId), inArray(imports.status, ['uploaded', 'planning'])))
    .returning({ id: imports.id });
  if (!claimed) return; // discarded, or planned already
  const imp = (await loadImportRecord(db, importId, true))!;
  const who = await uploaderOf(db, imp);
  if (!who) return fail(db, importId, 'imports.errors.uploaderGone');

  const started = Date.now();
  const rows: ReadRow[] = [];
  const headers: ImportRecord['headers'] = {};
  try {
    for await (const event of readImportFile(imp.fileContent, imp.fileName, imp.operation as Operation)) {
      if (event.type === 'sheet') headers[event.entity] = { labels: event.labels, columns: event.columns };
      else rows.push({ entity: event.entity, rowNumber: event.rowNumber, values: event.values, cells: event.cells });
    }
  } catch (err) {
    if (err instanceof ImportFileError) return fail(db, importId, err.messageKey, err.params);
    throw err;
  }
  const read = Date.now();
  const snapshot = await loadTenantSnapshot(db, imp.tenantId);
  const externalUsers = await loadExternalUsers(db, imp.tenantId, emailsOf(rows));
  const plan = planImport({ snapshot, operation: imp.operation as Operation, rows, actor: who.actor, scope: who.scope, externalUsers });
  const planned = Date.now();

  const stored = await db.transaction(async (tx) => {
    const [current] = await tx.select({ status: imports.status }).from(imports).where(eq(imports.id, importId)).for('update');
    if (current?.status !== 'planning') return false; // discarded meanwhile
    await tx.delete(importRows).where(eq(importRows.importId, importId));
    for (let i = 0; i < rows.length; i += ROW_CHUNK) {
      const chunk = rows.slice(i, i + ROW_CHUNK).map((row, j) => {
        const p = plan.rows[i + j]!;
        return {
          entity: row.entity,
          row_number: row.rowNumber,
          seq: p.seq,
          cells: row.cells,
          values: row.values,
          planned_outcome: p.outcome,
          changes: Object.keys(p.changes).length > 0 ? p.changes : null,
          message_key: p.messageKey ?? null,
          message_params: p.messageParams ?? null,
        };
      });
      await tx.execute(sql`
        insert into ${importRows} (import_id, entity, row_number, seq, cells, values, planned_outcome, changes, message_key, message_params)
        select ${importId}::uuid, x.entity, x.row_number, x.seq, x.cells, x.values, x.planned_outcome, x.changes, x.message_key, x.message_params
        from jsonb_to_recordset(${JSON.stringify(chunk)}::jsonb) as x(entity text, row_number int, seq int, cells text[], values jsonb,
          planned_outcome text, changes jsonb, message_key text, message_params jsonb)`);
    }
    const next: ImportStatus = imp.autoApply ? 'queued' : 'planned';
    await tx
      .update(imports)
      .set({
        status: next,
        headers,
        totalRows: rows.length,
        plannedCounts: plan.counts,
        planDigest: planDigest(snapshot, who.actor.userId, who.scope),
        applyRequestedAt: imp.autoApply ? new Date() : null,
        updatedAt: new Date(),
      })
      .where(eq(imports.id, importId));
    return true;
  });
  log(`planned import ${importId}: ${rows.length} rows (read ${read - started} ms, plan ${planned - read} ms, store ${Date.now() - planned} ms)`);
  if (stored && imp.autoApply) await ring('import.apply', importId);
}

function emailsOf(rows: readonly ImportRowInput[]): string[] {
  const emails: string[] = [];
  for (const row of rows) if (row.entity === 'user' && row.values.email) emails.push(row.values.email);
  return emails;
}

// ---------------------------------------------------------------------------------------------
// Apply

/** Serialises the claim of a tenant's line (transaction-scoped advisory lock). */
function lockTenantLine(tenantId: string) {
  return sql`select pg_advisory_xact_lock(hashtextextended(${`tenantry.import-line:${tenantId}`}, 0))`;
}

type Claim = 'run' | 'wait' | 'done';

async function claim(db: Db, imp: LoadedImport): Promise<Claim> {
  return db.transaction(async (tx) => {
    await tx.execute(lockTenantLine(imp.tenantId));
    const [current] = await tx.select({ status: imports.status }).from(imports).where(eq(imports.id, imp.id));
    if (current?.status === 'applying') return 'run';
    if (current?.status !== 'queued') return 'done';
    const [first] = await tx
      .select({ id: imports.id, status: imports.status })
      .from(imports)
      .where(and(eq(imports.tenantId, imp.tenantId), inArray(imports.status, ['queued', 'applying'])))
      .orderBy(sql`${imports.status} = 'applying' desc`, asc(imports.applyRequestedAt), asc(imports.id))
      .limit(1);
    if (first?.id !== imp.id) return 'wait';
    await tx
      .update(imports)
      .set({ status: 'applying', startedAt: sql`coalesce(${imports.startedAt}, now())`, updatedAt: new Date() })
      .where(eq(imports.id, imp.id));
    return 'run';
  });
}

/** Rings the first import in the tenant's line (the applying one, else the first queued). */
export async function ringTenantLine(db: Db, tenantId: string): Promise<void> {
  const [first] = await db
    .select({ id: imports.id })
    .from(imports)
    .where(and(eq(imports.tenantId, tenantId), inArray(imports.status, ['queued', 'applying'])))
    .orderBy(sql`${imports.status} = 'applying' desc`, asc(imports.applyRequestedAt), asc(imports.id))
    .limit(1);
  if (first) await ring('import.apply', first.id);
}

/** The `import.apply` job. */
export async function runApply(db: Db, importId: string, options: RunOptions = {}): Promise<void> {
  const log = options.log ?? (() => {});
  const batchSize = options.batchSize ?? env().IMPORT_BATCH_ROWS;
  const imp = await loadImportRecord(db, importId);
  if (!imp) return;
  const claimed = await claim(db, imp);
  if (claimed === 'done') return ringTenantLine(db, imp.tenantId);
  if (claimed === 'wait') return; // the one applying rings us when it finishes
  if (imp.cancelRequestedAt) return finish(db, imp, 'cancelled');
  const who = await uploaderOf(db, imp);
  if (!who) {
    await fail(db, importId, 'imports.errors.uploaderGone');
    return ringTenantLine(db, imp.tenantId);
  }

  const started = Date.now();
  const snapshot = await loadTenantSnapshot(db, imp.tenantId);
  // The tenant as the preview saw it (nothing changed since, and nothing of this import applied
  // yet): the stored plan holds, and is read batch by batch. Otherwise plan the rest again.
  const stored = imp.processedRows === 0 && imp.planDigest !== null && planDigest(snapshot, who.actor.userId, who.scope) === imp.planDigest;
  const batches = stored ? storedBatches(db, importId, batchSize) : await replannedBatches(db, imp, who, snapshot, batchSize);
  log(`applying import ${importId}: ${imp.totalRows - imp.processedRows} rows left of ${imp.totalRows}, ${stored ? 'the stored plan' : 'planned again'} (${Date.now() - started} ms)`);

  let processed = imp.processedRows;
  const counts = fullCounts(imp.counts);
  const invitations: string[] = [];
  for await (const batch of batches) {
    if (options.signal?.aborted) return deliver(invitations, importId, log); // resumed by the sweep when the worker starts again
    const result = await db.transaction(async (tx) => {
      const [current] = await tx
        .select({ status: imports.status, processedRows: imports.processedRows, cancelRequestedAt: imports.cancelRequestedAt })
        .from(imports)
        .where(eq(imports.id, importId))
        .for('update');
      if (current?.status !== 'applying' || current.processedRows !== processed) return 'stop' as const;
      if (current.cancelRequestedAt) return 'cancel' as const;
      const { emailMessageIds } = await applyBatch(tx, { importId, actor: who.actor, snapshot, rows: batch });
      await recordOutcomes(tx, importId, batch, stored);
      for (const { planned } of batch) counts[planned.outcome as RowOutcome] += 1;
      await tx
        .update(imports)
        .set({ processedRows: processed + batch.length, counts, updatedAt: new Date() })
        .where(eq(imports.id, importId));
      return emailMessageIds;
    });
    if (result === 'stop') return deliver(invitations, importId, log);
    if (result === 'cancel') {
      await deliver(invitations, importId, log);
      return finish(db, imp, 'cancelled');
    }
    processed += batch.length;
    invitations.push(...result);
    await options.onBatch?.(processed);
  }
  log(`applied import ${importId}: ${processed - imp.processedRows} rows in ${Date.now() - started} ms`);
  await deliver(invitations, importId, log);
  await finish(db, imp, 'completed');
}

/**
 * Rings the email worker for the invitations an apply queued. Once the apply is done, not per
 * batch: rendering and sending would take the cores the apply needs. The messages are committed
 * with their batch, so a crash before this leaves them to the email sweep.
 */
async function deliver(messageIds: string[], importId: string, log: (line: string) => void): Promise<void> {
  await deliverQueuedEmails(messageIds).catch((err: unknown) => log(`invitations of import ${importId} left to the email sweep: ${(err as Error).message}`));
}

type BatchRow = { input: ImportRowInput; planned: PlannedRow };

/** The stored plan in seq order, `size` rows at a time: only one batch is in memory. */
async function* storedBatches(db: Db, importId: string, size: number): AsyncGenerator<BatchRow[]> {
  for (let after = 0; ; ) {
    const rows = await db
      .select({
        entity: importRows.entity,
        rowNumber: importRows.rowNumber,
        seq: importRows.seq,
        values: importRows.values,
        outcome: importRows.plannedOutcome,
        changes: importRows.changes,
        messageKey: importRows.messageKey,
        messageParams: importRows.messageParams,
      })
      .from(importRows)
      .where(and(eq(importRows.importId, importId), sql`${importRows.seq} > ${after}`))
      .orderBy(asc(importRows.seq))
      .limit(size);
    if (rows.length === 0) return;
    after = rows[rows.length - 1]!.seq;
    yield rows.map((r) => ({
      input: { entity: r.entity, rowNumber: r.rowNumber, values: r.values },
      planned: {
        entity: r.entity,
        rowNumber: r.rowNumber,
        seq: r.seq,
        outcome: r.outcome!,
        changes: (r.changes ?? {}) as PlannedRow['changes'],
        ...(r.messageKey ? { messageKey: r.messageKey } : {}),
        ...(r.messageParams ? { messageParams: r.messageParams } : {}),
      },
    }));
  }
}

/** The rows not applied yet, planned again against `snapshot` (the tenant changed, or a run resumes), in batches. */
async function replannedBatches(db: Db, imp: LoadedImport, who: { actor: Actor; scope: AdminScope }, snapshot: TenantSnapshot, size: number): Promise<BatchRow[][]> {
  const remaining: ImportRowInput[] = await db
    .select({ entity: importRows.entity, rowNumber: importRows.rowNumber, values: importRows.values })
    .from(importRows)
    .where(and(eq(importRows.importId, imp.id), isNull(importRows.outcome)))
    .orderBy(asc(importRows.seq));
  const externalUsers = await loadExternalUsers(db, imp.tenantId, emailsOf(remaining));
  const plan = planImport({ snapshot, operation: imp.operation as Operation, rows: remaining, actor: who.actor, scope: who.scope, externalUsers });
  const order = plan.rows.map((planned, i) => ({ input: remaining[i]!, planned })).sort((a, b) => a.planned.seq - b.planned.seq);
  const batches: BatchRow[][] = [];
  for (let i = 0; i < order.length; i += size) batches.push(order.slice(i, i + size));
  return batches;
}

/**
 * Each row's applied outcome, message and changes. A batch of the stored plan took effect as
 * planned: its rows' planned columns are the outcome (one statement, nothing sent). A re-planned
 * batch sends its rows' new plan, one statement per chunk.
 */
async function recordOutcomes(tx: Db, importId: string, batch: BatchRow[], asStored: boolean): Promise<void> {
  if (asStored) {
    await tx.execute(sql`
      update ${importRows} set outcome = planned_outcome, applied_at = now()
      where import_id = ${importId}::uuid and seq between ${batch[0]!.planned.seq} and ${batch[batch.length - 1]!.planned.seq}`);
    return;
  }
  for (let i = 0; i < batch.length; i += ROW_CHUNK) {
    const chunk = batch.slice(i, i + ROW_CHUNK).map(({ planned }) => ({
      entity: planned.entity,
      row_number: planned.rowNumber,
      outcome: planned.outcome,
      changes: Object.keys(planned.changes).length > 0 ? planned.changes : null,
      message_key: planned.messageKey ?? null,
      message_params: planned.messageParams ?? null,
    }));
    await tx.execute(sql`
      update ${importRows} r
      set outcome = x.outcome, changes = x.changes, message_key = x.message_key, message_params = x.message_params, applied_at = now()
      from jsonb_to_recordset(${JSON.stringify(chunk)}::jsonb) as x(entity text, row_number int, outcome text, changes jsonb, message_key text, message_params jsonb)
      where r.import_id = ${importId}::uuid and r.entity = x.entity and r.row_number = x.row_number`);
  }
}

/** Ends an import (completed or cancelled), emails the uploader of a large one, rings the next in line. */
async function finish(db: Db, imp: LoadedImport, status: 'completed' | 'cancelled'): Promise<void> {
  const messageId = await db.transaction(async (tx) => {
    const [row] = await tx
      .update(imports)
      .set({ status, finishedAt: new Date(), updatedAt: new Date() })
      .where(and(eq(imports.id, imp.id), inArray(imports.status, ['queued', 'applying'])))
      .returning();
    if (!row || row.totalRows < LARGE_IMPORT_ROWS || row.notifiedAt || !imp.uploadedByUserId) return null;
    return notifyUploader(tx, imp, row);
  });
  if (messageId) await deliverQueuedEmails([messageId]).catch(() => {}); // the email sweep retries
  await ring('invitation.import', imp.id);
  await ringTenantLine(db, imp.tenantId);
}

async function notifyUploader(tx: Db, imp: LoadedImport, row: ImportRecord): Promise<string | null> {
  const who = imp.uploadedByUserId ? await loadActor(tx, imp.uploadedByUserId) : null;
  if (!who) return null;
  await tx.update(imports).set({ notifiedAt: new Date() }).where(eq(imports.id, imp.id));
  return sendEmail(tx, {
    to: who.email,
    template: 'import-finished',
    locale: row.locale,
    tenantId: imp.tenantId,
    idempotencyKey: `import-finished-${imp.id}`,
    props: {
      tenantName: imp.tenantName,
      fileName: row.fileName,
      status: row.status as 'completed' | 'cancelled',
      operation: row.operation,
      totalRows: row.totalRows,
      processedRows: row.processedRows,
      counts: fullCounts(row.counts),
      resultsUrl: new URL(`/t/${imp.tenantSlug}/imports/${imp.id}`, env().APP_URL).toString(),
    },
  });
}

/** A job that gave up (its last attempt failed): the import fails with a generic message, and the line moves on. */
export async function failAfterRetries(db: Db, importId: string): Promise<void> {
  await fail(db, importId, 'imports.errors.workerFailed');
  await ring('invitation.import', importId); // for the batches it applied
  const imp = await loadImportRecord(db, importId);
  if (imp) await ringTenantLine(db, imp.tenantId);
}

/**
 * Rings every import with work ahead (plan or apply), for when Redis lost their jobs (a restart
 * without persistence) or an enqueue failed. Harmless otherwise: job ids are deterministic, and a
 * run that finds nothing to do returns.
 */
export async function sweepImports(db: Db): Promise<number> {
  const rows = await db
    .select({ id: imports.id, status: imports.status, tenantId: imports.tenantId })
    .from(imports)
    .where(inArray(imports.status, ['uploaded', 'planning', 'queued', 'applying']));
  const tenantsInLine = new Set<string>();
  for (const row of rows) {
    if (row.status === 'uploaded' || row.status === 'planning') await ring('import.plan', row.id);
    else tenantsInLine.add(row.tenantId);
  }
  for (const tenantId of tenantsInLine) await ringTenantLine(db, tenantId);
  return rows.length;
}
