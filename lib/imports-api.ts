import { performance } from 'node:perf_hooks';
import { xlsxResponse } from '@/lib/downloads';
import { and, asc, eq, sql } from 'drizzle-orm';
import type { Db } from '@/db/client';
import { importRows, type ImportOperation, type ImportStatus, type RowOutcome } from '@/db/schema';
import type { Actor } from '@/lib/actor';
import { authenticateApiToken } from '@/lib/api-tokens';
import { authorize, type ImportSummary } from '@/lib/authz';
import { DomainError, ForbiddenError, NotFoundError } from '@/lib/errors';
import { negotiateLocale, type Locale } from '@/lib/i18n/config';
import { storedKeyTranslator } from '@/lib/i18n/translate';
import { MAX_FILE_BYTES, OPERATIONS, SHEET_NAMES, type Entity } from '@/lib/import/columns';
import { ImportFileError, type ImportFileErrorKey } from '@/lib/import/errors';
import { columnLabelFor, resultsFileName, rowMessageTranslator, writeResultsWorkbook } from '@/lib/import/results-workbook';
import { cancelImport, discardImport, fullCounts, hasResults, importProgress, listImports, loadImport, requestApply, uploadImport, type ImportProgress } from '@/lib/imports';

/*
 * The import automation API (docs/api.md, issue 5 point 7), for HR systems that feed a daily file:
 *
 *   POST /api/v1/imports                         multipart: file, operation=upsert|delete, apply=preview|auto
 *   GET  /api/v1/imports/{id}                    status, counts, progress, the first error rows
 *   POST /api/v1/imports/{id}/apply              apply a planned (previewed) import
 *   GET  /api/v1/imports/{id}/results.xlsx       the results workbook
 *
 * Framework-free like lib/access-api.ts (a web `Request` in, a `Response` out): the routes are
 * one-liners and the tests run the handlers against their own database.
 *
 * - The token acts as its owner (lib/api-tokens): a tenant admin sees every import of the tenant,
 *   an owner who is now an org admin only the imports they uploaded (others are 404, like unknown
 *   ids and other tenants' imports), and an owner who may not import at all (a plain member) gets
 *   403 on every endpoint.
 * - Order of checks: token (401), the owner's right (403), then the request: media type (415),
 *   size (413, judged from Content-Length before anything is read and again while reading), the
 *   form (400), the file (422); or the import (404) and its state (409).
 * - Language: the import's (its Result words and messages) and the messages of this API's
 *   answers come from Accept-Language: Japanese when it prefers ja, else English. The token
 *   owner's own language setting is not used.
 * - Every answer is JSON with `Cache-Control: no-store`, except the workbook (xlsx, no-store too).
 */

/** The largest request body read: the largest file plus room for the multipart framing and fields. */
export const MAX_IMPORT_REQUEST_BYTES = MAX_FILE_BYTES + 64 * 1024;
/** Error rows listed by GET /api/v1/imports/{id} (the workbook has them all). */
export const API_ERROR_ROWS = 100;
export const API_BASE = '/api/v1/imports';
/** Imports per page of GET /api/v1/imports, by default and at most. */
export const API_LIST_PAGE_SIZE = 20;
export const API_LIST_MAX_PAGE_SIZE = 100;

export type ImportsApiErrorCode =
  | 'unauthorized'
  | 'forbidden'
  | 'invalid_request'
  | 'unsupported_media_type'
  | 'payload_too_large'
  | 'invalid_file'
  | 'not_found'
  | 'not_planned'
  | 'not_cancellable'
  | 'not_discardable'
  | 'not_ready'
  | 'no_results'
  | 'internal_error';

export type ApplyMode = 'preview' | 'auto';
const APPLY_MODES: readonly ApplyMode[] = ['preview', 'auto'];

