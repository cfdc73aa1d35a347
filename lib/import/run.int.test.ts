import { and, count, eq, getTableColumns, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { auditEvents, emailMessages, importRows, imports, organizations, tenantMembers, users } from '@/db/schema';
import { createTestDatabase, type TestDatabase } from '@/db/testing';
import type { Actor } from '@/lib/actor';
import { cancelImport, discardImport, listImportRows, loadImport, loadImportProgress, requestApply, uploadImport } from '@/lib/imports';
import { actorFor, addMember, addOrgs, createTenantFixture, type MemberFixture, type TenantFixture } from '@/lib/testing/fixtures';
import { importCsv, importWorkbook, manyUsers } from '@/lib/testing/import-files';
import { dbFingerprint } from '@/lib/testing/db-fingerprint';
import { getQueue } from '@/workers/jobs';
import { tearDownQueues } from '@/workers/testing';
import { ImportFileError } from './errors';
import { resendInvitation } from '@/lib/invitations';
import { createOrganization } from '@/lib/orgs';
import { importsAwaitingInvitations, issueImportInvitations } from './invite';
import { appliedColumns } from './row-outcome';
import { runApply, runPlan, sweepImports } from './run';

// Own BullMQ key space: the lifecycle rings jobs, and this file looks at them.
vi.hoisted(() => {
  process.env.QUEUE_PREFIX = `test-import-run-${process.pid}-${Date.now()}`;
});

let tdb: TestDatabase;
let db: TestDatabase['db'];
let ca: TenantFixture;
let other: TenantFixture;
let admin: MemberFixture;
let indiaAdmin: MemberFixture;
let adminActor: Actor;

beforeAll(async () => {
  tdb = await createTestDatabase();
  db = tdb.db;
  ca = await createTenantFixture(db, { slug: 'ca', orgPaths: ['CA__Sales'] });
  other = await createTenantFixture(db, { slug: 'other', orgPaths: ['Other__Sales'] });
  admin = await addMember(db, ca, { email: 'admin@ca.example', isTenantAdmin: true, orgs: [{ path: 'CA', isAdmin: true }] });
  await addMember(db, other, { email: 'admin@other.example', isTenantAdmin: true, orgs: [{ path: 'Other', isAdmin: true }] });
  adminActor = await actorFor(db, admin.userId, ca);
});

afterAll(async () => {
  await tearDownQueues();
  await tdb?.drop();
});

async function upload(actor: Actor, file: Buffer, options: { operation?: 'upsert' | 'delete'; fileName?: string; autoApply?: boolean } = {}) {
  const { importId } = await uploadImport(db, actor, {
    // The reader goes by the bytes and the name: a zip is a workbook, anything else a CSV.
    fileName: options.fileName ?? (file.subarray(0, 2).toString() === 'PK' ? 'people.xlsx' : 'people.csv'),
    content: file,
    operation: options.operation ?? 'upsert',
    locale: 'en',
    autoApply: options.autoApply,
  });
  return importId;
}

async function importRow(id: string) {
  const [row] = await db.select().from(imports).where(eq(imports.id, id));
  return row!;
}

/** The import's rows with their applied outcome as the screens read it (lib/import/row-outcome). */
async function appliedImportRows(id: string) {
  const through = (await importRow(id)).appliedThroughSeq;
  return db.select({ ...getTableColumns(importRows), ...appliedColumns(through) }).from(importRows).where(eq(importRows.importId, id));
}

/** Everything but the import's own tables: what a preview must leave untouched. */
async function fingerprintOutsideImports() {
  const { imports: _i, import_rows: _r, ...rest } = await dbFingerprint(db);
  return rest;
}

const tenantMemberCount = async (tenantId: string) =>
  (await db.select({ n: count() }).from(tenantMembers).where(eq(tenantMembers.tenantId, tenantId)))[0]!.n;

describe('upload', () => {
  it('refuses a file that cannot be an import at once, storing nothing', async () => {
    const before = await dbFingerprint(db);
    await expect(upload(adminActor, Buffer.from('%PDF-1.4 not a spreadsheet'), { fileName: 'report.pdf' })).rejects.toBeInstanceOf(ImportFileError);
    await expect(upload(adminActor, Buffer.from('Email Address,Organization\n'))).rejects.toMatchObject({ key: 'noRows' });
    await expect(upload(adminActor, Buffer.from('Name,Amount\nPens,3\n'), { fileName: 'x.csv' })).rejects.toMatchObject({ key: 'csvAmbiguous' });
    expect(await dbFingerprint(db)).toEqual(before);
  });

  it('stores the file, counts its rows and rings the planner', async () => {
    const id = await upload(adminActor, importCsv('user', manyUsers(3, ['CA__Sales'], 'ring.example')), { fileName: 'C:\\Users\\me\\ring.csv' });
    const row = await importRow(id);
    expect(row).toMatchObject({ status: 'uploaded', totalRows: 3, fileName: 'ring.csv', source: 'web', tenantId: ca.id });
    const job = await (await getQueue('import')).getJob(`import.plan-${id}`);
    expect(job?.data).toEqual({ importId: id });
    await discardImport(db, adminActor, id);
  });

  it('is for administrators: a plain member cannot upload; imports of another tenant are not found', async () => {
    const plain = await addMember(db, ca, { email: 'plain@ca.example', orgs: [{ path: 'CA__Sales' }] });
    const plainActor = await actorFor(db, plain.userId, ca);
    await expect(upload(plainActor, importCsv('user', manyUsers(1, ['CA'])))).rejects.toMatchObject({ code: 'forbidden' });
    const id = await upload(adminActor, importCsv('user', manyUsers(1, ['CA'], 'x.example')));
    const otherAdmin = await actorFor(db, (await db.select().from(users).where(eq(users.email, 'admin@other.example')))[0]!.id, other);
    await expect(loadImportProgress(db, otherAdmin, id)).rejects.toMatchObject({ code: 'not_found' });
    await expect(requestApply(db, otherAdmin, id)).rejects.toMatchObject({ code: 'not_found' });
    await discardImport(db, adminActor, id);
  });
});

describe('preview, then apply', () => {
  it("plans the customer's manual without changing anything, then applies it in batches", async () => {
    const file = await importWorkbook({
      organization: [
        { name: 'HR', parent: 'CA__US' }, // listed before its parent: planned after it
        { name: 'India', parent: 'CA' },
        { name: 'US', parent: 'CA' },
        { name: 'HR', parent: 'CA__India' },
      ],
      user: [
        { email: 'ravi@manual.example', firstName: 'Ravi', lastName: 'Kumar', org: 'CA__India__HR' },
        { email: 'ravi@manual.example', org: 'CA__US' },
        { email: 'amy@manual.example', firstName: 'Amy', lastName: 'Lee', org: 'CA__US__HR', admin: 'Y' },
        { email: 'nobody@manual.example', org: 'CA__Nowhere' },
      ],
    });
    const id = await upload(adminActor, file);
    const before = await fingerprintOutsideImports();
    await runPlan(db, id);
    expect(await fingerprintOutsideImports()).toEqual(before);
    const planned = await importRow(id);
    expect(planned.status).toBe('planned');
    // Ravi's second row adds a membership to the person his first row creates: an update.
    expect(planned.plannedCounts).toEqual({ created: 6, updated: 1, unchanged: 0, deleted: 0, not_found: 0, error: 1 });

    await requestApply(db, adminActor, id);
    expect((await importRow(id)).status).toBe('queued');
    await runApply(db, id, { batchSize: 3 });
    const done = await importRow(id);
    expect(done).toMatchObject({ status: 'completed', processedRows: 8, totalRows: 8 });
    expect(done.counts).toEqual({ created: 6, updated: 1, unchanged: 0, deleted: 0, not_found: 0, error: 1 });
    const paths = (await db.select({ p: organizations.namePath }).from(organizations).where(eq(organizations.tenantId, ca.id))).map((r) => r.p).sort();
    expect(paths).toEqual(['CA', 'CA__India', 'CA__India__HR', 'CA__Sales', 'CA__US', 'CA__US__HR']);
    // Every row has its applied outcome; the error row keeps its message.
    const rows = await appliedImportRows(id);
    expect(rows.every((r) => r.outcome !== null && r.applied)).toBe(true);
    expect(rows.find((r) => r.entity === 'user' && r.rowNumber === 5)).toMatchObject({ outcome: 'error', messageKey: expect.stringMatching(/^errors\./) });
    // Changes are audited with the import's id.
    const audited = await db.select({ n: count() }).from(auditEvents).where(and(eq(auditEvents.importId, id), sql`${auditEvents.action} <> 'import.upload' and ${auditEvents.action} <> 'import.apply'`));
    expect(audited[0]!.n).toBeGreaterThanOrEqual(7);
    // Invitations for the two new people, issued after the apply (the invitation.import job) and queued for the email worker.
    expect(await issueImportInvitations(db, id)).toBe(2);
    expect(await issueImportInvitations(db, id)).toBe(0);
    const invites = await db.select().from(emailMessages).where(and(eq(emailMessages.template, 'invitation'), sql`${emailMessages.toAddress} like '%@manual.example'`));
    expect(invites.map((m) => m.toAddress).sort()).toEqual(['amy@manual.example', 'ravi@manual.example']);
    const progress = await loadImportProgress(db, adminActor, id);
    expect(progress).toMatchObject({ status: 'completed', percent: 100, processedRows: 8, secondsLeft: null });
  });

  it('applies automatically when asked (apply=auto): planned straight into the line', async () => {
    const id = await upload(adminActor, importCsv('user', manyUsers(2, ['CA__Sales'], 'auto.example')), { autoApply: true });
    await runPlan(db, id);
    expect((await importRow(id)).status).toBe('queued');
    await runApply(db, id);
    expect(await importRow(id)).toMatchObject({ status: 'completed', processedRows: 2 });
  });

  it('a discarded preview leaves no rows and cannot be applied', async () => {
    const id = await upload(adminActor, importCsv('user', manyUsers(2, ['CA'], 'discard.example')));
    await runPlan(db, id);
    await discardImport(db, adminActor, id);
    expect((await importRow(id)).status).toBe('discarded');
    expect((await db.select({ n: count() }).from(importRows).where(eq(importRows.importId, id)))[0]!.n).toBe(0);
    await expect(requestApply(db, adminActor, id)).rejects.toMatchObject({ code: 'import_not_planned' });
  });
});

describe('one import at a time per tenant', () => {
  it('a later file waits in line, then runs when the first finishes; another tenant is not held up', async () => {
    const first = await upload(adminActor, importCsv('user', manyUsers(4, ['CA__Sales'], 'first.example')));
    const second = await upload(adminActor, importCsv('user', manyUsers(2, ['CA__Sales'], 'second.example')));
    await runPlan(db, first);
    await runPlan(db, second);
    await requestApply(db, adminActor, first);
    await requestApply(db, adminActor, second);
    expect((await loadImportProgress(db, adminActor, second)).queuePosition).toBe(1);
    // The second's job runs first: it is not its turn, so nothing happens.
    await runApply(db, second);
    expect((await importRow(second)).status).toBe('queued');
    // Another tenant's line is its own.
    const otherAdmin = await actorFor(db, (await db.select().from(users).where(eq(users.email, 'admin@other.example')))[0]!.id, other);
    const elsewhere = await upload(otherAdmin, importCsv('user', manyUsers(2, ['Other__Sales'], 'elsewhere.example')));
    await runPlan(db, elsewhere);
    await requestApply(db, otherAdmin, elsewhere);
    await runApply(db, elsewhere);
    expect((await importRow(elsewhere)).status).toBe('completed');
    await runApply(db, first, { batchSize: 2 });
    expect((await importRow(first)).status).toBe('completed');
    // Finishing rang the next in line.
    expect((await (await getQueue('import')).getJob(`import.apply-${second}`))?.data).toEqual({ importId: second });
    expect((await loadImportProgress(db, adminActor, second)).queuePosition).toBe(0);
    await runApply(db, second);
    expect((await importRow(second)).status).toBe('completed');
  });
});

describe('cancel and crashes', () => {
  it('cancels a waiting import at once and a running one between batches; what was applied stays', async () => {
    const waiting = await upload(adminActor, importCsv('user', manyUsers(2, ['CA'], 'wait.example')));
    await runPlan(db, waiting);
    await requestApply(db, adminActor, waiting);
    expect(await cancelImport(db, adminActor, waiting)).toEqual({ status: 'cancelled' });
    expect((await importRow(waiting)).status).toBe('cancelled');

    const running = await upload(adminActor, importCsv('user', manyUsers(10, ['CA__Sales'], 'cancel.example')));
    await runPlan(db, running);
    await requestApply(db, adminActor, running);
    await runApply(db, running, {
      batchSize: 4,
      onBatch: async (processed) => {
        if (processed === 4) expect(await cancelImport(db, adminActor, running)).toEqual({ status: 'applying' });
      },
    });
    const row = await importRow(running);
    // The cancel came once the first batch had committed. The second was on its way already (two
    // batches are applied side by side): it commits or rolls back, whichever reaches the import row
    // first; the third never starts. What was applied stays and is reported, consistently.
    expect(row.status).toBe('cancelled');
    expect([4, 8]).toContain(row.processedRows);
    const applied = row.processedRows;
    expect(row.counts).toMatchObject({ created: applied });
    const rows = await appliedImportRows(running);
    expect(rows.filter((r) => !r.applied && r.outcome === null)).toHaveLength(10 - applied);
    // As the import screen filters them: the stored plan took effect up to the cancel, no further.
    const summary = await loadImport(db, adminActor, running);
    expect((await listImportRows(db, summary, { outcome: 'created' })).total).toBe(applied);
    expect((await listImportRows(db, summary, { outcome: 'not_applied' })).total).toBe(10 - applied);
    expect((await listImportRows(db, summary)).rows.map((r) => [r.outcome, r.applied])).toEqual([
      ...Array.from({ length: applied }, () => ['created', true]),
      ...Array.from({ length: 10 - applied }, () => [null, false]),
    ]);
    const created = await db.select({ n: count() }).from(users).where(sql`${users.email} like '%@cancel.example'`);
    expect(created[0]!.n).toBe(applied);
  });

  it('applies the stored plan when the tenant is as the preview saw it, and plans again when someone changed it meanwhile', async () => {
    const logs: string[] = [];
    const log = (line: string) => logs.push(line);

    // Unchanged: the stored plan, batch by batch.
    const same = await upload(adminActor, importCsv('user', manyUsers(5, ['CA__Sales'], 'stored-plan.example')));
    await runPlan(db, same);
    await requestApply(db, adminActor, same);
    await runApply(db, same, { batchSize: 2, log });
    expect(logs.at(-2)).toMatch(/the stored plan/);
    const applied = await importRow(same);
    expect(applied).toMatchObject({ status: 'completed', processedRows: 5 });
    expect(applied.counts).toMatchObject({ created: 5, error: 0 });
    // Taken as planned: no row rewritten, the import says how far the plan took effect.
    expect(applied.appliedThroughSeq).toBe(5);
    const storedRows = await appliedImportRows(same);
    expect(storedRows.every((r) => r.outcome === r.plannedOutcome && r.applied && r.appliedAt === null)).toBe(true);

    // Someone adds one of the file's people by hand after the preview: the plan no longer holds.
    const changed = await upload(adminActor, importCsv('user', manyUsers(3, ['CA__Sales'], 'replanned.example')));
    await runPlan(db, changed);
    expect((await importRow(changed)).plannedCounts).toMatchObject({ created: 3 });
    await addMember(db, ca, { email: 'user000001@replanned.example', orgs: [{ path: 'CA__Sales' }] });
    await requestApply(db, adminActor, changed);
    await runApply(db, changed, { batchSize: 2, log });
    expect(logs.at(-2)).toMatch(/planned again/);
    const done = await importRow(changed);
    expect(done).toMatchObject({ status: 'completed', processedRows: 3 });
    expect(done.counts).toMatchObject({ created: 2, error: 0 });
    const rows = await db.select().from(importRows).where(eq(importRows.importId, changed));
    expect(rows.filter((r) => r.outcome === 'created')).toHaveLength(2);
    expect(rows.find((r) => r.outcome !== 'created')?.plannedOutcome).toBe('created');
  });

  it('resumes after a run dies between batches, applying no row twice', async () => {
    const id = await upload(adminActor, importCsv('user', manyUsers(9, ['CA__Sales'], 'resume.example')));
    await runPlan(db, id);
    await requestApply(db, adminActor, id);
    const members = await tenantMemberCount(ca.id);
    await expect(
      runApply(db, id, {
        batchSize: 2,
        onBatch: (processed) => {
          if (processed === 4) throw new Error('the worker died');
        },
      }),
    ).rejects.toThrow('the worker died');
    // Batches of independent rows go two at a time: the one after the fourth row was in flight and committed.
    expect(await importRow(id)).toMatchObject({ status: 'applying', processedRows: 6 });
    // A second run (the job retried, or rung by the sweep) picks up at row 7.
    await sweepImports(db);
    await runApply(db, id, { batchSize: 2 });
    const row = await importRow(id);
    expect(row).toMatchObject({ status: 'completed', processedRows: 9 });
    expect(row.counts).toMatchObject({ created: 9, error: 0 });
    expect(await tenantMemberCount(ca.id)).toBe(members + 9);
    const creations = await db.select({ n: count() }).from(auditEvents).where(and(eq(auditEvents.importId, id), eq(auditEvents.action, 'member.create')));
    expect(creations[0]!.n).toBe(9);
    await issueImportInvitations(db, id);
    const invites = await db.select({ n: count() }).from(emailMessages).where(sql`${emailMessages.toAddress} like '%@resume.example'`);
    expect(invites[0]!.n).toBe(9);
  });

  it('a person listed in several orgs, in different batches, ends with every membership', async () => {
    await addOrgs(db, ca, ['CA__Multi 1', 'CA__Multi 2', 'CA__Multi 3']);
    const person = (org: string) => ({ email: 'Pat@Multi.example', firstName: 'Pat', lastName: 'Multi', org });
    const rows = [person('CA__Multi 1'), ...manyUsers(2, ['CA__Sales'], 'multi-a.example'), person('CA__Multi 2'), ...manyUsers(2, ['CA__Sales'], 'multi-b.example'), person('CA__Multi 3')];
    const id = await upload(adminActor, importCsv('user', rows));
    await runPlan(db, id);
    await requestApply(db, adminActor, id);
    // One row a batch: the member created by the first row is looked up again by later batches.
    await runApply(db, id, { batchSize: 1 });
    const row = await importRow(id);
    expect(row).toMatchObject({ status: 'completed', processedRows: 7 });
    expect(row.counts).toMatchObject({ error: 0 });
    const orgs = await db.execute<{ path: string }>(sql`
      select o.name_path as path from org_memberships m join organizations o on o.id = m.org_id
      join tenant_members t on t.id = m.member_id join users u on u.id = t.user_id
      where lower(u.email) = 'pat@multi.example' order by 1`);
    expect(orgs.map((o) => o.path)).toEqual(['CA__Multi 1', 'CA__Multi 2', 'CA__Multi 3']);
  });

  it('two runs of the same import at once apply it once', async () => {
    const id = await upload(adminActor, importCsv('user', manyUsers(12, ['CA__Sales'], 'twice.example')));
    await runPlan(db, id);
    await requestApply(db, adminActor, id);
    const members = await tenantMemberCount(ca.id);
    await Promise.all([runApply(db, id, { batchSize: 3 }), runApply(db, id, { batchSize: 3 })]);
    expect(await importRow(id)).toMatchObject({ status: 'completed', processedRows: 12 });
    expect(await tenantMemberCount(ca.id)).toBe(members + 12);
    expect((await appliedImportRows(id)).filter((r) => r.applied)).toHaveLength(12);
  });
});

describe('invitations after the apply (invitation.import)', () => {
  it('invites each member the import created once, in chunks, only from orgs with notifications on, leaving people handled meanwhile alone', async () => {
    await createOrganization(db, adminActor, { parentId: ca.root.id, name: 'Quiet', description: '', emailNotifications: false });
    const rows = [
      ...manyUsers(4, ['CA__Sales'], 'invite.example'),
      { email: 'quiet@invite.example', firstName: 'Q', lastName: 'Uiet', org: 'CA__Quiet' },
      { email: 'off@invite.example', firstName: 'O', lastName: 'Ff', org: 'CA__Sales', active: 'N' },
    ];
    const id = await upload(adminActor, importCsv('user', rows));
    await runPlan(db, id);
    await requestApply(db, adminActor, id);
    await runApply(db, id);
    expect(await importRow(id)).toMatchObject({ status: 'completed', invitationsIssuedAt: null });
    const tokensOf = () =>
      db.execute<{ email: string; sent: boolean; n: number }>(sql`
        select u.email, bool_or(t.email_sent_at is not null) as sent, count(*)::int as n from user_tokens t join users u on u.id = t.user_id
        where u.email like '%@invite.example' group by u.email order by u.email`);
    // Nothing issued by the apply itself; the admin resends one invitation by hand meanwhile.
    expect(await tokensOf()).toEqual([]);
    const [first] = await db.select({ id: tenantMembers.id }).from(tenantMembers).innerJoin(users, eq(users.id, tenantMembers.userId)).where(eq(users.email, 'user000000@invite.example'));
    await resendInvitation(db, adminActor, first!.id);

    // Chunks of 2: every remaining invited member gets one token; Quiet's is stored unsent; the deactivated one gets none.
    expect(await issueImportInvitations(db, id, { chunk: 2 })).toBe(4);
    expect(await tokensOf()).toEqual([
      { email: 'quiet@invite.example', sent: false, n: 1 },
      { email: 'user000000@invite.example', sent: true, n: 1 },
      { email: 'user000001@invite.example', sent: true, n: 1 },
      { email: 'user000002@invite.example', sent: true, n: 1 },
      { email: 'user000003@invite.example', sent: true, n: 1 },
    ]);
    const mail = await db.select({ to: emailMessages.toAddress, key: emailMessages.idempotencyKey }).from(emailMessages).where(sql`${emailMessages.toAddress} like '%@invite.example'`);
    expect(mail.map((m) => m.to).sort()).toEqual(['user000000@invite.example', 'user000001@invite.example', 'user000002@invite.example', 'user000003@invite.example']);
    const sends = await db.select({ n: count() }).from(auditEvents).where(and(eq(auditEvents.importId, id), eq(auditEvents.action, 'invitation.send')));
    expect(sends[0]!.n).toBe(3);

    // Done: marked, not found by the sweep, and a repeat (a duplicated or re-rung job) issues nothing.
    expect((await importRow(id)).invitationsIssuedAt).not.toBeNull();
    expect(await importsAwaitingInvitations(db)).not.toContain(id);
    const before = await dbFingerprint(db);
    expect(await issueImportInvitations(db, id)).toBe(0);
    expect(await dbFingerprint(db)).toEqual(before);
  });

  it('is found by the sweep when the job was lost, and not before the import has finished', async () => {
    const id = await upload(adminActor, importCsv('user', manyUsers(2, ['CA__Sales'], 'lost-invite.example')));
    await runPlan(db, id);
    // Planned, not applied: nothing to invite yet.
    expect(await issueImportInvitations(db, id)).toBe(0);
    expect(await importsAwaitingInvitations(db)).not.toContain(id);
    await requestApply(db, adminActor, id);
    await runApply(db, id);
    expect(await importsAwaitingInvitations(db)).toContain(id);
    expect(await issueImportInvitations(db, id)).toBe(2);
    expect(await importsAwaitingInvitations(db)).not.toContain(id);
  });
});

describe('org administrators', () => {
  it("plan with the uploader's scope: rows outside their subtree are errors, and they see only their imports", async () => {
    indiaAdmin = await addMember(db, ca, { email: 'sales.admin@ca.example', orgs: [{ path: 'CA__Sales', isAdmin: true }] });
    const actor = await actorFor(db, indiaAdmin.userId, ca);
    const id = await upload(
      actor,
      importCsv('user', [
        { email: 'in@scope.example', org: 'CA__Sales' },
        { email: 'out@scope.example', org: 'CA' },
      ]),
    );
    await runPlan(db, id);
    const rows = await db.select().from(importRows).where(eq(importRows.importId, id)).orderBy(importRows.rowNumber);
    expect(rows.map((r) => [r.plannedOutcome, r.messageKey])).toEqual([
      ['created', null],
      ['error', 'errors.outsideScope'],
    ]);
    const adminsImport = await upload(adminActor, importCsv('user', manyUsers(1, ['CA'], 'mine.example')));
    await expect(loadImportProgress(db, actor, adminsImport)).rejects.toMatchObject({ code: 'not_found' });
    await expect(cancelImport(db, actor, adminsImport)).rejects.toMatchObject({ code: 'not_found' });
    expect((await loadImportProgress(db, adminActor, id)).status).toBe('planned');
  });
});
