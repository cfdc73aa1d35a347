import { setImmediate } from 'node:timers/promises';
import { and, asc, eq, inArray, sql } from 'drizzle-orm';
import { type Database, type Db, executePrepared } from '@/db/client';
import { importRows, imports, tenants, type ImportStatus, type RowOutcome } from '@/db/schema';
import { loadActor, type Actor } from '@/lib/actor';
import { adminScope, type AdminScope } from '@/lib/authz';
import { sendEmail, deliverQueuedEmails } from '@/lib/email/send';
import { env } from '@/lib/env';
import { fullCounts, LARGE_IMPORT_ROWS, ring } from '@/lib/imports';
import { APPLY_VALUE_KEYS, type ApplyValueKey, applyBatch } from './apply';
import type { Operation } from './columns';
import { copyFrom, IMPORT_ROW_COPY_COLUMNS, importRowLine } from './copy-rows';
import { ImportFileError } from './errors';
import { planImport, planRows, type ImportRowInput, type PlannedEntry, type PlannedOutcome, type PlannedRow } from './plan';
import { readImportFile } from './read';
import { ReadRows } from './read-rows';
import { isApplied } from './row-outcome';
import { type ExternalUser, loadExternalUsers, loadTenantSnapshot, planDigest, type TenantSnapshot } from './snapshot';

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
 *   the rows' outcomes (for the stored plan: how far it took effect, lib/import/row-outcome) and
 *   the import's processedRows and counts together. A crash loses at most the batch in flight,
 *   which rolled back: resuming starts at the first row not applied, so no row is applied twice.
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
      appliedThroughSeq: imports.appliedThroughSeq,
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

/** The `import.plan` job. */
export async function runPlan(db: Db, importId: string, options: RunOptions = {}): Promise<void> {
  const log = options.log ?? (() => {});
  const [claimed] = await db
    .update(imports)
    .set({ status: 'planning', updatedAt: new Date() })
    .where(and(eq(imports.id, importId), inArray(imports.status, ['uploaded', 'planning'])))
    .returning({ id: imports.id });
  if (!claimed) return; // discarded, or planned already
  const imp = (await loadImportRecord(db, importId))!;
  const who = await uploaderOf(db, imp);
  if (!who) return fail(db, importId, 'imports.errors.uploaderGone');

  const started = Date.now();
  let file: { rows: ReadRows; headers: ImportRecord['headers'] };
  try {
    file = await readStoredFile(db, imp);
  } catch (err) {
    if (err instanceof ImportFileError) return fail(db, importId, err.messageKey, err.params);
    throw err;
  }
  const { rows, headers } = file;
  const read = Date.now();
  const snapshot = await loadTenantSnapshot(db, imp.tenantId);
  const externalUsers = await externalUsersOf(db, imp.tenantId, rows);
  const plan = planRows({ snapshot, operation: imp.operation as Operation, rows, actor: who.actor, scope: who.scope, externalUsers });
  const prepared = Date.now();

  // One transaction: the rows go in through COPY as the planner decides them (a piece of text of
  // a few KB in memory at a time, never the plan of the whole file), then the import's status;
  // nothing is visible until both are there.
  const timing = { planMs: 0 };
  const counts: Record<PlannedOutcome, number> = { created: 0, updated: 0, unchanged: 0, deleted: 0, not_found: 0, error: 0 };
  const stored = await poolOf(db).begin(async (tx) => {
    const [current] = await tx<{ status: ImportStatus }[]>`select status from imports where id = ${importId}::uuid for update`;
    if (current?.status !== 'planning') return false; // discarded meanwhile
    await tx`delete from import_rows where import_id = ${importId}::uuid`;
    await copyFrom(tx, `copy import_rows (${IMPORT_ROW_COPY_COLUMNS}) from stdin`, copyChunks(importId, rows, plan, counts, timing));
    // Fresh statistics for the rows just stored (this transaction's ANALYZE counts them): without
    // them the preview's pages and the apply's keyset read may be planned as a scan and sort of
    // every row (seen: a fifth of the apply's time). Before the status says planned, so an apply
    // asked for at once does not share the cores with it.
    await tx`analyze import_rows`;
    const next: ImportStatus = imp.autoApply ? 'queued' : 'planned';
    await tx`
      update imports
      set status = ${next}, headers = ${JSON.stringify(headers)}::jsonb, total_rows = ${rows.length}::int,
          planned_counts = ${JSON.stringify(counts)}::jsonb, plan_digest = ${planDigest(snapshot, who.actor.userId, who.scope)},
          apply_requested_at = ${imp.autoApply ? tx`clock_timestamp()` : null}, updated_at = clock_timestamp()
      where id = ${importId}::uuid`;
    return true;
  });
  const planMs = prepared - read + Math.round(timing.planMs);
  log(`planned import ${importId}: ${rows.length} rows (read ${read - started} ms, plan ${planMs} ms, store ${Date.now() - read - planMs} ms)`);
  if (stored && imp.autoApply) await ring('import.apply', importId);
}

