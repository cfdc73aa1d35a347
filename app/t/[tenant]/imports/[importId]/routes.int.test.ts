import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { closeDb } from '@/db/client';
import { importRows, imports } from '@/db/schema';
import { createTestDatabase, type TestDatabase } from '@/db/testing';
import { loadActor } from '@/lib/actor';
import { addImport, addMember, createTenantFixture, type MemberFixture, type TenantFixture } from '@/lib/testing/fixtures';
import { loadWorkbook, readSheetsStreaming } from '@/lib/testing/workbook-fixtures';
import { GET as failedGET } from './failed/route';
import { GET as progressGET } from './progress/route';
import { GET as resultsGET } from './results/route';

/*
 * The import page's routes as Next.js calls them (a Request in, a Response out), on this file's
 * own database (the routes read through getDb(), so DATABASE_URL points at it). Only the session
 * cookie is stood in for: whoever `signedIn` names is the signed-in user, resolved for the URL's
 * tenant by the real loadActor (not a member of it: no actor, as in a request).
 */

const session = vi.hoisted(() => ({ userId: null as string | null, db: null as unknown }));

vi.mock('@/app/_lib/session', () => {
  const resolve = async (slug?: string) =>
    session.userId ? loadActor(session.db as Parameters<typeof loadActor>[0], session.userId, { tenantSlug: slug }) : null;
  return {
    getActor: resolve,
    requireActor: async (slug?: string) => {
      const actor = await resolve(slug);
      if (!actor) throw new Error('test: not signed in to this tenant (requireActor would redirect)');
      return actor;
    },
  };
});

let tdb: TestDatabase;
const baseUrl = process.env.DATABASE_URL;
let ca: TenantFixture;
let other: TenantFixture;
const m: Record<string, MemberFixture> = {};
const ids: Record<string, string> = {};

const USER_LABELS = ['Email Address', 'First Name', 'Last Name', 'Organization', 'Employee No'];

beforeAll(async () => {
  tdb = await createTestDatabase();
  await closeDb();
  process.env.DATABASE_URL = tdb.url;
  session.db = tdb.db;
  const db = tdb.db;
  ca = await createTenantFixture(db, { slug: 'routes-ca', name: 'CA', orgPaths: ['CA__India', 'CA__US'] });
  other = await createTenantFixture(db, { slug: 'routes-other', name: 'Other' });
  m.ta = await addMember(db, ca, { email: 'ta@routes.test', isTenantAdmin: true, orgs: [{ path: 'CA', isAdmin: true }] });
  m.oa = await addMember(db, ca, { email: 'oa@routes.test', orgs: [{ path: 'CA__India', isAdmin: true }] });
  m.otherAdmin = await addMember(db, other, { email: 'admin@other.test', isTenantAdmin: true, orgs: [{ path: 'Other', isAdmin: true }] });

  // A previewed import of the tenant admin: two user rows, one of them failed.
  ids.planned = await addImport(db, ca, { uploadedByUserId: m.ta.userId, status: 'planned', fileName: 'staff.xlsx' });
  await db
    .update(imports)
    .set({
      totalRows: 2,
      locale: 'en',
      plannedCounts: { created: 1, error: 1 },
      headers: { user: { labels: USER_LABELS, columns: ['email', 'firstName', 'lastName', 'org', null] } },
    })
    .where(eq(imports.id, ids.planned));
  await db.insert(importRows).values([
    {
      importId: ids.planned,
      entity: 'user',
      rowNumber: 2,
      seq: 1,
      cells: ['hana@routes.test', 'Hana', 'Mori', 'CA__India', 'E-1'],
      values: { email: 'hana@routes.test', firstName: 'Hana', lastName: 'Mori', org: 'CA__India' },
      plannedOutcome: 'created',
      changes: { org: { from: null, to: 'CA__India' } },
    },
    {
      importId: ids.planned,
      entity: 'user',
      rowNumber: 3,
      seq: 2,
      cells: ['lost@routes.test', 'Lost', 'Person', 'CA__Nowhere', 'E-2'],
      values: { email: 'lost@routes.test', firstName: 'Lost', lastName: 'Person', org: 'CA__Nowhere' },
      plannedOutcome: 'error',
      messageKey: 'errors.orgNotFound',
      messageParams: { column: 'org', path: 'CA__Nowhere' },
    },
  ]);
  // The org admin's own upload, still being checked (no rows yet), and another tenant's import.
  ids.byOa = await addImport(db, ca, { uploadedByUserId: m.oa.userId, status: 'uploaded', fileName: 'india.csv' });
  ids.other = await addImport(db, other, { uploadedByUserId: m.otherAdmin.userId, status: 'planned', fileName: 'other.xlsx' });
});

afterAll(async () => {
  await closeDb();
  process.env.DATABASE_URL = baseUrl;
  await tdb?.drop();
});