/** One row that failed, as GET lists it. */
export interface ApiErrorRow {
  /** The template's sheet name for the row's kind (`Organizations` or `Users`; a CSV holds one kind). */
  sheet: string;
  entity: Entity;
  /** The row number in the uploaded sheet or CSV file (the header row counts). */
  row: number;
  /** The kind of problem (`required`, `invalidEmail`, `outsideScope`, …): `importRows.errors.<key>`. */
  key: string | null;
  message: string;
}

/** GET /api/v1/imports/{id} (and the answers of POST, POST …/apply). */
export interface ApiImport {
  id: string;
  url: string;
  fileName: string;
  operation: ImportOperation;
  apply: ApplyMode;
  status: ImportStatus;
  source: 'web' | 'api';
  locale: Locale;
  uploadedBy: string | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  totalRows: number;
  plannedCounts: Record<RowOutcome, number>;
  counts: Record<RowOutcome, number>;
  progress: {
    processedRows: number;
    totalRows: number;
    percent: number;
    rowsPerSecond: number | null;
    secondsLeft: number | null;
  };
  queuePosition: number | null;
  cancelRequested: boolean;
  /** Each sheet the file had and its headers that were ignored (not import columns). */
  sheets: { sheet: string; entity: Entity; ignoredColumns: string[] }[];
  /** Why the whole file failed (refused while planning, or the worker failed), else null. */
  error: { key: string; message: string; params: Record<string, string | number> } | null;
  /** The first API_ERROR_ROWS failed rows, by sheet (organizations first) and row number. */
  errors: ApiErrorRow[];
  links: { self: string; apply: string | null; results: string | null };
}

/** One import as GET /api/v1/imports lists it (GET /api/v1/imports/{id} has the rest). */
export interface ApiImportListItem {
  id: string;
  url: string;
  fileName: string;
  operation: ImportOperation;
  status: ImportStatus;
  source: 'web' | 'api';
  uploadedBy: string | null;
  createdAt: string;
  finishedAt: string | null;
  totalRows: number;
  processedRows: number;
  plannedCounts: Record<RowOutcome, number>;
  counts: Record<RowOutcome, number>;
}

// ---------------------------------------------------------------------------------------------
// Responses

interface Reply {
  json(status: number, body: unknown, headers?: Record<string, string>): Response;
  error(status: number, code: ImportsApiErrorCode, extra?: Record<string, unknown>, headers?: Record<string, string>): Response;
  timing(): string;
}

function replier(): Reply {
  const started = performance.now();
  const timing = () => `app;dur=${(performance.now() - started).toFixed(2)}`;
  const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
    new Response(JSON.stringify(body), {
      status,
      headers: {
        'Content-Type': 'application/json; charset=utf-8',
        'Cache-Control': 'no-store',
        'Server-Timing': timing(),
        ...headers,
      },
    });
  return {
    json,
    error: (status, code, extra = {}, headers) => json(status, { error: code, ...extra }, headers),
    timing,
  };
}


// ---------------------------------------------------------------------------------------------
// Language and messages

/** The language of the answer's messages and of a new import: Japanese when Accept-Language prefers it, else English. */
export function requestLocale(request: Request): Locale {
  return negotiateLocale(request.headers.get('accept-language')) === 'ja' ? 'ja' : 'en';
}

/** The message of a refused file (`importFile.errors.<key>`) in a locale. */
export function fileErrorMessage(locale: Locale, key: ImportFileErrorKey | string, params: Record<string, string | number>): string {
  const full = fullFileErrorKey(key);
  return storedKeyTranslator(locale)(full, params) ?? full;
}

/** Import errors are stored as a full key (`importFile.errors.tooManyRows`, `imports.errors.workerFailed`) or a bare ImportFileErrorKey. */
function fullFileErrorKey(key: string): string {
  return key.includes('.') ? key : `importFile.errors.${key}`;
}

/** The short key a program can branch on: `tooManyRows`, `workerFailed`. */
function shortKey(key: string): string {
  return key.slice(key.lastIndexOf('.') + 1);
}