/**
 * The stored file read into compact rows (lib/import/read-rows.ts) and each sheet's header. The
 * file's bytes are loaded here, apart from the import, so they are garbage once it is read.
 */
async function readStoredFile(db: Db, imp: LoadedImport): Promise<{ rows: ReadRows; headers: ImportRecord['headers'] }> {
  const content = await loadFileContent(db, imp.id);
  const rows = new ReadRows();
  const headers: ImportRecord['headers'] = {};
  for await (const event of readImportFile(content, imp.fileName, imp.operation as Operation)) {
    if (event.type === 'sheet') {
      headers[event.entity] = { labels: event.labels, columns: event.columns };
      rows.sheet(event);
    } else {
      rows.add(event);
    }
  }
  return { rows, headers };
}

/** Bytes of the stored file per query. */
const FILE_PIECE_BYTES = 1024 * 1024;

/**
 * The stored file's bytes, a piece at a time. In one piece, postgres.js would hold the whole
 * value as hex text three times over (the message, a string, its slice) on top of the bytes: about
 * 7 times the file at once, 140 MB for a 20 MB file.
 */
async function loadFileContent(db: Db, importId: string): Promise<Buffer> {
  const [size] = await db.select({ bytes: sql<number>`octet_length(${imports.fileContent})` }).from(imports).where(eq(imports.id, importId));
  const content = Buffer.alloc(size!.bytes);
  for (let offset = 0; offset < content.length; offset += FILE_PIECE_BYTES) {
    const [piece] = await db
      .select({ bytes: sql<Buffer>`substring(${imports.fileContent} from ${offset + 1}::int for ${FILE_PIECE_BYTES}::int)` })
      .from(imports)
      .where(eq(imports.id, importId));
    piece!.bytes.copy(content, offset);
  }
  return content;
}

/**
 * Emails per loadExternalUsers query: its lists and query text for 100,000 at once took ≈33 MB of
 * heap. Not fewer: each query reads the whole users table (10,000 a query took 2.7 s for 200,000
 * users of a 200,000-member tenant, 50,000 0.75 s, all at once 0.37 s).
 */
const EXTERNAL_USERS_CHUNK = 50_000;

/** loadExternalUsers for the file's emails, a chunk at a time. */
async function externalUsersOf(db: Db, tenantId: string, rows: ReadRows): Promise<Map<string, ExternalUser>> {
  const found = new Map<string, ExternalUser>();
  let emails: string[] = [];
  const load = async () => {
    for (const [key, user] of await loadExternalUsers(db, tenantId, emails)) found.set(key, user);
    emails = [];
  };
  for (const email of rows.emails()) {
    emails.push(email);
    if (emails.length >= EXTERNAL_USERS_CHUNK) await load();
  }
  if (emails.length > 0) await load();
  return found;
}

/** COPY text is sent in pieces of about this many characters. */
const COPY_PIECE_CHARS = 32 * 1024;

/**
 * The planner's rows as import_rows COPY text, in apply order, a piece at a time: the stream pulls
 * the next piece only when the last one is written, so the planner waits for PostgreSQL. Between
 * pieces the event loop gets a turn (the socket's write callbacks alone would keep it busy to the
 * end, and the job's lock is renewed by a timer). Counts the outcomes, and the time spent in the
 * planner itself.
 */
async function* copyChunks(
  importId: string,
  rows: ReadRows,
  plan: Iterator<PlannedEntry, void>,
  counts: Record<PlannedOutcome, number>,
  timing: { planMs: number },
): AsyncGenerator<string> {
  let lines: string[] = [];
  let length = 0;
  for (;;) {
    const t = performance.now();
    const next = plan.next();
    timing.planMs += performance.now() - t;
    if (next.done) break;
    const { index, planned } = next.value;
    counts[planned.outcome]++;
    const { cells, values } = rows.row(index);
    const line = importRowLine(importId, cells, values, planned);
    lines.push(line);
    length += line.length;
    if (length >= COPY_PIECE_CHARS) {
      yield lines.join('');
      lines = [];
      length = 0;
      await setImmediate();
    }
  }
  if (lines.length > 0) yield lines.join('');
}

