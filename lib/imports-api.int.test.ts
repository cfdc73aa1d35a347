import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { closeDb, type Database } from '@/db/client';
import { auditEvents, importRows, imports, tenantMembers, type ImportStatus, type RowOutcome } from '@/db/schema';
import { createTestDatabase, type TestDatabase } from '@/db/testing';
import { createApiToken } from '@/lib/api-tokens';
import { catalogues } from '@/lib/i18n/messages';
import type { ColumnKey, Entity } from '@/lib/import/columns';
import { encodeShiftJis } from '@/lib/import/testing/shift-jis';
import { writeTemplateWorkbook } from '@/lib/import/template';
import { dbFingerprint } from '@/lib/testing/db-fingerprint';
import { actorFor, addImport, addMember, createTenantFixture, type TenantFixture } from '@/lib/testing/fixtures';
import { collect, loadWorkbook, rowTexts } from '@/lib/testing/workbook-fixtures';
import { getQueue } from '@/workers/jobs';
import { tearDownQueues } from '@/workers/testing';
import { GET as listRoute, POST as createRoute } from '@/app/api/v1/imports/route';
import { DELETE as discardRoute, GET as getRoute } from '@/app/api/v1/imports/[importId]/route';
import { POST as applyRoute } from '@/app/api/v1/imports/[importId]/apply/route';
import { POST as cancelRoute } from '@/app/api/v1/imports/[importId]/cancel/route';
import { GET as resultsRoute } from '@/app/api/v1/imports/[importId]/results.xlsx/route';
import {
  API_ERROR_ROWS,
  handleApplyImport,
  handleCancelImport,
  handleCreateImport,
  handleDiscardImport,
  handleGetImport,
  handleImportResults,
  handleListImports,
  MAX_IMPORT_REQUEST_BYTES,
  type ApiImport,
} from './imports-api';

/*
 * The import automation API against real PostgreSQL and Redis (no worker runs here: after an
 * upload the import stays `uploaded`; later states are set up directly in the database). Uploads
 * enqueue their plan job in this file's own BullMQ key space, which the test checks and removes.
 */

// Own BullMQ key space for this file: set before anything reads the environment.
vi.hoisted(() => {
  process.env.QUEUE_PREFIX = `test-imports-api-${process.pid}-${Date.now()}`;
});

let tdb: TestDatabase;
let db: Database;
let seq = 0;
const baseUrl = process.env.DATABASE_URL;
const ORIGIN = 'http://tenantry.test';
const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

interface World {
  ca: TenantFixture;
  other: TenantFixture;
  n: number;
  /** CA tenant admin. */
  admin: { userId: string; token: string; email: string };
  /** A CA token whose owner is now only the administrator of CA__India. */
  orgAdmin: { userId: string; token: string };
  /** A CA token whose owner is now a plain member. */
  memberToken: string;
  /** OTHER's tenant admin. */
  otherToken: string;
}

async function world(): Promise<World> {
  const n = ++seq;
  const ca = await createTenantFixture(db, { slug: `ca${n}`, name: 'CA', orgPaths: ['CA__India', 'CA__US'] });
  const other = await createTenantFixture(db, { slug: `other${n}`, name: 'OTHER' });
  const ta = await addMember(db, ca, { email: `ta${n}@ca.test`, isTenantAdmin: true, orgs: [{ path: 'CA' }] });
  const oa = await addMember(db, ca, { email: `oa${n}@ca.test`, isTenantAdmin: true, orgs: [{ path: 'CA__India', isAdmin: true }] });
  const pm = await addMember(db, ca, { email: `pm${n}@ca.test`, isTenantAdmin: true, orgs: [{ path: 'CA__US' }] });
  const ot = await addMember(db, other, { email: `ot${n}@other.test`, isTenantAdmin: true, orgs: [{ path: 'OTHER' }] });
  const token = async (userId: string, tenant: TenantFixture) => (await createApiToken(db, await actorFor(db, userId, tenant), { name: 'feed' })).secret;
  const world: World = {
    ca,
    other,
    n,
    admin: { userId: ta.userId, token: await token(ta.userId, ca), email: ta.email },
    orgAdmin: { userId: oa.userId, token: await token(oa.userId, ca) },
    memberToken: await token(pm.userId, ca),
    otherToken: await token(ot.userId, other),
  };
  // Tokens are made by tenant admins; their owners' rights are judged at each request.
  await db.update(tenantMembers).set({ isTenantAdmin: false }).where(eq(tenantMembers.id, oa.memberId));
  await db.update(tenantMembers).set({ isTenantAdmin: false }).where(eq(tenantMembers.id, pm.memberId));
  return world;
}

interface Answer {
  status: number;
  headers: Headers;
  text: string;
  body: Record<string, unknown>;
}

/** Reads a JSON answer; every JSON answer of the API is `no-store`. */
async function answer(response: Response): Promise<Answer> {
  const text = await response.text();
  expect(response.headers.get('content-type'), text).toBe('application/json; charset=utf-8');
  expect(response.headers.get('cache-control')).toBe('no-store');
  expect(response.headers.get('server-timing')).toMatch(/^app;dur=/);
  return { status: response.status, headers: response.headers, text, body: JSON.parse(text) as Record<string, unknown> };
}

const auth = (token: string | null): Record<string, string> => (token === null ? {} : { Authorization: `Bearer ${token}` });

interface UploadInput {
  file?: Buffer | string;
  fileName?: string;
  operation?: string;
  apply?: string;
}