// ---------------------------------------------------------------------------------------------
// Request checks

type Gate = { ok: true; actor: Actor } | { ok: false; response: Response };

/** The token (401) and the owner's right to import in the token's tenant (403). */
async function gate(db: Db, request: Request, reply: Reply, action: 'import.create' | 'import.view'): Promise<Gate> {
  const header = request.headers.get('authorization');
  const auth = await authenticateApiToken(db, header);
  if (!auth) {
    // RFC 6750: a bare challenge when no token came, `invalid_token` when one did and failed.
    return {
      ok: false,
      response: reply.error(401, 'unauthorized', {}, { 'WWW-Authenticate': header ? 'Bearer error="invalid_token"' : 'Bearer' }),
    };
  }
  try {
    await authorize(db, auth.actor, action, { type: 'tenant', id: auth.tenant.id });
  } catch (err) {
    if (err instanceof ForbiddenError || err instanceof NotFoundError) {
      return { ok: false, response: reply.error(403, 'forbidden', { message: "the token's owner may not import in this tenant" }) };
    }
    throw err;
  }
  return { ok: true, actor: auth.actor };
}

/** The body, read up to `limit` bytes; 'too_large' as soon as it goes past (the rest is never read). */
async function readBounded(request: Request, limit: number): Promise<Buffer<ArrayBuffer> | 'too_large'> {
  if (!request.body) return Buffer.alloc(0);
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > limit) {
      // Not awaited: a client still sending must not hold the answer up.
      reader.cancel().catch(() => {});
      return 'too_large';
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks, total);
}

function tooLarge(reply: Reply): Response {
  return reply.error(413, 'payload_too_large', {
    message: `the request body is larger than ${MAX_IMPORT_REQUEST_BYTES} bytes; files of up to ${MAX_FILE_BYTES / 1024 / 1024} MB can be imported`,
    limitBytes: MAX_IMPORT_REQUEST_BYTES,
  });
}

interface UploadForm {
  file: File;
  operation: ImportOperation;
  apply: ApplyMode;
}

/** The form's fields, or the message of a 400. */
function parseForm(form: FormData): UploadForm | { invalid: string } {
  for (const name of ['file', 'operation', 'apply']) {
    if (form.getAll(name).length > 1) return { invalid: `"${name}" may be given once` };
  }
  const operation = form.get('operation');
  if (operation === null) return { invalid: `"operation" is required: ${OPERATIONS.join(' or ')}` };
  if (typeof operation !== 'string' || !(OPERATIONS as readonly string[]).includes(operation.trim())) {
    return { invalid: `"operation" must be ${OPERATIONS.join(' or ')}` };
  }
  const apply = form.get('apply');
  const applyValue = typeof apply === 'string' ? apply.trim() || 'preview' : apply === null ? 'preview' : null;
  if (applyValue === null || !(APPLY_MODES as readonly string[]).includes(applyValue)) {
    return { invalid: `"apply" must be ${APPLY_MODES.join(' or ')} (default preview)` };
  }
  const file = form.get('file');
  if (file === null) return { invalid: '"file" is required: the .xlsx or .csv file, as a file part' };
  if (typeof file === 'string') return { invalid: '"file" must be sent as a file (a part with a filename), not as a text field' };
  return { file, operation: operation.trim() as ImportOperation, apply: applyValue as ApplyMode };
}

// ---------------------------------------------------------------------------------------------
// The representation of an import

const importUrl = (id: string) => `${API_BASE}/${id}`;