/** postgres.js itself, for COPY: the plan job stores in a transaction of its own on the pool. */
function poolOf(db: Db): Database['$client'] {
  if (!('$client' in db)) throw new Error('runPlan takes the pool, not a transaction: it stores the plan in a transaction of its own');
  return db.$client;
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
  // One run per import: a duplicated job (or a retry while the first still runs) leaves at once.
  const unlock = await lockRun(db as Database, importId);
  if (!unlock) return;
  try {
    await applyRun(db, imp, who, batchSize, options, log);
  } finally {
    await unlock();
  }
}

type BatchRow = { input: ImportRowInput; planned: PlannedRow };

/** How a batch's transaction ended: committed with the import's new processedRows, or rolled back. */
type BatchEnd = { kind: 'applied'; processed: number; emailMessageIds: string[] } | { kind: 'stop' | 'cancel' };

/** Thrown inside a batch's transaction to roll it back (the import was cancelled, or is not where this run thinks). */
class BatchRollback extends Error {
  constructor(readonly kind: 'stop' | 'cancel') {
    super(kind);
  }
}

async function applyRun(db: Db, imp: LoadedImport, who: { actor: Actor; scope: AdminScope }, batchSize: number, options: RunOptions, log: (line: string) => void) {
  const started = Date.now();
  const snapshot = await loadTenantSnapshot(db, imp.tenantId);
  // The tenant as the preview saw it (nothing changed since, and nothing of this import applied
  // yet): the stored plan holds, and is read batch by batch. Otherwise plan the rest again.
  const stored = imp.processedRows === 0 && imp.planDigest !== null && planDigest(snapshot, who.actor.userId, who.scope) === imp.planDigest;
  const batches = stored ? storedBatches(db, imp.id, batchSize) : await replannedBatches(db, imp, who, snapshot, batchSize);
  const keepCreated = await repeatedEmails(db, imp.id);
  log(`applying import ${imp.id}: ${imp.totalRows - imp.processedRows} rows left of ${imp.totalRows}, ${stored ? 'the stored plan' : 'planned again'} (${Date.now() - started} ms)`);

  /**
   * One batch, one transaction: the writes, the rows' outcomes, then the import row, locked last.
   * A batch applied alongside the one before it waits there for that one to end, so batches commit
   * in order and each checks the count the previous one left.
   */
  const applyOne = async (batch: BatchRow[], expected: number, onWalked: () => void, before: Promise<unknown> | undefined): Promise<BatchEnd> => {
    try {
      return await db.transaction(async (tx) => {
        const { emailMessageIds } = await applyBatch(tx, { importId: imp.id, actor: who.actor, snapshot, rows: batch, onWalked, keepCreated });
        if (!stored) await recordOutcomes(tx, imp.id, batch);
        await before?.catch(noop); // the batch before this one has committed or rolled back
        const [current] = await tx
          .select({ status: imports.status, processedRows: imports.processedRows, cancelRequestedAt: imports.cancelRequestedAt, counts: imports.counts })
          .from(imports)
          .where(eq(imports.id, imp.id))
          .for('update');
        if (current?.status !== 'applying' || current.processedRows !== expected) throw new BatchRollback('stop');
        if (current.cancelRequestedAt) throw new BatchRollback('cancel');
        const counts = fullCounts(current.counts);
        for (const { planned } of batch) counts[planned.outcome as RowOutcome] += 1;
        await tx
          .update(imports)
          .set({
            processedRows: expected + batch.length,
            counts,
            // A stored plan's batch took effect as planned: its rows' outcomes are their planned ones (lib/import/row-outcome).
            ...(stored ? { appliedThroughSeq: batch[batch.length - 1]!.planned.seq } : {}),
            updatedAt: new Date(),
          })
          .where(eq(imports.id, imp.id));
        return { kind: 'applied' as const, processed: expected + batch.length, emailMessageIds };
      });
    } catch (err) {
      if (err instanceof BatchRollback) return { kind: err.kind };
      throw err;
    }
  };

  // Two batches at a time when they are independent (PostgreSQL then works on both cores): the
  // next starts once this one's walk has updated the snapshot, and commits after it.
  let processed = imp.processedRows;
  let expected = processed;
  const emails: string[] = [];
  const inFlight: { end: Promise<BatchEnd>; keys: Set<string> | null }[] = [];
  let ended = null as 'stop' | 'cancel' | 'aborted' | null;
  /** Waits for the oldest batch in flight; false when the run must end. */
  const settle = async (): Promise<boolean> => {
    const end = await inFlight[0]!.end;
    inFlight.shift();
    if (end.kind !== 'applied') {
      ended = end.kind;
      return false;
    }
    processed = end.processed;
    emails.push(...end.emailMessageIds);
    await options.onBatch?.(processed);
    return true;
  };
  try {
    for await (const batch of batches) {
      if (options.signal?.aborted) {
        ended = 'aborted'; // resumed by the sweep when the worker starts again
        break;
      }
      const keys = independenceKeys(batch);
      if (inFlight.length > 0 && !independent(keys, inFlight.at(-1)!.keys) && !(await settle())) break;
      let walked!: () => void;
      const walk = new Promise<void>((resolve) => (walked = resolve));
      const end = applyOne(batch, expected, walked, inFlight.at(-1)?.end);
      inFlight.push({ end, keys });
      expected += batch.length;
      await Promise.race([walk, end.then(noop, noop)]);
      if (inFlight.length > 1 && !(await settle())) break;
    }
    // The batches still in flight: settled in order; after a stop or cancel they roll back.
    while (inFlight.length > 0) {
      if (ended === 'stop' || ended === 'cancel') await inFlight.shift()!.end.catch(noop);
      else await settle();
    }
  } catch (err) {
    for (const { end } of inFlight) await end.catch(noop);
    await deliver(emails, imp.id, log);
    throw err;
  }
  await deliver(emails, imp.id, log);
  if (ended === 'stop' || ended === 'aborted') return;
  if (ended === 'cancel') return finish(db, imp, 'cancelled');
  log(`applied import ${imp.id}: ${processed - imp.processedRows} rows in ${Date.now() - started} ms`);
  await finish(db, imp, 'completed');
}