function uploadRequest(token: string | null, input: UploadInput, headers: Record<string, string> = {}): Request {
  const form = new FormData();
  if (input.file !== undefined) {
    if (typeof input.file === 'string') form.append('file', input.file);
    else form.append('file', new Blob([new Uint8Array(input.file)]), input.fileName ?? 'feed.xlsx');
  }
  if (input.operation !== undefined) form.append('operation', input.operation);
  if (input.apply !== undefined) form.append('apply', input.apply);
  return new Request(`${ORIGIN}/api/v1/imports`, { method: 'POST', headers: { ...auth(token), ...headers }, body: form });
}

const upload = async (token: string | null, input: UploadInput, headers?: Record<string, string>) =>
  answer(await handleCreateImport(db, uploadRequest(token, input, headers)));

const get = async (token: string | null, id: string, headers: Record<string, string> = {}) =>
  answer(await handleGetImport(db, new Request(`${ORIGIN}/api/v1/imports/${id}`, { headers: { ...auth(token), ...headers } }), id));

const apply = async (token: string | null, id: string) =>
  answer(await handleApplyImport(db, new Request(`${ORIGIN}/api/v1/imports/${id}/apply`, { method: 'POST', headers: auth(token) }), id));

const list = async (token: string | null, query = '') =>
  answer(await handleListImports(db, new Request(`${ORIGIN}/api/v1/imports${query}`, { headers: auth(token) })));

const cancel = async (token: string | null, id: string) =>
  answer(await handleCancelImport(db, new Request(`${ORIGIN}/api/v1/imports/${id}/cancel`, { method: 'POST', headers: auth(token) }), id));

const discard = async (token: string | null, id: string) =>
  answer(await handleDiscardImport(db, new Request(`${ORIGIN}/api/v1/imports/${id}`, { method: 'DELETE', headers: auth(token) }), id));

const results = (token: string | null, id: string) =>
  handleImportResults(db, new Request(`${ORIGIN}/api/v1/imports/${id}/results.xlsx`, { headers: auth(token) }), id);

/** A template-form workbook (the template's sheets, headers, instructions and marker) with rows. */
async function templateWorkbook(locale: 'en' | 'ja', rows: { organization?: Partial<Record<ColumnKey, string>>[]; user?: Partial<Record<ColumnKey, string>>[] }) {
  return collect((out) =>
    writeTemplateWorkbook(out, {
      locale,
      data: {
        rootName: 'CA',
        rows: {
          organization: [(rows.organization ?? []).map((values) => ({ values }))],
          user: [(rows.user ?? []).map((values) => ({ values }))],
        },
      },
    }),
  );
}

interface RowSpec {
  entity: Entity;
  rowNumber: number;
  planned: RowOutcome;
  outcome?: RowOutcome | null;
  messageKey?: string;
  messageParams?: Record<string, string | number>;
  cells?: string[];
  values?: Partial<Record<ColumnKey, string>>;
}

const USER_HEADERS = { labels: ['Email Address', 'Organization', 'Employee No'], columns: ['email', 'org', null] as (ColumnKey | null)[] };
const ORG_HEADERS = { labels: ['Organization Name', 'Parent Organization'], columns: ['name', 'parent'] as (ColumnKey | null)[] };

/** An import in a later state, with its rows, as the worker would have left it. */
async function importIn(
  w: World,
  status: ImportStatus,
  options: { uploadedByUserId?: string; rows?: RowSpec[]; set?: Partial<typeof imports.$inferInsert> } = {},
): Promise<string> {
  const id = await addImport(db, w.ca, { uploadedByUserId: options.uploadedByUserId ?? w.admin.userId, status, fileName: 'hr-feed.xlsx' });
  const rows = options.rows ?? [];
  const plannedCounts: Partial<Record<RowOutcome, number>> = {};
  for (const r of rows) plannedCounts[r.planned] = (plannedCounts[r.planned] ?? 0) + 1;
  await db
    .update(imports)
    .set({
      totalRows: rows.length,
      plannedCounts,
      headers: { organization: ORG_HEADERS, user: USER_HEADERS },
      source: 'api',
      ...options.set,
    })
    .where(eq(imports.id, id));
  if (rows.length > 0) {
    await db.insert(importRows).values(
      rows.map((r, i) => ({
        importId: id,
        entity: r.entity,
        rowNumber: r.rowNumber,
        seq: i + 1,
        cells: r.cells ?? [`row${r.rowNumber}@ca.test`, 'CA__India', 'E1'],
        values: r.values ?? { email: `row${r.rowNumber}@ca.test`, org: 'CA__India' },
        plannedOutcome: r.planned,
        outcome: r.outcome ?? null,
        messageKey: r.messageKey ?? null,
        messageParams: r.messageParams ?? null,
      })),
    );
  }
  return id;
}

/** A planned import: one created user, one invalid email. */
const plannedRows = (): RowSpec[] => [
  { entity: 'user', rowNumber: 2, planned: 'created' },
  {
    entity: 'user',
    rowNumber: 3,
    planned: 'error',
    messageKey: 'errors.invalidEmail',
    messageParams: { column: 'email', value: 'not-an-email' },
    cells: ['not-an-email', 'CA__India', 'E2'],
    values: { email: 'not-an-email', org: 'CA__India' },
  },
];

const importRow = async (id: string) => (await db.select().from(imports).where(eq(imports.id, id)))[0]!;

async function jobState(jobId: string) {
  const queue = await getQueue('import');
  return (await queue.getJob(jobId))?.name ?? null;
}

const enFile = (catalogues.en as { importFile: { errors: Record<string, string> } }).importFile.errors;

beforeAll(async () => {
  tdb = await createTestDatabase();
  db = tdb.db;
  // The route modules read through getDb(): point it at this file's database.
  await closeDb();
  process.env.DATABASE_URL = tdb.url;
});

afterAll(async () => {
  await tearDownQueues();
  await closeDb();
  process.env.DATABASE_URL = baseUrl;
  await tdb?.drop();
});

// ---------------------------------------------------------------------------------------------

