import { PassThrough, type Writable } from 'node:stream';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '@/db/client';
import { groupMembers, importRows, imports, organizations, serviceAccess, type ImportHeaders, type ImportStatus, type RowOutcome } from '@/db/schema';
import { createTestDatabase, type TestDatabase } from '@/db/testing';
import type { Actor } from '@/lib/actor';
import { authorize, type ImportSummary } from '@/lib/authz';
import { ForbiddenError, NotFoundError } from '@/lib/errors';
import { actorFor, addGroup, addImport, addMember, addService, createOperator, createTenantFixture, type MemberFixture, type TenantFixture } from '@/lib/testing/fixtures';
import { collect, loadWorkbook, readSheetsStreaming, rowTexts, sheetXml } from '@/lib/testing/workbook-fixtures';
import { COLUMN_SPECS, type ColumnKey, type Entity } from './columns';
import { prepareImportDownload, writeCurrentData, writeTemplateFor, type ExportOptions } from './export';
import { writeResultsWorkbook } from './results-workbook';
import { MARKER_SHEET } from './template';

let tdb: TestDatabase;
let db: Database;
let ca: TenantFixture;
let other: TenantFixture;
const m: Record<string, MemberFixture> = {};

const ORG_HEADER = COLUMN_SPECS.organization.map((s) => s.header.en);
const USER_HEADER = COLUMN_SPECS.user.map((s) => s.header.en);

beforeAll(async () => {
  tdb = await createTestDatabase();
  db = tdb.db;
  // The customer's manual: India | CA, US | CA, HR | CA__India, HR | CA__US — created in another order.
  ca = await createTenantFixture(db, { slug: 'ca', orgPaths: ['CA__US__HR', 'CA__India__HR', 'CA__India Ops', 'CA__Indiana'] });
  other = await createTenantFixture(db, { slug: 'other', orgPaths: ['Other__Sales'] });
  await db.update(organizations).set({ description: 'People in India', emailNotifications: false }).where(eq(organizations.id, ca.org('CA__India').id));
  await db.update(organizations).set({ description: '=cmd|calc' }).where(eq(organizations.id, ca.org('CA__US').id));

  const add = async (key: string, options: Parameters<typeof addMember>[2], tenant = ca) => {
    m[key] = await addMember(db, tenant, options);
  };
  await add('admin', { email: 'admin@ca.example', firstName: 'Akiko', lastName: 'Sato', isTenantAdmin: true, locale: 'ja', orgs: [{ path: 'CA', isAdmin: true }] });
  await add('india', { email: 'india.admin@ca.example', firstName: 'Priya', lastName: 'Raman', locale: 'en', orgs: [{ path: 'CA__India', isAdmin: true }] });
  await add('taro', { email: 'Taro.Yamada@ca.example', firstName: '太郎', lastName: '山田', orgs: [{ path: 'CA__India' }, { path: 'CA__US', isAdmin: true }] });
  await add('ravi', { email: 'ravi@ca.example', firstName: 'Ravi', lastName: 'Kumar', orgs: [{ path: 'CA__India__HR' }] });
  await add('mary', { email: 'mary@ca.example', firstName: 'Mary', lastName: 'Jones', status: 'deactivated', orgs: [{ path: 'CA__US__HR' }] });
  await add('hana', { email: 'hana@ca.example', firstName: '花子', lastName: '鈴木', status: 'invited', orgs: [{ path: 'CA__India' }] });
  await add('indy', { email: 'indy@ca.example', firstName: '@indy', lastName: '-', orgs: [{ path: 'CA__Indiana' }] });
  await add('plain', { email: 'plain@ca.example', orgs: [{ path: 'CA__US' }] });
  await add('outsider', { email: 'outsider@other.example', orgs: [{ path: 'Other__Sales', isAdmin: true }] }, other);

  const cloud = await addService(db, { key: 'cloud', name: 'Enterprise Cloud 2.0' });
  const playbook = await addService(db, { key: 'playbook', name: 'Clarity Playbook' });
  await db.insert(serviceAccess).values([
    { tenantId: ca.id, memberId: m.taro!.memberId, serviceId: playbook },
    { tenantId: ca.id, memberId: m.taro!.memberId, serviceId: cloud },
    { tenantId: ca.id, memberId: m.ravi!.memberId, serviceId: cloud },
  ]);
  const sales = await addGroup(db, ca, { name: 'Sales' });
  const ops = await addGroup(db, ca, { name: 'ops' });
  await addGroup(db, other, { name: 'Other group' });
  await db.insert(groupMembers).values([
    { tenantId: ca.id, groupId: sales, memberId: m.taro!.memberId },
    { tenantId: ca.id, groupId: ops, memberId: m.taro!.memberId },
    { tenantId: ca.id, groupId: sales, memberId: m.mary!.memberId },
  ]);
});