const noop = () => undefined;

/**
 * What a batch touches, for applying it beside the one before: the emails of its user rows. null
 * when it must run alone: it changes orgs (the tree lock, and users of later batches rely on them)
 * or removes people.
 */
function independenceKeys(batch: BatchRow[]): Set<string> | null {
  const keys = new Set<string>();
  for (const { input, planned } of batch) {
    if (planned.outcome !== 'created' && planned.outcome !== 'updated') continue;
    if (planned.entity !== 'user') return null;
    keys.add((input.values.email ?? '').toLowerCase());
  }
  return keys;
}

function independent(a: Set<string> | null, b: Set<string> | null): boolean {
  if (!a || !b) return false;
  for (const key of a) if (b.has(key)) return false;
  return true;
}

/** Holds the import's run lock (a session advisory lock on a connection of its own) until the returned function is called; null when another run holds it. */
async function lockRun(db: Database, importId: string): Promise<(() => Promise<void>) | null> {
  const conn = await db.$client.reserve();
  const key = `tenantry.import-run:${importId}`;
  try {
    const [row] = await conn<{ locked: boolean }[]>`select pg_try_advisory_lock(hashtextextended(${key}, 0)) as locked`;
    if (row?.locked) {
      return async () => {
        await conn`select pg_advisory_unlock(hashtextextended(${key}, 0))`.catch(() => undefined);
        conn.release();
      };
    }
  } catch (err) {
    conn.release();
    throw err;
  }
  conn.release();
  return null;
}

/**
 * Rings the email worker for the "added to TENANT" emails an apply queued (invitations come after
 * it: lib/import/invite.ts). Once the apply is done, not per
 * batch: rendering and sending would take the cores the apply needs. The messages are committed
 * with their batch, so a crash before this leaves them to the email sweep.
 */
async function deliver(messageIds: string[], importId: string, log: (line: string) => void): Promise<void> {
  await deliverQueuedEmails(messageIds).catch((err: unknown) => log(`emails of import ${importId} left to the email sweep: ${(err as Error).message}`));
}

/**
 * The lower-cased emails of the import's user rows that occur more than once (a person in several
 * orgs). Counted here, not with GROUP BY lower(…): the snapshot's keys are String#toLowerCase, which
 * PostgreSQL's lower() does not match for every non-ASCII letter.
 */
async function repeatedEmails(db: Db, importId: string): Promise<Set<string>> {
  const rows = await db
    .select({ email: sql<string>`${importRows.values} ->> 'email'` })
    .from(importRows)
    .where(and(eq(importRows.importId, importId), eq(importRows.entity, 'user')));
  const seen = new Set<string>();
  const repeated = new Set<string>();
  for (const { email } of rows) {
    const key = (email ?? '').toLowerCase();
    if (seen.has(key)) repeated.add(key);
    else seen.add(key);
  }
  return repeated;
}