describe('POST /api/v1/imports: who', () => {
  it('401 without a token and with a bad one, 403 for an owner who may not import; nothing stored', async () => {
    const w = await world();
    const file = await templateWorkbook('en', { user: [{ email: 'a@ca.test', org: 'CA__India' }] });
    const before = await dbFingerprint(db);

    const none = await upload(null, { file, operation: 'upsert' });
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toBe('Bearer');
    expect(none.body).toEqual({ error: 'unauthorized' });

    const bad = await upload(`tnt_${'x'.repeat(43)}`, { file, operation: 'upsert' });
    expect(bad.status).toBe(401);
    expect(bad.headers.get('www-authenticate')).toBe('Bearer error="invalid_token"');

    const member = await upload(w.memberToken, { file, operation: 'upsert' });
    expect(member.status).toBe(403);
    expect(member.body).toEqual({ error: 'forbidden', message: "the token's owner may not import in this tenant" });

    // A token's last use is recorded: compare everything but api_tokens.
    const after = await dbFingerprint(db);
    expect({ ...after, api_tokens: '' }).toEqual({ ...before, api_tokens: '' });
  });
});

describe('POST /api/v1/imports: the request', () => {
  it('415 for a body that is not multipart/form-data', async () => {
    const w = await world();
    for (const headers of [{ 'Content-Type': 'application/json' }, {}] as Record<string, string>[]) {
      const res = await answer(
        await handleCreateImport(db, new Request(`${ORIGIN}/api/v1/imports`, { method: 'POST', headers: { ...auth(w.admin.token), ...headers }, body: '{"operation":"upsert"}' })),
      );
      expect(res.status).toBe(415);
      expect(res.body.error).toBe('unsupported_media_type');
    }
  });

  it('413 from Content-Length before reading the body', async () => {
    const w = await world();
    let pulled = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulled += 1;
        controller.enqueue(new Uint8Array(1024));
        if (pulled >= 4) controller.close();
      },
    });
    const request = new Request(`${ORIGIN}/api/v1/imports`, {
      method: 'POST',
      headers: { ...auth(w.admin.token), 'Content-Type': 'multipart/form-data; boundary=x', 'Content-Length': String(MAX_IMPORT_REQUEST_BYTES + 1) },
      body,
      duplex: 'half',
    } as RequestInit);
    const before = await dbFingerprint(db);
    const res = await answer(await handleCreateImport(db, request));
    expect(res.status).toBe(413);
    expect(res.body).toMatchObject({ error: 'payload_too_large', limitBytes: MAX_IMPORT_REQUEST_BYTES });
    expect(MAX_IMPORT_REQUEST_BYTES).toBe(20 * 1024 * 1024 + 64 * 1024);
    // The handler never read the body (a stream may be asked for its first chunk up front).
    expect(pulled).toBeLessThanOrEqual(1);
    expect({ ...(await dbFingerprint(db)), api_tokens: '' }).toEqual({ ...before, api_tokens: '' });
  });

  it('413 for a streamed body without a length, which is not read past the limit', async () => {
    const w = await world();
    const chunk = 1024 * 1024;
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        // 64 MiB on offer; the handler must stop at about 20 MiB.
        if (sent >= 64 * chunk) return controller.close();
        sent += chunk;
        controller.enqueue(new Uint8Array(chunk));
      },
    });
    const request = new Request(`${ORIGIN}/api/v1/imports`, {
      method: 'POST',
      headers: { ...auth(w.admin.token), 'Content-Type': 'multipart/form-data; boundary=x' },
      body,
      duplex: 'half',
    } as RequestInit);
    const res = await answer(await handleCreateImport(db, request));
    expect(res.status).toBe(413);
    expect(res.body.error).toBe('payload_too_large');
    expect(sent).toBeGreaterThan(MAX_IMPORT_REQUEST_BYTES);
    expect(sent).toBeLessThanOrEqual(MAX_IMPORT_REQUEST_BYTES + 3 * chunk);
  });

  it('400 for a missing or bad field, or a body that is not multipart', async () => {
    const w = await world();
    const file = await templateWorkbook('en', { user: [{ email: 'a@ca.test', org: 'CA__India' }] });
    const cases: [UploadInput, string][] = [
      [{ file }, '"operation" is required: upsert or delete'],
      [{ file, operation: 'update' }, '"operation" must be upsert or delete'],
      [{ file, operation: 'upsert', apply: 'now' }, '"apply" must be preview or auto (default preview)'],
      [{ operation: 'upsert' }, '"file" is required: the .xlsx or .csv file, as a file part'],
      [{ file: 'Email Address,Organization', operation: 'upsert' }, '"file" must be sent as a file (a part with a filename), not as a text field'],
    ];
    for (const [input, message] of cases) {
      const res = await upload(w.admin.token, input);
      expect(res.status, message).toBe(400);
      expect(res.body).toEqual({ error: 'invalid_request', message });
    }
    const twice = new FormData();
    twice.append('file', new Blob([new Uint8Array(file)]), 'a.xlsx');
    twice.append('operation', 'upsert');
    twice.append('operation', 'delete');
    const dup = await answer(await handleCreateImport(db, new Request(`${ORIGIN}/api/v1/imports`, { method: 'POST', headers: auth(w.admin.token), body: twice })));
    expect(dup.body).toEqual({ error: 'invalid_request', message: '"operation" may be given once' });

    const garbage = await answer(
      await handleCreateImport(
        db,
        new Request(`${ORIGIN}/api/v1/imports`, { method: 'POST', headers: { ...auth(w.admin.token), 'Content-Type': 'multipart/form-data; boundary=zz' }, body: 'not multipart' }),
      ),
    );
    expect(garbage.status).toBe(400);
    expect(garbage.body).toEqual({ error: 'invalid_request', message: 'the body is not valid multipart/form-data' });
    expect(await db.select().from(imports).where(eq(imports.tenantId, w.ca.id))).toEqual([]);
  });

  it('422 for a refused file: its key, params and message (English, or Japanese when Accept-Language prefers ja); nothing stored', async () => {
    const w = await world();
    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d, 0x49, 0x48, 0x44, 0x52]);
    const before = await dbFingerprint(db);
    const en = await upload(w.admin.token, { file: png, fileName: 'photo.png', operation: 'upsert' });
    expect(en.status).toBe(422);
    expect(en.body).toEqual({ error: 'invalid_file', key: 'notSpreadsheet', message: enFile.notSpreadsheet, params: {} });

    const ja = await upload(w.admin.token, { file: png, fileName: 'photo.png', operation: 'upsert' }, { 'Accept-Language': 'ja-JP,ja;q=0.9,en;q=0.5' });
    expect(ja.body).toMatchObject({ error: 'invalid_file', key: 'notSpreadsheet' });
    expect(ja.body.message).toBe((catalogues.ja as typeof catalogues.en & { importFile: { errors: Record<string, string> } }).importFile.errors.notSpreadsheet);

    // With params: a CSV of users without the required Organization column.
    const csv = Buffer.from('Email Address,First Name\r\na@ca.test,Taro\r\n');
    const missing = await upload(w.admin.token, { file: csv, fileName: 'users.csv', operation: 'upsert' });
    expect(missing.status).toBe(422);
    expect(missing.body).toMatchObject({ error: 'invalid_file', key: 'missingColumns', params: { kind: 'csv', entity: 'user', columns: 'org', count: 1 } });
    expect(missing.body.message).toBe('The file lacks the required column “Organization”. Add it to the header row.');
    const missingJa = await upload(w.admin.token, { file: csv, fileName: 'users.csv', operation: 'upsert' }, { 'Accept-Language': 'ja' });
    expect(missingJa.body.message).toContain('「組織」');

    // A header-only file, and an empty one.
    const noRows = await upload(w.admin.token, { file: Buffer.from('Email Address,Organization\r\n'), fileName: 'users.csv', operation: 'upsert' });
    expect(noRows.body).toMatchObject({ key: 'noRows', message: enFile.noRows });
    const empty = await upload(w.admin.token, { file: Buffer.alloc(0), fileName: 'users.csv', operation: 'delete' });
    expect(empty.body).toMatchObject({ key: 'empty', message: 'The file is empty.' });

    expect({ ...(await dbFingerprint(db)), api_tokens: '' }).toEqual({ ...before, api_tokens: '' });
  });
});