afterAll(async () => {
  await tdb?.drop();
});

/** "Download current data" as the route does it: prepare (authorize, scope), then write. */
async function streamCurrentData(actor: Actor, output: Writable, locale: 'en' | 'ja', options: ExportOptions = {}): Promise<void> {
  await writeCurrentData(db, await prepareImportDownload(db, actor), output, locale, options);
}

async function exportAs(key: string, locale: 'en' | 'ja' = 'en', batchSize?: number) {
  const actor = await actorFor(db, m[key]!.userId, key === 'outsider' ? other : ca);
  const buffer = await collect((out) => streamCurrentData(actor, out, locale, { batchSize, now: new Date('2030-01-02T03:04:05Z'), timeZone: 'Asia/Tokyo' }));
  return { buffer, sheets: await readSheetsStreaming(buffer) };
}

describe('Download current data', () => {
  it("gives a tenant admin every org but the root, parents first, with parent paths and Y/N", async () => {
    const { sheets } = await exportAs('admin');
    expect(sheets.get('Organizations')).toEqual([
      ORG_HEADER,
      ['India', 'CA', 'People in India', 'N'],
      ['HR', 'CA__India', '', 'Y'],
      ['India Ops', 'CA', '', 'Y'],
      ['Indiana', 'CA', '', 'Y'],
      // A description that looks like a formula is neutralised.
      ['US', 'CA', "'=cmd|calc", 'Y'],
      ['HR', 'CA__US', '', 'Y'],
    ]);
  });

  it('gives one row per membership by email: admin per membership, Active, services and groups joined, language', async () => {
    const { sheets } = await exportAs('admin');
    expect(sheets.get('Users')).toEqual([
      USER_HEADER,
      ['admin@ca.example', 'Akiko', 'Sato', 'CA', 'Y', 'Y', '', '', 'ja'],
      ['hana@ca.example', '花子', '鈴木', 'CA__India', 'N', 'Y', '', '', ''],
      ['india.admin@ca.example', 'Priya', 'Raman', 'CA__India', 'Y', 'Y', '', '', 'en'],
      ["indy@ca.example", "'@indy", "'-", 'CA__Indiana', 'N', 'Y', '', '', ''],
      ['mary@ca.example', 'Mary', 'Jones', 'CA__US__HR', 'N', 'N', '', 'Sales', ''],
      ['plain@ca.example', '', '', 'CA__US', 'N', 'Y', '', '', ''],
      ['ravi@ca.example', 'Ravi', 'Kumar', 'CA__India__HR', 'N', 'Y', 'cloud', '', ''],
      // A member in two orgs: two rows, the admin flag of each membership, the same sets.
      ['Taro.Yamada@ca.example', '太郎', '山田', 'CA__India', 'N', 'Y', 'cloud;playbook', 'ops;Sales', ''],
      ['Taro.Yamada@ca.example', '太郎', '山田', 'CA__US', 'Y', 'Y', 'cloud;playbook', 'ops;Sales', ''],
    ]);
  });

  it('reads in keyset batches: any batch size gives the same file content', async () => {
    const whole = await exportAs('admin', 'en', 1000);
    for (const size of [1, 2, 3]) {
      const batched = await exportAs('admin', 'en', size);
      expect(batched.sheets.get('Users')).toEqual(whole.sheets.get('Users'));
      expect(batched.sheets.get('Organizations')).toEqual(whole.sheets.get('Organizations'));
    }
  });

  it("gives an org admin only their subtree's orgs and the memberships inside it", async () => {
    const { buffer, sheets } = await exportAs('india');
    expect(sheets.get('Organizations')).toEqual([ORG_HEADER, ['India', 'CA', 'People in India', 'N'], ['HR', 'CA__India', '', 'Y']]);
    expect(sheets.get('Users')!.map((r) => `${r[0]} ${r[3]}`)).toEqual([
      `${USER_HEADER[0]} ${USER_HEADER[3]}`,
      'hana@ca.example CA__India',
      'india.admin@ca.example CA__India',
      'ravi@ca.example CA__India__HR',
      // Taro's US membership is outside the subtree.
      'Taro.Yamada@ca.example CA__India',
    ]);
    // Groups are tenant-wide: not listed for an org admin; services are.
    const instructions = sheets.get('Instructions')!.map((r) => r.join('|')).join('\n');
    expect(instructions).toContain('cloud|Enterprise Cloud 2.0');
    expect(instructions).not.toContain('Other group');
    expect(instructions).not.toMatch(/^ops$/m);
    expect(instructions).toContain('It holds only the organizations you administer');
    expect(rowTexts((await loadWorkbook(buffer)).getWorksheet(MARKER_SHEET)!, 3)).toEqual(['kind', 'export']);
  });

  it("lists the tenant's groups (not another tenant's) for a tenant admin, in Japanese for ja", async () => {
    const { sheets } = await exportAs('admin', 'ja');
    expect([...sheets.keys()]).toEqual(['記入方法', 'Organizations', 'Users', MARKER_SHEET]);
    expect(sheets.get('Users')![0]).toEqual(COLUMN_SPECS.user.map((s) => s.header.ja));
    const instructions = sheets.get('記入方法')!;
    expect(instructions.some((r) => r[0] === 'ops')).toBe(true);
    expect(instructions.some((r) => r[0] === 'Sales')).toBe(true);
    expect(instructions.some((r) => r[0] === 'Other group')).toBe(false);
    expect(instructions.map((r) => r.join('')).join('\n')).toContain('2030年1月2日');
  });

  it('refuses plain members (forbidden) and actors outside a tenant (not found) before writing anything', async () => {
    const member = await actorFor(db, m.ravi!.userId, ca);
    const output = new PassThrough();
    let written = 0;
    output.on('data', (c: Buffer) => (written += c.length));
    await expect(streamCurrentData(member, output, 'en')).rejects.toBeInstanceOf(ForbiddenError);
    // Outside any tenant (a platform operator's pages): nothing to export.
    const operator = await actorFor(db, await createOperator(db, { email: 'operator@tenantry.example' }));
    await expect(streamCurrentData(operator, output, 'en')).rejects.toBeInstanceOf(NotFoundError);
    expect(written).toBe(0);
  });

  it('gives the empty template with the tenant root in its examples', async () => {
    const actor = await actorFor(db, m.admin!.userId, ca);
    const context = await prepareImportDownload(db, actor);
    const buffer = await collect((out) => writeTemplateFor(context, out, 'en'));
    const sheets = await readSheetsStreaming(buffer);
    expect(sheets.get('Organizations')).toEqual([ORG_HEADER]);
    expect(sheets.get('Users')).toEqual([USER_HEADER]);
    expect(sheets.get('Instructions')!.some((r) => r[3] === 'CA__Sales')).toBe(true);
    expect(await sheetXml(buffer, 'workbook')).toContain('state="veryHidden"');
  });
});