/**
 * The stored plan in seq order, `size` rows at a time: only one batch is in memory. Each row brings
 * what applyBatch reads of it: the cells that find its org or person (APPLY_VALUE_KEYS, not the
 * whole row as JSON) and, when it takes effect, its changes; as raw rows of a prepared statement,
 * not through drizzle's mapping of each field. (Whole rows parsed, and mapped field by field, took
 * ≈ 0.7 of the worker's ≈ 4 core-seconds in a 100,000-row apply.)
 */
async function* storedBatches(db: Db, importId: string, size: number): AsyncGenerator<BatchRow[]> {
  type Row = { entity: ImportRowInput['entity']; row_number: number; seq: number; outcome: PlannedOutcome; changes: PlannedRow['changes'] | null } & Record<
    ApplyValueKey,
    string | null
  >;
  const cells = sql.raw(APPLY_VALUE_KEYS.map((key) => `"values" ->> '${key}' as "${key}"`).join(', '));
  for (let after = 0; ; ) {
    const rows = await executePrepared<Row>(
      db,
      sql`select entity, row_number, seq, planned_outcome as outcome,
                 case when planned_outcome in ('created', 'updated', 'deleted') then changes end as changes, ${cells}
          from import_rows where import_id = ${importId} and seq > ${after}
          order by seq limit ${size}`,
    );
    if (rows.length === 0) return;
    after = rows[rows.length - 1]!.seq;
    yield rows.map((r) => {
      const values: ImportRowInput['values'] = {};
      for (const key of APPLY_VALUE_KEYS) {
        const value = r[key];
        if (value !== null) values[key] = value;
      }
      return {
        input: { entity: r.entity, rowNumber: r.row_number, values },
        planned: { entity: r.entity, rowNumber: r.row_number, seq: r.seq, outcome: r.outcome, changes: r.changes ?? {} },
      };
    });
  }
}

/** The rows not applied yet, planned again against `snapshot` (the tenant changed, or a run resumes), in batches. */
async function replannedBatches(db: Db, imp: LoadedImport, who: { actor: Actor; scope: AdminScope }, snapshot: TenantSnapshot, size: number): Promise<BatchRow[][]> {
  const remaining: ImportRowInput[] = await db
    .select({ entity: importRows.entity, rowNumber: importRows.rowNumber, values: importRows.values })
    .from(importRows)
    .where(and(eq(importRows.importId, imp.id), sql`not ${isApplied(imp.appliedThroughSeq)}`))
    .orderBy(asc(importRows.seq));
  const externalUsers = await loadExternalUsers(db, imp.tenantId, emailsOf(remaining));
  const plan = planImport({ snapshot, operation: imp.operation as Operation, rows: remaining, actor: who.actor, scope: who.scope, externalUsers });
  const order = plan.rows.map((planned, i) => ({ input: remaining[i]!, planned })).sort((a, b) => a.planned.seq - b.planned.seq);
  const batches: BatchRow[][] = [];
  for (let i = 0; i < order.length; i += size) batches.push(order.slice(i, i + size));
  return batches;
}

/**
 * The applied outcome, message and changes of a re-planned batch's rows, one statement per chunk
 * (a stored plan's batch took effect as planned: see lib/import/row-outcome).
 */
async function recordOutcomes(tx: Db, importId: string, batch: BatchRow[]): Promise<void> {
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
      .returning(FINISHED_COLUMNS); // not the stored file, which would come back whole (hex: ≈ 7× its size in memory)
    if (!row || row.totalRows < LARGE_IMPORT_ROWS || row.notifiedAt || !imp.uploadedByUserId) return null;
    return notifyUploader(tx, imp, row);
  });
  if (messageId) await deliverQueuedEmails([messageId]).catch(() => {}); // the email sweep retries
  await ring('invitation.import', imp.id);
  await ringTenantLine(db, imp.tenantId);
}

const FINISHED_COLUMNS = {
  totalRows: imports.totalRows,
  processedRows: imports.processedRows,
  notifiedAt: imports.notifiedAt,
  locale: imports.locale,
  fileName: imports.fileName,
  status: imports.status,
  operation: imports.operation,
  counts: imports.counts,
};

async function notifyUploader(tx: Db, imp: LoadedImport, row: Pick<ImportRecord, keyof typeof FINISHED_COLUMNS>): Promise<string | null> {
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