describe('POST /api/v1/imports: 201', () => {
  it('stores a template-form workbook as an API upload to preview, audits it and rings the planner', async () => {
    const w = await world();
    const file = await templateWorkbook('en', {
      organization: [{ name: 'HR', parent: 'CA__India', emailNotifications: 'Y' }],
      user: [
        { email: 'taro@ca.test', firstName: 'Taro', lastName: 'Yamada', org: 'CA__India__HR', admin: 'N', active: 'Y' },
        { email: 'jane@ca.test', firstName: 'Jane', lastName: 'Doe', org: 'CA__US', admin: 'Y', active: 'Y' },
      ],
    });
    const res = await upload(w.admin.token, { file, fileName: 'hr-feed-2026-05-01.xlsx', operation: 'upsert' });
    expect(res.status, res.text).toBe(201);
    const body = res.body as unknown as ApiImport;
    expect(body.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(res.headers.get('location')).toBe(`/api/v1/imports/${body.id}`);
    expect(body).toMatchObject({
      url: `/api/v1/imports/${body.id}`,
      fileName: 'hr-feed-2026-05-01.xlsx',
      operation: 'upsert',
      apply: 'preview',
      status: 'uploaded',
      source: 'api',
      locale: 'en',
      uploadedBy: w.admin.email,
      totalRows: 3,
      progress: { processedRows: 0, totalRows: 3, percent: 0, rowsPerSecond: null, secondsLeft: null },
      queuePosition: null,
      error: null,
      errors: [],
      links: { self: `/api/v1/imports/${body.id}`, apply: null, results: null },
    });
    expect(body.sheets.map((s) => [s.sheet, s.entity, s.ignoredColumns])).toEqual([
      ['Organizations', 'organization', []],
      ['Users', 'user', []],
    ]);

    const row = await importRow(body.id);
    expect(row).toMatchObject({ tenantId: w.ca.id, uploadedByUserId: w.admin.userId, status: 'uploaded', source: 'api', autoApply: false, locale: 'en', totalRows: 3 });
    expect(Buffer.from(row.fileContent).equals(file)).toBe(true);
    const [audit] = await db.select().from(auditEvents).where(and(eq(auditEvents.importId, body.id), eq(auditEvents.action, 'import.upload')));
    expect(audit?.after).toMatchObject({ operation: 'upsert', rows: 3, source: 'api', apply: 'preview' });
    expect(await jobState(`import.plan-${body.id}`)).toBe('import.plan');
  });

  it('stores a Shift_JIS CSV with Japanese headers and names, apply=auto, in Japanese for Accept-Language ja', async () => {
    const w = await world();
    const csv = encodeShiftJis('メールアドレス,姓,名,組織,社員番号\r\nyamada@ca.test,山田,太郎,CA__India,A001\r\nsuzuki@ca.test,鈴木,花子,CA__US,A002\r\n');
    const res = await upload(w.admin.token, { file: csv, fileName: '社員データ.csv', operation: 'upsert', apply: 'auto' }, { 'Accept-Language': 'ja,en;q=0.8' });
    expect(res.status, res.text).toBe(201);
    const body = res.body as unknown as ApiImport;
    expect(body).toMatchObject({ fileName: '社員データ.csv', apply: 'auto', status: 'uploaded', locale: 'ja', totalRows: 2 });
    expect(body.sheets).toEqual([{ sheet: 'Users', entity: 'user', ignoredColumns: ['社員番号'] }]);
    const row = await importRow(body.id);
    expect(row).toMatchObject({ autoApply: true, locale: 'ja', source: 'api', operation: 'upsert', fileName: '社員データ.csv' });
    expect(row.headers.user?.labels).toEqual(['メールアドレス', '姓', '名', '組織', '社員番号']);
    const [audit] = await db.select().from(auditEvents).where(and(eq(auditEvents.importId, body.id), eq(auditEvents.action, 'import.upload')));
    expect(audit?.after).toMatchObject({ apply: 'auto' });
  });

  it('a delete file, and the language: English unless Accept-Language prefers Japanese', async () => {
    const w = await world();
    const csv = Buffer.from('Email Address\r\ngone@ca.test\r\n');
    const cases: [string | undefined, 'en' | 'ja'][] = [
      [undefined, 'en'],
      ['en-US,en;q=0.9,ja;q=0.8', 'en'],
      ['fr-FR,ja;q=0.5', 'ja'],
      ['ja-JP', 'ja'],
    ];
    for (const [acceptLanguage, locale] of cases) {
      const res = await upload(w.admin.token, { file: csv, fileName: 'leavers.csv', operation: 'delete' }, acceptLanguage ? { 'Accept-Language': acceptLanguage } : {});
      expect(res.status, res.text).toBe(201);
      expect(res.body, acceptLanguage).toMatchObject({ operation: 'delete', locale });
    }
  });
});

// ---------------------------------------------------------------------------------------------

describe('GET /api/v1/imports/{id}', () => {
  it('a planned import: counts, the error rows with English messages, links to apply and results', async () => {
    const w = await world();
    const id = await importIn(w, 'planned', { rows: plannedRows() });
    const res = await get(w.admin.token, id);
    expect(res.status, res.text).toBe(200);
    expect(res.body).toEqual({
      id,
      url: `/api/v1/imports/${id}`,
      fileName: 'hr-feed.xlsx',
      operation: 'upsert',
      apply: 'preview',
      status: 'planned',
      source: 'api',
      locale: 'en',
      uploadedBy: w.admin.email,
      createdAt: expect.any(String),
      startedAt: null,
      finishedAt: null,
      totalRows: 2,
      plannedCounts: { created: 1, updated: 0, unchanged: 0, deleted: 0, not_found: 0, error: 1 },
      counts: { created: 0, updated: 0, unchanged: 0, deleted: 0, not_found: 0, error: 0 },
      progress: { processedRows: 0, totalRows: 2, percent: 0, rowsPerSecond: null, secondsLeft: null },
      queuePosition: null,
      cancelRequested: false,
      sheets: [
        { sheet: 'Organizations', entity: 'organization', ignoredColumns: [] },
        { sheet: 'Users', entity: 'user', ignoredColumns: ['Employee No'] },
      ],
      error: null,
      errors: [
        { sheet: 'Users', entity: 'user', row: 3, key: 'invalidEmail', message: 'Email Address: “not-an-email” is not a valid email address.' },
      ],
      links: { self: `/api/v1/imports/${id}`, apply: `/api/v1/imports/${id}/apply`, results: `/api/v1/imports/${id}/results.xlsx` },
    });

    // The same messages in Japanese when asked (the column as uploaded).
    const ja = await get(w.admin.token, id, { 'Accept-Language': 'ja' });
    expect((ja.body as unknown as ApiImport).errors[0]!.message).toBe('Email Address：「not-an-email」は有効なメールアドレスではありません。');
  });

  it(`lists the first ${API_ERROR_ROWS} failed rows, organizations first, by row`, async () => {
    const w = await world();
    const rows: RowSpec[] = [];
    for (let i = 0; i < 120; i++) rows.push({ entity: 'user', rowNumber: 200 - i, planned: 'error', messageKey: 'errors.required', messageParams: { column: 'org' } });
    for (let i = 0; i < 30; i++) rows.push({ entity: 'organization', rowNumber: i + 2, planned: i % 2 ? 'created' : 'error', messageKey: i % 2 ? undefined : 'errors.orgsTenantAdminOnly' });
    const id = await importIn(w, 'planned', { rows });
    const body = (await get(w.admin.token, id)).body as unknown as ApiImport;
    expect(body.plannedCounts.error).toBe(135);
    expect(body.errors).toHaveLength(API_ERROR_ROWS);
    expect(body.errors.slice(0, 15).map((e) => [e.sheet, e.row])).toEqual(Array.from({ length: 15 }, (_, i) => ['Organizations', 2 + 2 * i]));
    expect(body.errors[0]!.message).toBe('Only tenant administrators can create, change or delete organizations.');
    expect(body.errors[15]).toEqual({ sheet: 'Users', entity: 'user', row: 81, key: 'required', message: 'Organization: this cell is required.' });
    expect(body.errors.at(-1)!.row).toBe(81 + 84);
  });

  it('queued (its place in line), applying (progress), completed, failed (the file-level message)', async () => {
    const w = await world();
    const started = new Date(Date.now() - 10_000);
    const ahead = await importIn(w, 'applying', { rows: plannedRows(), set: { startedAt: started, processedRows: 1, applyRequestedAt: new Date(Date.now() - 60_000) } });
    const queued = await importIn(w, 'queued', { rows: plannedRows(), set: { applyRequestedAt: new Date() } });

    const q = (await get(w.admin.token, queued)).body as unknown as ApiImport;
    expect(q).toMatchObject({ status: 'queued', queuePosition: 1, links: { apply: null, results: `/api/v1/imports/${queued}/results.xlsx` } });

    const a = (await get(w.admin.token, ahead)).body as unknown as ApiImport;
    expect(a).toMatchObject({ status: 'applying', queuePosition: null, startedAt: started.toISOString() });
    expect(a.progress).toMatchObject({ processedRows: 1, totalRows: 2, percent: 50 });
    expect(a.progress.rowsPerSecond).toEqual(expect.any(Number));
    expect(a.progress.secondsLeft).toEqual(expect.any(Number));

    const done = await importIn(w, 'completed', {
      rows: plannedRows().map((r) => ({ ...r, outcome: r.planned })),
      set: { startedAt: started, finishedAt: new Date(), processedRows: 2, counts: { created: 1, error: 1 } },
    });
    const c = (await get(w.admin.token, done)).body as unknown as ApiImport;
    expect(c).toMatchObject({ status: 'completed', counts: { created: 1, error: 1 }, progress: { percent: 100, secondsLeft: null }, links: { apply: null } });
    expect(c.errors.map((e) => e.row)).toEqual([3]);

    const failed = await importIn(w, 'failed', { set: { errorKey: 'importFile.errors.tooManyRows', errorParams: { limit: 200_000 }, finishedAt: new Date() } });
    const f = (await get(w.admin.token, failed)).body as unknown as ApiImport;
    expect(f).toMatchObject({
      status: 'failed',
      error: { key: 'tooManyRows', message: 'The file has more than 200,000 data rows. Split it into files of up to 200,000 rows.', params: { limit: 200_000 } },
      errors: [],
      links: { apply: null, results: null },
    });
    const workerFailed = await importIn(w, 'failed', { set: { errorKey: 'imports.errors.workerFailed', errorParams: {} } });
    expect(((await get(w.admin.token, workerFailed)).body as unknown as ApiImport).error).toMatchObject({
      key: 'workerFailed',
      message: 'The import stopped because of an unexpected error. What was applied stays; upload the failed rows again.',
    });
  });

  it("404 for another tenant's import, exactly like an unknown or malformed id; 401; 403 for a plain member", async () => {
    const w = await world();
    const id = await importIn(w, 'planned', { rows: plannedRows() });
    const cross = await get(w.otherToken, id);
    const unknown = await get(w.otherToken, '00000000-0000-4000-8000-000000000000');
    const malformed = await get(w.admin.token, 'not-a-uuid');
    expect(cross.status).toBe(404);
    expect(cross.text).toBe('{"error":"not_found"}');
    expect(unknown.text).toBe(cross.text);
    expect(malformed.text).toBe(cross.text);
    expect((await get(null, id)).status).toBe(401);
    expect((await get(w.memberToken, id)).status).toBe(403);
  });

  it("an org admin's token sees the imports its owner uploaded, not the tenant admin's", async () => {
    const w = await world();
    const theirs = await importIn(w, 'planned', { rows: plannedRows(), uploadedByUserId: w.orgAdmin.userId });
    const admins = await importIn(w, 'planned', { rows: plannedRows() });
    expect((await get(w.orgAdmin.token, theirs)).status).toBe(200);
    const hidden = await get(w.orgAdmin.token, admins);
    expect(hidden.status).toBe(404);
    expect(hidden.text).toBe('{"error":"not_found"}');
    expect((await apply(w.orgAdmin.token, admins)).status).toBe(404);
    expect((await answer(await results(w.orgAdmin.token, admins))).status).toBe(404);
    // The tenant admin sees both.
    expect((await get(w.admin.token, theirs)).status).toBe(200);

    // And may upload: the import is theirs.
    const csv = Buffer.from('Email Address,Organization\r\nnew@ca.test,CA__India\r\n');
    const created = await upload(w.orgAdmin.token, { file: csv, fileName: 'india.csv', operation: 'upsert' });
    expect(created.status, created.text).toBe(201);
    expect((await importRow(String(created.body.id))).uploadedByUserId).toBe(w.orgAdmin.userId);
  });
});

// ---------------------------------------------------------------------------------------------

describe('POST /api/v1/imports/{id}/apply', () => {
  it('202: a planned import joins the line (audited, the apply job rung); 409 when not planned', async () => {
    const w = await world();
    const id = await importIn(w, 'planned', { rows: plannedRows() });
    const res = await apply(w.admin.token, id);
    expect(res.status, res.text).toBe(202);
    expect(res.headers.get('location')).toBe(`/api/v1/imports/${id}`);
    expect(res.body).toMatchObject({ id, status: 'queued', queuePosition: 0, links: { apply: null } });
    const row = await importRow(id);
    expect(row.status).toBe('queued');
    expect(row.applyRequestedAt).toBeInstanceOf(Date);
    expect(await db.select().from(auditEvents).where(and(eq(auditEvents.importId, id), eq(auditEvents.action, 'import.apply')))).toHaveLength(1);
    expect(await jobState(`import.apply-${id}`)).toBe('import.apply');

    const again = await apply(w.admin.token, id);
    expect(again.status).toBe(409);
    expect(again.body).toEqual({ error: 'not_planned', message: 'only a planned import can be applied; this one is queued', status: 'queued' });
    for (const status of ['uploaded', 'completed', 'discarded'] as const) {
      const other = await importIn(w, status);
      const refused = await apply(w.admin.token, other);
      expect(refused.status).toBe(409);
      expect(refused.body).toMatchObject({ error: 'not_planned', status });
      expect((await importRow(other)).status).toBe(status);
    }
  });

  it("404 for another tenant's import, 401, 403 for a plain member; nothing changes", async () => {
    const w = await world();
    const id = await importIn(w, 'planned', { rows: plannedRows() });
    const before = await dbFingerprint(db);
    expect((await apply(w.otherToken, id)).text).toBe('{"error":"not_found"}');
    expect((await apply(null, id)).status).toBe(401);
    expect((await apply(w.memberToken, id)).status).toBe(403);
    expect({ ...(await dbFingerprint(db)), api_tokens: '' }).toEqual({ ...before, api_tokens: '' });
  });
});

// ---------------------------------------------------------------------------------------------

describe('GET /api/v1/imports', () => {
  it('the history newest first, paged with links; an org admin sees only their own uploads; each tenant its own', async () => {
    const w = await world();
    const oldest = await importIn(w, 'completed', { rows: plannedRows(), set: { createdAt: new Date('2026-01-01T00:00:00Z'), counts: { created: 1, error: 1 } } });
    const middle = await importIn(w, 'planned', { rows: plannedRows(), uploadedByUserId: w.orgAdmin.userId, set: { createdAt: new Date('2026-01-02T00:00:00Z') } });
    const newest = await importIn(w, 'queued', { set: { createdAt: new Date('2026-01-03T00:00:00Z') } });

    const all = await list(w.admin.token);
    expect(all.status, all.text).toBe(200);
    expect(all.body).toMatchObject({ page: 1, pageSize: 20, total: 3, links: { next: null, prev: null } });
    const items = all.body.items as Record<string, unknown>[];
    expect(items.map((i) => i.id)).toEqual([newest, middle, oldest]);
    expect(items[2]).toEqual({
      id: oldest,
      url: `/api/v1/imports/${oldest}`,
      fileName: 'hr-feed.xlsx',
      operation: 'upsert',
      status: 'completed',
      source: 'api',
      uploadedBy: w.admin.email,
      createdAt: '2026-01-01T00:00:00.000Z',
      finishedAt: null,
      totalRows: 2,
      processedRows: 0,
      plannedCounts: { created: 1, updated: 0, unchanged: 0, deleted: 0, not_found: 0, error: 1 },
      counts: { created: 1, updated: 0, unchanged: 0, deleted: 0, not_found: 0, error: 1 },
    });

    const second = await list(w.admin.token, '?page=2&pageSize=2');
    expect(second.body).toMatchObject({ page: 2, pageSize: 2, total: 3, links: { next: null, prev: '/api/v1/imports?page=1&pageSize=2' } });
    expect((second.body.items as { id: string }[]).map((i) => i.id)).toEqual([oldest]);
    const first = await list(w.admin.token, '?pageSize=2');
    expect(first.body.links).toEqual({ next: '/api/v1/imports?page=2&pageSize=2', prev: null });

    const own = await list(w.orgAdmin.token);
    expect((own.body.items as { id: string }[]).map((i) => i.id)).toEqual([middle]);
    const elsewhere = await list(w.otherToken);
    expect(elsewhere.body).toMatchObject({ items: [], total: 0 });
  });

  it('400 for a bad page or page size; 401; 403 for a plain member', async () => {
    const w = await world();
    for (const query of ['?page=0', '?page=x', '?pageSize=101', '?pageSize=-1', '?page=1.5']) {
      const res = await list(w.admin.token, query);
      expect(res.status, query).toBe(400);
      expect(res.body).toEqual({ error: 'invalid_request', message: 'page and pageSize are whole numbers from 1; pageSize at most 100' });
    }
    expect((await list(null)).status).toBe(401);
    expect((await list(w.memberToken)).status).toBe(403);
  });
});

describe('POST /api/v1/imports/{id}/cancel', () => {
  it('202: a queued import is cancelled at once, an applying one when its batches end (audited); 409 otherwise', async () => {
    const w = await world();
    const queued = await importIn(w, 'queued', { rows: plannedRows() });
    const res = await cancel(w.admin.token, queued);
    expect(res.status, res.text).toBe(202);
    expect(res.headers.get('location')).toBe(`/api/v1/imports/${queued}`);
    expect(res.body).toMatchObject({ id: queued, status: 'cancelled', cancelRequested: true });
    expect((await importRow(queued)).status).toBe('cancelled');

    const applying = await importIn(w, 'applying', { rows: plannedRows() });
    const stopping = await cancel(w.admin.token, applying);
    expect(stopping.status).toBe(202);
    expect(stopping.body).toMatchObject({ status: 'applying', cancelRequested: true });
    expect((await importRow(applying)).cancelRequestedAt).toBeInstanceOf(Date);
    for (const id of [queued, applying]) {
      expect(await db.select().from(auditEvents).where(and(eq(auditEvents.importId, id), eq(auditEvents.action, 'import.cancel')))).toHaveLength(1);
    }

    for (const status of ['planned', 'completed', 'cancelled'] as const) {
      const other = await importIn(w, status);
      const refused = await cancel(w.admin.token, other);
      expect(refused.status).toBe(409);
      expect(refused.body).toEqual({ error: 'not_cancellable', message: `only a queued or applying import can be cancelled; this one is ${status}`, status });
      expect((await importRow(other)).status).toBe(status);
    }
  });

  it.each([
    ['cancel', 'queued', cancel],
    ['DELETE', 'planned', discard],
  ] as const)(
    "%s: 404 for another tenant's import and for an org admin's token on the tenant admin's; 401; 403 for a plain member; nothing changes",
    async (_, status, call) => {
      const w = await world();
      const id = await importIn(w, status, { rows: plannedRows() });
      const before = await dbFingerprint(db);
      expect((await call(w.otherToken, id)).text).toBe('{"error":"not_found"}');
      expect((await call(w.orgAdmin.token, id)).text).toBe('{"error":"not_found"}');
      expect((await call(null, id)).status).toBe(401);
      expect((await call(w.memberToken, id)).status).toBe(403);
      expect({ ...(await dbFingerprint(db)), api_tokens: '' }).toEqual({ ...before, api_tokens: '' });
    },
  );
});

describe('DELETE /api/v1/imports/{id}', () => {
  it('200: a preview is discarded (its rows go, audited); 409 once it is queued or applied', async () => {
    const w = await world();
    const planned = await importIn(w, 'planned', { rows: plannedRows() });
    const res = await discard(w.admin.token, planned);
    expect(res.status, res.text).toBe(200);
    expect(res.body).toMatchObject({ id: planned, status: 'discarded', links: { apply: null, results: null } });
    expect(await db.select().from(importRows).where(eq(importRows.importId, planned))).toHaveLength(0);
    expect(await db.select().from(auditEvents).where(and(eq(auditEvents.importId, planned), eq(auditEvents.action, 'import.discard')))).toHaveLength(1);

    for (const status of ['queued', 'applying', 'completed', 'discarded'] as const) {
      const other = await importIn(w, status, { rows: plannedRows() });
      const refused = await discard(w.admin.token, other);
      expect(refused.status).toBe(409);
      expect(refused.body).toMatchObject({ error: 'not_discardable', status });
      expect((await importRow(other)).status).toBe(status);
    }
  });

});

// ---------------------------------------------------------------------------------------------

describe('GET /api/v1/imports/{id}/results.xlsx', () => {
  it('the results workbook once planned: the rows as uploaded plus Result and Message', async () => {
    const w = await world();
    const id = await importIn(w, 'planned', { rows: plannedRows() });
    const res = await results(w.admin.token, id);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe(XLSX);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('content-disposition')).toBe(`attachment; filename="hr-feed-results.xlsx"; filename*=UTF-8''hr-feed-results.xlsx`);
    const workbook = await loadWorkbook(Buffer.from(await res.arrayBuffer()));
    const users = workbook.getWorksheet('Users')!;
    expect(rowTexts(users, 1)).toEqual(['Email Address', 'Organization', 'Employee No', 'Result', 'Message']);
    expect(rowTexts(users, 2)).toEqual(['row2@ca.test', 'CA__India', 'E1', 'created']);
    expect(rowTexts(users, 3)).toEqual(['not-an-email', 'CA__India', 'E2', 'error', 'Email Address: “not-an-email” is not a valid email address.']);
  });

  it('409 while the file is being checked, and when there are no rows to report; 404 across tenants', async () => {
    const w = await world();
    for (const status of ['uploaded', 'planning'] as const) {
      const id = await importIn(w, status);
      const res = await answer(await results(w.admin.token, id));
      expect(res.status).toBe(409);
      expect(res.body).toEqual({ error: 'not_ready', message: 'the file is still being checked; try again when its status is planned', status });
    }
    for (const status of ['discarded', 'failed'] as const) {
      const id = await importIn(w, status);
      const res = await answer(await results(w.admin.token, id));
      expect(res.status).toBe(409);
      expect(res.body).toMatchObject({ error: 'no_results', status });
    }
    const id = await importIn(w, 'planned', { rows: plannedRows() });
    expect((await answer(await results(w.otherToken, id))).text).toBe('{"error":"not_found"}');
    expect((await answer(await results(w.memberToken, id))).status).toBe(403);
    expect((await answer(await results(null, id))).status).toBe(401);
  });
});