// ---------------------------------------------------------------------------------------------

interface RowSpec {
  entity: Entity;
  rowNumber: number;
  cells: string[];
  values: Partial<Record<ColumnKey, string>>;
  planned: RowOutcome | null;
  outcome?: RowOutcome | null;
  messageKey?: string;
  messageParams?: Record<string, string | number>;
}

/** An import uploaded by the tenant admin with these rows, as `authorize` loads it for them (import.view). */
async function importWith(options: { locale: 'en' | 'ja'; status: ImportStatus; headers: ImportHeaders; rows: RowSpec[] }): Promise<ImportSummary> {
  const id = await addImport(db, ca, { uploadedByUserId: m.admin!.userId, status: options.status, fileName: 'people.xlsx' });
  await db.update(imports).set({ locale: options.locale, headers: options.headers }).where(eq(imports.id, id));
  await db.insert(importRows).values(
    options.rows.map((r, i) => ({
      importId: id,
      entity: r.entity,
      rowNumber: r.rowNumber,
      seq: i,
      cells: r.cells,
      values: r.values,
      plannedOutcome: r.planned,
      outcome: r.outcome ?? null,
      messageKey: r.messageKey ?? null,
      messageParams: r.messageParams ?? null,
    })),
  );
  const admin = await actorFor(db, m.admin!.userId, ca);
  return (await authorize(db, admin, 'import.view', { type: 'import', id })).import;
}