/** The first failed rows (planned or applied outcome `error`), with their messages in `locale`. */
async function errorRows(db: Db, imp: ImportSummary, progress: ImportProgress, locale: Locale): Promise<ApiErrorRow[]> {
  if (progress.plannedCounts.error === 0 && progress.counts.error === 0) return [];
  const rows = await db
    .select({
      entity: importRows.entity,
      rowNumber: importRows.rowNumber,
      messageKey: importRows.messageKey,
      messageParams: importRows.messageParams,
    })
    .from(importRows)
    .where(and(eq(importRows.importId, imp.id), sql`coalesce(${importRows.outcome}, ${importRows.plannedOutcome}) = 'error'`))
    .orderBy(asc(importRows.entity), asc(importRows.rowNumber))
    .limit(API_ERROR_ROWS);
  const message = rowMessageTranslator(locale);
  return rows.map((r) => ({
    sheet: SHEET_NAMES[r.entity].en,
    entity: r.entity,
    row: r.rowNumber,
    key: r.messageKey ? r.messageKey.replace(/^errors\./, '') : null,
    message: message(r.messageKey, r.messageParams, columnLabelFor(imp.headers, r.entity, locale)),
  }));
}

/** The import as the API shows it; NotFoundError when the actor may not see it. */
async function loadApiImport(db: Db, actor: Actor, importId: string, locale: Locale): Promise<ApiImport> {
  const imp = await loadImport(db, actor, importId);
  const progress = await importProgress(db, imp);
  const errors = await errorRows(db, imp, progress, locale);
  const url = importUrl(imp.id);
  return {
    id: progress.id,
    url,
    fileName: progress.fileName,
    operation: progress.operation,
    apply: imp.autoApply ? 'auto' : 'preview',
    status: progress.status,
    source: progress.source,
    locale: progress.locale,
    uploadedBy: progress.uploadedBy,
    createdAt: progress.createdAt,
    startedAt: progress.startedAt,
    finishedAt: progress.finishedAt,
    totalRows: progress.totalRows,
    plannedCounts: progress.plannedCounts,
    counts: progress.counts,
    progress: {
      processedRows: progress.processedRows,
      totalRows: progress.totalRows,
      percent: progress.percent,
      rowsPerSecond: progress.rowsPerSecond,
      secondsLeft: progress.secondsLeft,
    },
    queuePosition: progress.queuePosition,
    cancelRequested: progress.cancelRequested,
    sheets: progress.sheets.map((s) => ({ sheet: SHEET_NAMES[s.entity].en, entity: s.entity, ignoredColumns: s.ignored })),
    error: progress.error
      ? { key: shortKey(progress.error.key), message: fileErrorMessage(locale, progress.error.key, progress.error.params), params: progress.error.params }
      : null,
    errors,
    links: {
      self: url,
      apply: progress.status === 'planned' ? `${url}/apply` : null,
      results: progress.hasResults ? `${url}/results.xlsx` : null,
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Handlers

/** Runs a handler: unexpected errors become 500 (never logging the request's headers: they carry the secret). */
async function guarded(reply: Reply, what: string, run: () => Promise<Response>): Promise<Response> {
  try {
    return await run();
  } catch (err) {
    if (err instanceof NotFoundError) return reply.error(404, 'not_found');
    if (err instanceof ForbiddenError) return reply.error(403, 'forbidden', { message: "the token's owner may not do this" });
    console.error(`imports api: ${what} failed:`, err instanceof Error ? err.message : err);
    return reply.error(500, 'internal_error');
  }
}

/** `POST /api/v1/imports`: uploads a file (multipart `file`, `operation`, `apply`). */
export async function handleCreateImport(db: Db, request: Request): Promise<Response> {
  const reply = replier();
  return guarded(reply, 'upload', async () => {
    const gated = await gate(db, request, reply, 'import.create');
    if (!gated.ok) return gated.response;

    const contentType = request.headers.get('content-type') ?? '';
    if (!/^multipart\/form-data\s*(;|$)/i.test(contentType)) {
      return reply.error(415, 'unsupported_media_type', {
        message: 'send multipart/form-data with the fields file, operation (upsert or delete) and apply (preview or auto)',
      });
    }
    // Judged before reading anything, then again while reading (a chunked body has no length).
    const declared = Number(request.headers.get('content-length') ?? '');
    if (Number.isFinite(declared) && declared > MAX_IMPORT_REQUEST_BYTES) return tooLarge(reply);
    const body = await readBounded(request, MAX_IMPORT_REQUEST_BYTES);
    if (body === 'too_large') return tooLarge(reply);

    let form: FormData;
    try {
      form = await new Response(body, { headers: { 'content-type': contentType } }).formData();
    } catch {
      return reply.error(400, 'invalid_request', { message: 'the body is not valid multipart/form-data' });
    }
    const fields = parseForm(form);
    if ('invalid' in fields) return reply.error(400, 'invalid_request', { message: fields.invalid });

    const locale = requestLocale(request);
    const content = Buffer.from(await fields.file.arrayBuffer());
    let importId: string;
    try {
      ({ importId } = await uploadImport(db, gated.actor, {
        fileName: fields.file.name,
        content,
        operation: fields.operation,
        source: 'api',
        autoApply: fields.apply === 'auto',
        locale,
      }));
    } catch (err) {
      if (err instanceof ImportFileError) {
        return reply.error(422, 'invalid_file', { key: err.key, message: fileErrorMessage(locale, err.key, err.params), params: err.params });
      }
      throw err;
    }
    const created = await loadApiImport(db, gated.actor, importId, locale);
    return reply.json(201, created, { Location: created.url });
  });
}

/** `GET /api/v1/imports/{id}`: the import's status, counts, progress and first error rows. */
export async function handleGetImport(db: Db, request: Request, importId: string): Promise<Response> {
  const reply = replier();
  return guarded(reply, 'status', async () => {
    const gated = await gate(db, request, reply, 'import.view');
    if (!gated.ok) return gated.response;
    return reply.json(200, await loadApiImport(db, gated.actor, importId, requestLocale(request)));
  });
}

/**
 * A change of an import's state (apply, cancel, discard): `change` runs as the token's owner; when
 * it refuses the import's current state (DomainError `refusedCode`), the answer is 409 `error`
 * with `message(status)` and the status, and nothing changed. Else `status` with the import.
 */
async function handleStateChange(
  db: Db,
  request: Request,
  importId: string,
  what: string,
  options: {
    change: (actor: Actor) => Promise<unknown>;
    refusedCode: string;
    error: ImportsApiErrorCode;
    message: (status: ImportStatus) => string;
    status: 200 | 202;
  },
): Promise<Response> {
  const reply = replier();
  return guarded(reply, what, async () => {
    const gated = await gate(db, request, reply, 'import.view');
    if (!gated.ok) return gated.response;
    const locale = requestLocale(request);
    try {
      await options.change(gated.actor);
    } catch (err) {
      if (err instanceof DomainError && err.code === options.refusedCode) {
        const current = await loadApiImport(db, gated.actor, importId, locale);
        return reply.error(409, options.error, { message: options.message(current.status), status: current.status });
      }
      throw err;
    }
    const changed = await loadApiImport(db, gated.actor, importId, locale);
    return reply.json(options.status, changed, options.status === 202 ? { Location: changed.url } : {});
  });
}

/** `POST /api/v1/imports/{id}/apply`: applies a planned import (it joins the tenant's line). */
export async function handleApplyImport(db: Db, request: Request, importId: string): Promise<Response> {
  return handleStateChange(db, request, importId, 'apply', {
    change: (actor) => requestApply(db, actor, importId),
    refusedCode: 'import_not_planned',
    error: 'not_planned',
    message: (status) => `only a planned import can be applied; this one is ${status}`,
    status: 202,
  });
}

/**
 * `POST /api/v1/imports/{id}/cancel`: a queued import is cancelled at once; an applying one stops
 * after the batches on their way (what was applied stays). 409 in any other state.
 */
export async function handleCancelImport(db: Db, request: Request, importId: string): Promise<Response> {
  return handleStateChange(db, request, importId, 'cancel', {
    change: (actor) => cancelImport(db, actor, importId),
    refusedCode: 'import_not_cancellable',
    error: 'not_cancellable',
    message: (status) => `only a queued or applying import can be cancelled; this one is ${status}`,
    status: 202,
  });
}

/** `DELETE /api/v1/imports/{id}`: discards an import not applied yet (its rows go; the history keeps its name and counts). 409 once queued or applied. */
export async function handleDiscardImport(db: Db, request: Request, importId: string): Promise<Response> {
  return handleStateChange(db, request, importId, 'discard', {
    change: (actor) => discardImport(db, actor, importId),
    refusedCode: 'import_not_discardable',
    error: 'not_discardable',
    message: (status) => `only an import being checked or waiting for its preview to be applied can be discarded; this one is ${status}`,
    status: 200,
  });
}

/** A whole number ≥ 1 from a query parameter (`fallback` when absent), or null when it is something else. */
function pageNumber(raw: string | null, fallback: number): number | null {
  if (raw === null || raw === '') return fallback;
  return /^[1-9][0-9]{0,8}$/.test(raw) ? Number(raw) : null;
}

/** `GET /api/v1/imports?page=&pageSize=`: the import history the token's owner may see, newest first. */
export async function handleListImports(db: Db, request: Request): Promise<Response> {
  const reply = replier();
  return guarded(reply, 'list', async () => {
    const gated = await gate(db, request, reply, 'import.view');
    if (!gated.ok) return gated.response;
    const query = new URL(request.url).searchParams;
    const page = pageNumber(query.get('page'), 1);
    const pageSize = pageNumber(query.get('pageSize'), API_LIST_PAGE_SIZE);
    if (page === null || pageSize === null || pageSize > API_LIST_MAX_PAGE_SIZE) {
      return reply.error(400, 'invalid_request', { message: `page and pageSize are whole numbers from 1; pageSize at most ${API_LIST_MAX_PAGE_SIZE}` });
    }
    const { items, total } = await listImports(db, gated.actor, { page, pageSize });
    const pageUrl = (n: number) => `${API_BASE}?page=${n}&pageSize=${pageSize}`;
    return reply.json(200, {
      items: items.map(
        (i): ApiImportListItem => ({
          id: i.id,
          url: importUrl(i.id),
          fileName: i.fileName,
          operation: i.operation,
          status: i.status,
          source: i.source,
          uploadedBy: i.uploadedBy,
          createdAt: i.createdAt.toISOString(),
          finishedAt: i.finishedAt?.toISOString() ?? null,
          totalRows: i.totalRows,
          processedRows: i.processedRows,
          plannedCounts: fullCounts(i.plannedCounts),
          counts: fullCounts(i.counts),
        }),
      ),
      page,
      pageSize,
      total,
      links: { next: page * pageSize < total ? pageUrl(page + 1) : null, prev: page > 1 ? pageUrl(page - 1) : null },
    });
  });
}

/** `GET /api/v1/imports/{id}/results.xlsx`: the uploaded rows with Result and Message (409 before the plan exists). */
export async function handleImportResults(db: Db, request: Request, importId: string): Promise<Response> {
  const reply = replier();
  return guarded(reply, 'results', async () => {
    const gated = await gate(db, request, reply, 'import.view');
    if (!gated.ok) return gated.response;
    const imp = await loadImport(db, gated.actor, importId);
    if (!hasResults(imp)) {
      return imp.status === 'uploaded' || imp.status === 'planning'
        ? reply.error(409, 'not_ready', { message: 'the file is still being checked; try again when its status is planned', status: imp.status })
        : reply.error(409, 'no_results', { message: `this import has no rows to report (it is ${imp.status})`, status: imp.status });
    }
    return xlsxResponse(resultsFileName(imp, 'results'), (output) => writeResultsWorkbook(db, imp, output), { 'server-timing': reply.timing() });
  });
}