beforeEach(() => {
  session.userId = null;
});

const signedIn = (who: MemberFixture) => (session.userId = who.userId);
const ctx = (tenant: string, importId: string) => ({ params: Promise.resolve({ tenant, importId }) });
const request = (path: string) => new Request(`http://localhost${path}`);

describe('GET /t/:tenant/imports/:id/progress', () => {
  it('answers the import’s progress as JSON, never cached', async () => {
    signedIn(m.ta!);
    const res = await progressGET(request('/progress'), ctx(ca.slug, ids.planned!));
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await res.json()).toMatchObject({
      id: ids.planned,
      fileName: 'staff.xlsx',
      status: 'planned',
      totalRows: 2,
      processedRows: 0,
      percent: 0,
      uploadedBy: 'ta@routes.test',
      plannedCounts: { created: 1, updated: 0, unchanged: 0, deleted: 0, not_found: 0, error: 1 },
      sheets: [{ entity: 'user', labels: USER_LABELS, ignored: ['Employee No'] }],
      error: null,
    });
  });

  it('is 404 for another tenant’s import, through either tenant’s URL', async () => {
    signedIn(m.ta!);
    expect((await progressGET(request('/progress'), ctx(ca.slug, ids.other!))).status).toBe(404);
    // Not a member of the other tenant: no actor there.
    expect((await progressGET(request('/progress'), ctx(other.slug, ids.other!))).status).toBe(404);
    signedIn(m.otherAdmin!);
    expect((await progressGET(request('/progress'), ctx(other.slug, ids.planned!))).status).toBe(404);
    expect((await progressGET(request('/progress'), ctx(other.slug, ids.other!))).status).toBe(200);
  });

  it('is 404 for an org admin viewing someone else’s import, 200 for their own', async () => {
    signedIn(m.oa!);
    expect((await progressGET(request('/progress'), ctx(ca.slug, ids.planned!))).status).toBe(404);
    const own = await progressGET(request('/progress'), ctx(ca.slug, ids.byOa!));
    expect(own.status).toBe(200);
    expect(await own.json()).toMatchObject({ id: ids.byOa, status: 'uploaded', fileName: 'india.csv' });
  });

  it('is 404 signed out, and for unknown or malformed ids', async () => {
    expect((await progressGET(request('/progress'), ctx(ca.slug, ids.planned!))).status).toBe(404);
    signedIn(m.ta!);
    expect((await progressGET(request('/progress'), ctx(ca.slug, '00000000-0000-4000-8000-000000000000'))).status).toBe(404);
    expect((await progressGET(request('/progress'), ctx(ca.slug, "x' or 1=1 --"))).status).toBe(404);
  });
});

describe('GET /t/:tenant/imports/:id/results and /failed', () => {
  it('downloads the results workbook: the rows as uploaded plus Result and Message', async () => {
    signedIn(m.ta!);
    const res = await resultsGET(request('/results'), ctx(ca.slug, ids.planned!));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
    expect(res.headers.get('content-disposition')).toContain('filename="staff-results.xlsx"');
    expect(res.headers.get('cache-control')).toBe('no-store');
    const sheets = await readSheetsStreaming(Buffer.from(await res.arrayBuffer()));
    expect(sheets.get('Users')).toEqual([
      [...USER_LABELS, 'Result', 'Message'],
      ['hana@routes.test', 'Hana', 'Mori', 'CA__India', 'E-1', 'created', ''],
      ['lost@routes.test', 'Lost', 'Person', 'CA__Nowhere', 'E-2', 'error', 'Organization: CA__Nowhere does not exist and is not created in this file.'],
    ]);
  });

  it('downloads the failed rows alone, in template form', async () => {
    signedIn(m.ta!);
    const res = await failedGET(request('/failed'), ctx(ca.slug, ids.planned!));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-disposition')).toContain('filename="staff-failed-rows.xlsx"');
    const workbook = await loadWorkbook(Buffer.from(await res.arrayBuffer()));
    const users = workbook.getWorksheet('Users')!;
    const emails: string[] = [];
    users.eachRow((row, n) => {
      if (n > 1) emails.push(row.getCell(1).text);
    });
    expect(emails).toEqual(['lost@routes.test']);
  });

  it('is 404 before the import has rows, for an org admin viewing someone else’s, and across tenants', async () => {
    signedIn(m.oa!);
    expect((await resultsGET(request('/results'), ctx(ca.slug, ids.byOa!))).status).toBe(404); // still being checked
    expect((await resultsGET(request('/results'), ctx(ca.slug, ids.planned!))).status).toBe(404);
    expect((await failedGET(request('/failed'), ctx(ca.slug, ids.planned!))).status).toBe(404);
    signedIn(m.otherAdmin!);
    expect((await resultsGET(request('/results'), ctx(other.slug, ids.planned!))).status).toBe(404);
  });
});