const uploadedHeaders: ImportHeaders = {
  organization: { labels: ['組織名', '親組織', 'Notes'], columns: ['name', 'parent', null] },
  user: { labels: ['E-mail', 'Organization', 'Administrator', 'Employee No'], columns: ['email', 'org', 'admin', null] },
};
const uploadedRows: RowSpec[] = [
  { entity: 'user', rowNumber: 4, cells: ['b@ca.example', 'CA__Nowhere', 'Y', '=2+2'], values: { email: 'b@ca.example', org: 'CA__Nowhere', admin: 'Y' }, planned: 'error', messageKey: 'noSuchMessageYet', messageParams: { column: 'org' } },
  { entity: 'user', rowNumber: 2, cells: ['a@ca.example', 'CA__India', 'N', '001'], values: { email: 'a@ca.example', org: 'CA__India', admin: 'N' }, planned: 'created', outcome: 'created' },
  { entity: 'user', rowNumber: 3, cells: ['ravi@ca.example', 'CA__India__HR'], values: { email: 'ravi@ca.example', org: 'CA__India__HR' }, planned: 'unchanged', outcome: 'unchanged' },
  { entity: 'user', rowNumber: 6, cells: ['x@ca.example', 'CA__US', 'maybe', ''], values: { email: 'x@ca.example', org: 'CA__US', admin: 'maybe' }, planned: 'updated', outcome: 'error', messageKey: 'errors.invalidYesNo', messageParams: { column: 'admin', value: 'maybe' } },
  { entity: 'organization', rowNumber: 2, cells: ['Sales', 'CA', 'new'], values: { name: 'Sales', parent: 'CA' }, planned: 'created', outcome: 'created' },
  { entity: 'organization', rowNumber: 3, cells: ['Gone', 'CA__India'], values: { name: 'Gone', parent: 'CA__India' }, planned: 'not_found', outcome: 'not_found' },
];