// ---------------------------------------------------------------------------------------------

describe('the routes, as Next.js calls them', () => {
  it('POST, GET (one and the list), apply, cancel, DELETE and results.xlsx through app/api/v1/imports', async () => {
    const w = await world();
    const params = (importId: string) => ({ params: Promise.resolve({ importId }) });
    const created = await answer(
      await createRoute(uploadRequest(w.admin.token, { file: Buffer.from('Email Address,Organization\r\nr@ca.test,CA__India\r\n'), fileName: 'r.csv', operation: 'upsert' })),
    );
    expect(created.status, created.text).toBe(201);
    const id = String(created.body.id);
    const status = await answer(await getRoute(new Request(`${ORIGIN}/api/v1/imports/${id}`, { headers: auth(w.admin.token) }), params(id)));
    expect(status.body).toMatchObject({ id, status: 'uploaded' });

    const notYet = await answer(await applyRoute(new Request(`${ORIGIN}/api/v1/imports/${id}/apply`, { method: 'POST', headers: auth(w.admin.token) }), params(id)));
    expect(notYet.status).toBe(409);
    const planned = await importIn(w, 'planned', { rows: plannedRows() });
    const applied = await answer(await applyRoute(new Request(`${ORIGIN}/api/v1/imports/${planned}/apply`, { method: 'POST', headers: auth(w.admin.token) }), params(planned)));
    expect(applied.status).toBe(202);
    const xlsx = await resultsRoute(new Request(`${ORIGIN}/api/v1/imports/${planned}/results.xlsx`, { headers: auth(w.admin.token) }), params(planned));
    expect(xlsx.status).toBe(200);
    expect(xlsx.headers.get('content-type')).toBe(XLSX);
    expect((await xlsx.arrayBuffer()).byteLength).toBeGreaterThan(1000);

    const history = await answer(await listRoute(new Request(`${ORIGIN}/api/v1/imports?pageSize=1`, { headers: auth(w.admin.token) })));
    expect(history.body).toMatchObject({ total: 2, pageSize: 1 });
    const cancelled = await answer(await cancelRoute(new Request(`${ORIGIN}/api/v1/imports/${planned}/cancel`, { method: 'POST', headers: auth(w.admin.token) }), params(planned)));
    expect(cancelled.body).toMatchObject({ status: 'cancelled' });
    const discarded = await answer(await discardRoute(new Request(`${ORIGIN}/api/v1/imports/${id}`, { method: 'DELETE', headers: auth(w.admin.token) }), params(id)));
    expect(discarded.body).toMatchObject({ status: 'discarded' });
  });
});