describe('the results workbook', () => {
  it('repeats the uploaded rows with Result and Message, English words for an English import, failures highlighted', async () => {
    const imp = await importWith({ locale: 'en', status: 'completed', headers: uploadedHeaders, rows: uploadedRows });
    const buffer = await collect((out) => writeResultsWorkbook(db, imp, out, { batchSize: 2 }));
    const wb = await loadWorkbook(buffer);
    expect(wb.worksheets.map((w) => [w.name, w.state])).toEqual([
      ['Organizations', 'visible'],
      ['Users', 'visible'],
      [MARKER_SHEET, 'veryHidden'],
    ]);
    const orgs = wb.getWorksheet('Organizations')!;
    expect(rowTexts(orgs, 1)).toEqual(['組織名', '親組織', 'Notes', 'Result', 'Message']);
    expect(rowTexts(orgs, 2)).toEqual(['Sales', 'CA', 'new', 'created']);
    expect(rowTexts(orgs, 3)).toEqual(['Gone', 'CA__India', '', 'not found']);

    const users = wb.getWorksheet('Users')!;
    expect(rowTexts(users, 1)).toEqual(['E-mail', 'Organization', 'Administrator', 'Employee No', 'Result', 'Message']);
    // By row number, the cells as uploaded (a formula-like one neutralised).
    expect(rowTexts(users, 2)).toEqual(['a@ca.example', 'CA__India', 'N', '001', 'created']);
    expect(rowTexts(users, 3)).toEqual(['ravi@ca.example', 'CA__India__HR', '', '', 'unchanged']);
    // A key the importRows catalogue lacks falls back to the key itself.
    expect(rowTexts(users, 4)).toEqual(['b@ca.example', 'CA__Nowhere', 'Y', "'=2+2", 'error', 'noSuchMessageYet']);
    // A planner message in the import's language, its column named by the uploaded header.
    expect(rowTexts(users, 5)).toEqual(['x@ca.example', 'CA__US', 'maybe', '', 'error', 'Administrator: “maybe” is not Y or N.']);

    const fill = (row: number, col: number) => {
      const f = users.getRow(row).getCell(col).fill;
      return f?.type === 'pattern' ? f.fgColor?.argb : undefined;
    };
    for (const row of [4, 5]) for (let col = 1; col <= 6; col++) expect(fill(row, col)).toBe('FFFFC7CE');
    for (const row of [2, 3]) expect(fill(row, 1)).toBeUndefined();
    expect(users.getRow(1).getCell(5).font?.bold).toBe(true);
    expect(users.autoFilter).toBe('A1:F5');
    expect(rowTexts(wb.getWorksheet(MARKER_SHEET)!, 3)).toEqual(['kind', 'results']);
  });

  it('is in Japanese for a Japanese import, and a preview shows the planned outcomes', async () => {
    const imp = await importWith({ locale: 'ja', status: 'planned', headers: uploadedHeaders, rows: uploadedRows.map((r) => ({ ...r, outcome: null })) });
    const sheets = await readSheetsStreaming(await collect((out) => writeResultsWorkbook(db, imp, out)));
    const users = sheets.get('Users')!;
    expect(users[0]).toEqual(['E-mail', 'Organization', 'Administrator', 'Employee No', '結果', 'メッセージ']);
    expect(users.map((r) => r[4])).toEqual(['結果', '作成', '変更なし', 'エラー', '更新']);
    expect(sheets.get('Organizations')!.map((r) => r[3])).toEqual(['結果', '作成', '該当なし']);
    expect(users[4]![5]).toMatch(/^Administrator/);
    expect(users[4]![5]).not.toBe('errors.invalidYesNo');
  });

  it('reports rows an interrupted apply never reached as not applied, not as planned', async () => {
    const rows: RowSpec[] = [
      { entity: 'user', rowNumber: 2, cells: ['a@ca.example', 'CA'], values: { email: 'a@ca.example', org: 'CA' }, planned: 'created', outcome: 'created' },
      { entity: 'user', rowNumber: 3, cells: ['b@ca.example', 'CA'], values: { email: 'b@ca.example', org: 'CA' }, planned: 'created' },
      { entity: 'user', rowNumber: 4, cells: ['c@ca.example', 'X'], values: { email: 'c@ca.example', org: 'X' }, planned: 'error', messageKey: 'planError' },
    ];
    const imp = await importWith({ locale: 'en', status: 'cancelled', headers: { user: { labels: ['Email Address', 'Organization'], columns: ['email', 'org'] } }, rows });
    const sheets = await readSheetsStreaming(await collect((out) => writeResultsWorkbook(db, imp, out)));
    expect(sheets.get('Users')).toEqual([
      ['Email Address', 'Organization', 'Result', 'Message'],
      ['a@ca.example', 'CA', 'created', ''],
      ['b@ca.example', 'CA', '', 'Not applied: the import stopped before this row.'],
      ['c@ca.example', 'X', 'error', 'planError'],
    ]);
    // Only the sheets the file had.
    expect([...sheets.keys()]).toEqual(['Users', MARKER_SHEET]);
  });

  it('gives the failed rows alone in template form, ready to fix and upload again', async () => {
    const imp = await importWith({ locale: 'en', status: 'completed', headers: uploadedHeaders, rows: uploadedRows });
    const buffer = await collect((out) => writeResultsWorkbook(db, imp, out, { onlyFailed: true, batchSize: 1 }));
    const wb = await loadWorkbook(buffer);
    expect(wb.worksheets.map((w) => w.name)).toEqual(['Instructions', 'Organizations', 'Users', MARKER_SHEET]);
    expect(rowTexts(wb.getWorksheet('Organizations')!, 1)).toEqual([...ORG_HEADER, 'Message']);
    expect(wb.getWorksheet('Organizations')!.rowCount).toBe(1);
    const users = wb.getWorksheet('Users')!;
    // Template headers and order; values as normalised by the reader; the reason at the end.
    expect(rowTexts(users, 1)).toEqual([...USER_HEADER, 'Message']);
    expect(rowTexts(users, 2)).toEqual(['b@ca.example', '', '', 'CA__Nowhere', 'Y', '', '', '', '', 'noSuchMessageYet']);
    expect(rowTexts(users, 3)).toEqual(['x@ca.example', '', '', 'CA__US', 'maybe', '', '', '', '', 'Administrator: “maybe” is not Y or N.']);
    expect(users.rowCount).toBe(3);
    // Drop-downs and notes as in the template; it opens on the sheet with failures.
    expect(await sheetXml(buffer, 'Users')).toContain('sqref="E2:E200001"');
    expect(users.getCell('A1').note).toBeTruthy();
    expect(await sheetXml(buffer, 'workbook')).toContain('activeTab="2"');
    expect(rowTexts(wb.getWorksheet(MARKER_SHEET)!, 3)).toEqual(['kind', 'failedRows']);
    expect(rowTexts(wb.getWorksheet('Instructions')!, 2)[0]).toContain('people.xlsx');
  });

  it('is reached through authorize: an unknown import, or one an org admin did not upload, is not found', async () => {
    const admin = await actorFor(db, m.admin!.userId, ca);
    await expect(authorize(db, admin, 'import.view', { type: 'import', id: '00000000-0000-4000-8000-000000000000' })).rejects.toBeInstanceOf(NotFoundError);
    const imp = await importWith({ locale: 'en', status: 'completed', headers: uploadedHeaders, rows: uploadedRows });
    const orgAdmin = await actorFor(db, m.india!.userId, ca);
    await expect(authorize(db, orgAdmin, 'import.view', { type: 'import', id: imp.id })).rejects.toBeInstanceOf(NotFoundError);
  });
});
