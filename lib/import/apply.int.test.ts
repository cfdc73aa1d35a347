import { createHash } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '@/db/client';
import { createTestDatabase, type TestDatabase } from '@/db/testing';
import type { Actor } from '@/lib/actor';
import { adminScope, type AdminScope } from '@/lib/authz';
import { addGroupMembers as addToGroup, removeGroupMembers as removeFromGroup } from '@/lib/groups';
import { createOrganization, updateOrganization } from '@/lib/orgs';
import { dbFingerprint } from '@/lib/testing/db-fingerprint';
import {
  actorFor,
  addGroup,
  addImport,
  addMember,
  addService,
  createTenantFixture,
  type MemberFixture,
  type TenantFixture,
} from '@/lib/testing/fixtures';
import { sheetRows } from '@/lib/testing/import-plan-fixtures';
import { addGroupMembers, grantServiceAccess } from '@/lib/testing/permissions-fixtures';
import { addUser, deactivateMember, reactivateMember, setMembershipAdmin, setServiceAccess, updateMember } from '@/lib/users';
import { applyBatch } from './apply';
import { issueImportInvitations } from './invite';
import type { ColumnKey, Operation } from './columns';
import { type ImportPlan, type ImportRowInput, planImport, type PlannedRow } from './plan';
import { loadExternalUsers, loadTenantSnapshot, type TenantSnapshot } from './snapshot';

/*
 * applyBatch against real PostgreSQL: every outcome, invitations, audit, batches that build on
 * earlier ones through the snapshot they update, and the same end state as the product's
 * single-item functions (a second database does the same file by hand).
 */

let tdb: TestDatabase;
let db: Database;
let seq = 0;

beforeAll(async () => {
  tdb = await createTestDatabase();
  db = tdb.db;
});
afterAll(async () => {
  await tdb?.drop();
});

type Cells = Partial<Record<ColumnKey, string>>;
const orgRows = (rows: Cells[]) => sheetRows('organization', rows);
const userRows = (rows: Cells[], firstRow = 2) => sheetRows('user', rows, firstRow);

interface World {
  n: number;
  ca: TenantFixture;
  other: TenantFixture;
  svc: { cloud: string; playbook: string };
  svcId: { cloud: string; playbook: string };
  groups: { sales: string; eng: string };
  people: Record<'ta' | 'ravi' | 'hana' | 'mary' | 'never' | 'hr', MemberFixture>;
  /** Emails of people who are not members of CA yet. */
  outside: { shared: string; pending: string; unused: string };
  actor: Actor;
  scope: AdminScope;
}

/**
 * CA (India, India__HR, US, Quiet with notifications off) with members in every state, services,
 * groups; OTHER holds a registered and an invited identity; one identity is in no tenant at all.
 */
async function world(d: Database = db, n = ++seq): Promise<World> {
  const ca = await createTenantFixture(d, { slug: `ca${n}`, name: 'CA', orgPaths: ['CA__India__HR', 'CA__US', 'CA__Quiet'] });
  await d.execute(sql`update organizations set email_notifications = false where id = ${ca.org('CA__Quiet').id}`);
  const other = await createTenantFixture(d, { slug: `other${n}`, name: 'OTHER' });
  const svcId = { cloud: await addService(d, { key: `cloud${n}` }), playbook: await addService(d, { key: `playbook${n}` }) };
  const sales = await addGroup(d, ca, { name: 'Sales' });
  const eng = await addGroup(d, ca, { name: 'Engineering' });

  const ta = await addMember(d, ca, { email: `ta${n}@ca.test`, firstName: 'Akiko', lastName: 'Sato', isTenantAdmin: true, orgs: [{ path: 'CA' }] });
  const ravi = await addMember(d, ca, { email: `Ravi${n}@CA.test`, firstName: 'Ravi', lastName: 'Kumar', locale: 'en', orgs: [{ path: 'CA__India' }] });
  const hana = await addMember(d, ca, { email: `hana${n}@ca.test`, firstName: 'Hana', status: 'invited', orgs: [{ path: 'CA__US' }] });
  const mary = await addMember(d, ca, { email: `mary${n}@ca.test`, firstName: 'Mary', status: 'deactivated', orgs: [{ path: 'CA__US' }] });
  const never = await addMember(d, ca, { email: `never${n}@ca.test`, firstName: 'Nev', status: 'invited', orgs: [{ path: 'CA__US' }] });
  await d.execute(sql`update tenant_members set status = 'deactivated' where id = ${never.memberId}`);
  const hr = await addMember(d, ca, { email: `hr${n}@ca.test`, firstName: 'Haru', orgs: [{ path: 'CA__India__HR' }] });
  await grantServiceAccess(d, ca, ravi.memberId, [svcId.cloud]);
  await addGroupMembers(d, ca, sales, [ravi.memberId]);

  const shared = `shared${n}@other.test`;
  const pending = `pending${n}@other.test`;
  const unused = `Unused${n}@nowhere.test`;
  await addMember(d, other, { email: shared, firstName: 'Sam', lastName: 'Shared', locale: 'ja', orgs: [{ path: 'OTHER' }] });
  await addMember(d, other, { email: pending, firstName: 'Pat', status: 'invited', orgs: [{ path: 'OTHER' }] });
  await d.execute(sql`insert into users (email, first_name, last_name) values (${unused}, 'Old', 'Name')`);

  const actor = await actorFor(d, ta.userId, ca);
  return {
    n,
    ca,
    other,
    svc: { cloud: `cloud${n}`, playbook: `playbook${n}` },
    svcId,
    groups: { sales, eng },
    people: { ta, ravi, hana, mary, never, hr },
    outside: { shared, pending, unused },
    actor,
    scope: await adminScope(d, actor),
  };
}

interface Applied {
  importId: string;
  plan: ImportPlan;
  snapshot: TenantSnapshot;
  emailMessageIds: string[];
  /** Planned rows by sheet row: `o2`, `u3`. */
  row(id: string): PlannedRow;
}

/**
 * The lead's loop: one snapshot, one plan of every row, then batches of `batchSize` rows in seq
 * order, each in its own transaction, all against the same (updated) snapshot.
 */
async function runImport(d: Database, w: World, operation: Operation, rows: ImportRowInput[], batchSize = 5000): Promise<Applied> {
  const importId = await addImport(d, w.ca, { uploadedByUserId: w.people.ta.userId, operation: operation === 'delete' ? 'delete' : 'upsert' });
  const snapshot = await loadTenantSnapshot(d, w.ca.id);
  const externalUsers = await loadExternalUsers(d, w.ca.id, rows.flatMap((r) => (r.values.email ? [r.values.email] : [])));
  const plan = planImport({ snapshot, operation, rows, actor: w.actor, scope: w.scope, externalUsers });
  const order = plan.rows.map((planned, i) => ({ input: rows[i]!, planned })).sort((a, b) => a.planned.seq - b.planned.seq);
  const emailMessageIds: string[] = [];
  for (let i = 0; i < order.length; i += batchSize) {
    const result = await d.transaction((tx) => applyBatch(tx, { importId, actor: w.actor, snapshot, rows: order.slice(i, i + batchSize) }));
    emailMessageIds.push(...result.emailMessageIds);
  }
  // The import finishes; its invitations are issued after it, as the `invitation.import` job does.
  await d.execute(sql`update imports set status = 'completed', total_rows = ${rows.length}, processed_rows = ${rows.length} where id = ${importId}`);
  await issueImportInvitations(d, importId);
  const invitations = await d.execute<{ id: string }>(sql`select id from email_messages where tenant_id = ${w.ca.id} and template = 'invitation'`);
  emailMessageIds.push(...invitations.map((r) => r.id));
  const row = (id: string) => {
    const found = plan.rows.find((r) => r.entity[0] === id[0] && r.rowNumber === Number(id.slice(1)));
    if (!found) throw new Error(`no planned row ${id}`);
    return found;
  };
  return { importId, plan, snapshot, emailMessageIds, row };
}

// ---------------------------------------------------------------------------------------------
// Comparing states

const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** A snapshot as plain data; without ids when comparing two databases. */
function shape(s: TenantSnapshot, withIds: boolean) {
  const id = (v: string | null) => (withIds ? v : undefined);
  const orgs = [...s.orgs]
    .sort((a, b) => byText(a.namePath, b.namePath))
    .map((o) => ({
      id: id(o.id),
      parentId: id(o.parentId),
      idPath: id(o.idPath),
      parent: o.parentId === null ? null : (s.orgsById.get(o.parentId)?.namePath ?? '?'),
      name: o.name,
      namePath: o.namePath,
      depth: o.depth,
      description: o.description,
      emailNotifications: o.emailNotifications,
      key: o.key,
      lowerName: o.lowerName,
      indexed: s.orgsById.get(o.id) === o && s.orgsByPath.get(o.key) === o,
    }));
  const members = [...s.members.entries()]
    .sort(([a], [b]) => byText(a, b))
    .map(([key, m]) => ({
      key,
      memberId: id(m.memberId),
      userId: id(m.userId),
      email: m.email,
      status: m.status,
      isTenantAdmin: m.isTenantAdmin,
      registered: m.registered,
      firstName: m.firstName,
      lastName: m.lastName,
      locale: m.locale,
      sharedProfile: m.sharedProfile,
      // The snapshot's own org objects (the planner compares them by identity).
      memberships: m.memberships
        .map((x) => ({ org: x.org.namePath, isAdmin: x.isAdmin, shared: s.orgsById.get(x.org.id) === x.org }))
        .sort((a, b) => byText(a.org, b.org)),
      services: m.services,
      groups: m.groups.map((g) => g.name).sort(),
      sharedGroups: m.groups.every((g) => s.groupsByName.get(g.name.toLowerCase()) === g),
    }));
  return {
    root: s.root.namePath,
    orgs,
    orgKeys: [...s.orgsByPath.keys()].sort(),
    orgCount: s.orgsById.size,
    members,
    groups: [...s.groupsByName.keys()].sort(),
    services: [...s.servicesByKey.keys()].sort(),
    activeTenantAdmins: s.activeTenantAdmins,
  };
}

/** The snapshot applyBatch updated equals a fresh read of the database. */
async function expectSnapshotCurrent(d: Database, snapshot: TenantSnapshot) {
  const fresh = await loadTenantSnapshot(d, snapshot.tenantId);
  expect(shape(snapshot, true)).toEqual(shape(fresh, true));
}

/** The tenant's audit events, comparable across databases: ids, tokens and times replaced. */
async function auditOf(d: Database, tenantId: string) {
  const orgs = await d.execute<{ id: string; name_path: string }>(sql`select id, name_path from organizations where tenant_id = ${tenantId}`);
  const paths = new Map(orgs.map((o) => [o.id, o.name_path]));
  const rows = await d.execute<{ action: string; target_type: string; target_label: string; org_id_paths: string[]; before: unknown; after: unknown }>(sql`
    select action, target_type, target_label, org_id_paths, before, after from audit_events
    where tenant_id = ${tenantId} and action not like 'import.%' order by id`);
  const scrub = (v: unknown) =>
    v && typeof v === 'object' && 'invitationId' in v ? { ...(v as object), invitationId: '*', expiresAt: '*' } : v;
  return rows
    .map((r) =>
      JSON.stringify({
        action: r.action,
        target: `${r.target_type}:${r.target_label}`,
        orgs: r.org_id_paths.map((p) => paths.get(p.split('/').filter(Boolean).pop()!) ?? '?').sort(),
        before: scrub(r.before),
        after: scrub(r.after),
      }),
    )
    .sort();
}

/** Invitations and queued emails of the tenant, comparable across databases. */
async function mailOf(d: Database, tenantId: string) {
  const tokens = await d.execute(sql`
    select u.email, t.kind, t.email_sent_at is not null as sent, t.expires_at - t.created_at = interval '7 days' as week,
           t.used_at is null and t.revoked_at is null as open, c.email as created_by
    from user_tokens t join users u on u.id = t.user_id left join users c on c.id = t.created_by_user_id
    where t.tenant_id = ${tenantId} order by u.email`);
  const emails = await d.execute(sql`
    select to_address, template, locale, status, props - 'registrationUrl' - 'expiresAt' as props, split_part(idempotency_key, '-', 1) as key
    from email_messages where tenant_id = ${tenantId} order by to_address, template`);
  return { tokens, emails };
}

// ---------------------------------------------------------------------------------------------

describe('applyBatch: add/update', () => {
  it('leaves the database as the single-item functions would, audit and invitations included', async () => {
    const n = 5000;
    const cells = (w: World): ImportRowInput[] => [
      ...orgRows([
        { name: 'India', parent: 'CA', description: 'Indian office' },
        { name: 'Quiet', parent: 'CA', emailNotifications: 'Y' },
        { name: 'Hushed', parent: 'CA', emailNotifications: 'N' },
        { name: 'Sub', parent: 'CA__Hushed', description: 'Deep' },
        { name: 'US', parent: 'CA' },
      ]),
      ...userRows([
        { email: `new1@${n}.test`, firstName: 'New', lastName: 'One', org: 'CA__India', admin: 'Y', services: `${w.svc.cloud};${w.svc.playbook}`, groups: 'Sales' },
        { email: `New2@${n}.test`, firstName: 'Nina', lastName: 'Neu', org: 'CA__Hushed' },
        { email: `new2@${n}.test`, org: 'CA__Hushed__Sub', admin: 'N' },
        { email: w.outside.shared, firstName: 'Different', org: 'CA__US' },
        { email: w.outside.pending, org: 'CA__India__HR' },
        { email: w.outside.unused.toUpperCase(), firstName: 'Fresh', lastName: 'Name', org: 'CA__US' },
        { email: `ravi${n}@ca.test`, firstName: 'Ravindra', language: 'ja', org: 'CA__India', admin: 'Y', services: '-', groups: 'Engineering' },
        { email: `hana${n}@ca.test`, org: 'CA__US', active: 'N' },
        { email: `mary${n}@ca.test`, org: 'CA__US', active: 'Y' },
        { email: `never${n}@ca.test`, org: 'CA__US', active: 'Y' },
        { email: `hr${n}@ca.test`, org: 'CA__US', services: w.svc.playbook },
        { email: `ta${n}@ca.test`, org: 'CA', firstName: 'Akiko' },
      ]),
    ];

    // The import.
    const w = await world(db, n);
    const before = await d1Rows(w);
    const applied = await runImport(db, w, 'upsert', cells(w));
    const outcomes = Object.fromEntries(applied.plan.rows.map((r) => [`${r.entity[0]}${r.rowNumber}`, r.outcome]));
    expect(outcomes).toEqual({
      o2: 'updated', o3: 'updated', o4: 'created', o5: 'created', o6: 'unchanged',
      u2: 'created', u3: 'created', u4: 'updated', u5: 'created', u6: 'created', u7: 'created',
      u8: 'updated', u9: 'updated', u10: 'updated', u11: 'updated', u12: 'updated', u13: 'unchanged',
    });
    await expectSnapshotCurrent(db, applied.snapshot);

    // The same, by hand, in a database of its own.
    const other = await createTestDatabase();
    try {
      const h = await world(other.db, n);
      const d = other.db;
      const a = h.actor;
      const org = async (path: string) => (await loadTenantSnapshot(d, h.ca.id)).orgsByPath.get(path.toLowerCase())!;
      const india = h.ca.org('CA__India');
      await updateOrganization(d, a, india.id, { name: 'India', description: 'Indian office', emailNotifications: true });
      await updateOrganization(d, a, h.ca.org('CA__Quiet').id, { name: 'Quiet', description: '', emailNotifications: true });
      const hushed = await createOrganization(d, a, { parentId: h.ca.root.id, name: 'Hushed', description: '', emailNotifications: false });
      await createOrganization(d, a, { parentId: hushed.id, name: 'Sub', description: 'Deep', emailNotifications: true });
      const add = (path: string, email: string, extra: Partial<{ firstName: string; lastName: string; isAdmin: boolean; serviceKeys: string[] }> = {}) =>
        org(path).then((o) => addUser(d, a, o.id, { email, firstName: extra.firstName ?? 'Ignored', lastName: extra.lastName ?? 'Ignored', isAdmin: extra.isAdmin ?? false, serviceKeys: extra.serviceKeys ?? [] }));
      const new1 = await add('CA__India', `new1@${n}.test`, { firstName: 'New', lastName: 'One', isAdmin: true, serviceKeys: [h.svc.cloud, h.svc.playbook] });
      await add('CA__Hushed', `New2@${n}.test`, { firstName: 'Nina', lastName: 'Neu' });
      await add('CA__Hushed__Sub', `new2@${n}.test`);
      await add('CA__US', h.outside.shared, { firstName: 'Different' });
      await add('CA__India__HR', h.outside.pending);
      await add('CA__US', h.outside.unused.toUpperCase(), { firstName: 'Fresh', lastName: 'Name' });
      const ravi = h.people.ravi.memberId;
      await setMembershipAdmin(d, a, h.people.ravi.membership('CA__India'), true);
      await updateMember(d, a, ravi, { firstName: 'Ravindra', lastName: 'Kumar', locale: 'ja' });
      await setServiceAccess(d, a, ravi, []);
      await deactivateMember(d, a, h.people.hana.memberId);
      await reactivateMember(d, a, h.people.mary.memberId);
      await reactivateMember(d, a, h.people.never.memberId);
      await add('CA__US', `hr${n}@ca.test`);
      await setServiceAccess(d, a, h.people.hr.memberId, [h.svc.playbook]);
      // The import's group changes, as one bulk call per group.
      await addToGroup(d, a, h.groups.sales, [new1.memberId]);
      await removeFromGroup(d, a, h.groups.sales, [ravi]);
      await addToGroup(d, a, h.groups.eng, [ravi]);

      // Same tenant state (ids aside), same audit events, same invitations and emails.
      expect(shape(applied.snapshot, false)).toEqual(shape(await loadTenantSnapshot(d, h.ca.id), false));
      expect(await auditOf(db, w.ca.id)).toEqual(await auditOf(d, h.ca.id));
      expect(await mailOf(db, w.ca.id)).toEqual(await mailOf(d, h.ca.id));
      // And the identities outside the tenant: the same users rows (names, language) for every email involved.
      const people = sql`select lower(email) as k, email, first_name, last_name, locale, password_hash is not null as registered from users order by lower(email)`;
      expect(await db.execute(people).then((r) => r.filter((x) => String(x.k).includes(String(n))))).toEqual(
        await d.execute(people).then((r) => r.filter((x) => String(x.k).includes(String(n)))),
      );
    } finally {
      await other.drop();
    }

    // What the import did, spelled out.
    const s = applied.snapshot;
    const m = (email: string) => s.members.get(email.toLowerCase())!;
    expect(m(`new1@${n}.test`)).toMatchObject({ status: 'invited', firstName: 'New', lastName: 'One', services: [w.svc.cloud, w.svc.playbook] });
    expect(m(`new1@${n}.test`).memberships.map((x) => [x.org.namePath, x.isAdmin])).toEqual([['CA__India', true]]);
    expect(m(`new2@${n}.test`).memberships.map((x) => [x.org.namePath, x.isAdmin])).toEqual([['CA__Hushed', false], ['CA__Hushed__Sub', false]]);
    expect(m(w.outside.shared)).toMatchObject({ status: 'active', firstName: 'Sam', lastName: 'Shared', locale: 'ja', sharedProfile: true });
    expect(m(w.outside.pending)).toMatchObject({ status: 'invited', firstName: 'Pat', sharedProfile: true });
    expect(m(w.outside.unused)).toMatchObject({ status: 'invited', email: w.outside.unused, firstName: 'Fresh', lastName: 'Name' });
    expect(m(`ravi${n}@ca.test`)).toMatchObject({ firstName: 'Ravindra', locale: 'ja', services: [] });
    expect(m(`ravi${n}@ca.test`).groups.map((g) => g.name)).toEqual(['Engineering']);
    expect(m(`hana${n}@ca.test`).status).toBe('deactivated');
    expect(m(`mary${n}@ca.test`).status).toBe('active');
    expect(m(`never${n}@ca.test`).status).toBe('invited');
    expect(m(`hr${n}@ca.test`).memberships.map((x) => x.org.namePath)).toEqual(['CA__India__HR', 'CA__US']);

    // Invitations: a token for every member created invited; emailed (and audited) only from orgs with notifications on.
    const tokens = await db.execute<{ email: string; id: string; token_hash: string; sent: boolean; expires_at: string }>(sql`
      select lower(u.email) as email, t.id, t.token_hash, t.email_sent_at is not null as sent, to_json(t.expires_at)#>>'{}' as expires_at
      from user_tokens t join users u on u.id = t.user_id where t.tenant_id = ${w.ca.id} order by 1`);
    expect(tokens.map((t) => [t.email, t.sent])).toEqual([
      [`new1@${n}.test`, true],
      [`new2@${n}.test`, false],
      [w.outside.pending, true],
      [w.outside.unused.toLowerCase(), true],
    ]);
    const emails = await db.execute<{ id: string; to_address: string; template: string; idempotency_key: string; props: Record<string, string> }>(sql`
      select id, to_address, template, idempotency_key, props from email_messages where tenant_id = ${w.ca.id} order by to_address`);
    expect(emails.map((e) => [e.to_address.toLowerCase(), e.template]).sort()).toEqual([
      [`new1@${n}.test`, 'invitation'],
      [w.outside.pending, 'invitation'],
      [w.outside.shared, 'member-added'],
      [w.outside.unused.toLowerCase(), 'invitation'],
    ]);
    expect([...applied.emailMessageIds].sort()).toEqual(emails.map((e) => e.id).sort());
    for (const e of emails.filter((x) => x.template === 'invitation')) {
      // The link's token is the one whose hash is stored, the key names the token, the expiry is the token's.
      const raw = e.props.registrationUrl!.match(/\/register\/([A-Za-z0-9_-]{43})(?:\?lang=(?:en|ja))?$/)![1]!;
      const token = tokens.find((t) => t.token_hash === createHash('sha256').update(raw).digest('hex'))!;
      expect(token).toBeDefined();
      expect(e.idempotency_key).toBe(`invitation-${token.id}`);
      expect(new Date(e.props.expiresAt!).getTime()).toBe(new Date(token.expires_at).getTime());
    }

    // Every event carries the import; unchanged rows left their rows alone.
    const events = await db.execute<{ import_id: string | null; n: number }>(sql`
      select import_id, count(*)::int as n from audit_events where tenant_id = ${w.ca.id} group by import_id`);
    expect(events).toEqual([{ import_id: applied.importId, n: expect.any(Number) }]);
    expect(await d1Rows(w)).toEqual(before);
  }, 60_000);

  it('creates members deactivated or with a language, clears services and groups with "-", and leaves unchanged rows alone', async () => {
    const w = await world();
    const { n } = w;
    await grantServiceAccess(db, w.ca, w.people.hr.memberId, [w.svcId.cloud, w.svcId.playbook]);
    await addGroupMembers(db, w.ca, w.groups.eng, [w.people.hr.memberId]);
    const untouched = sql`select m.updated_at as m, u.updated_at as u from tenant_members m join users u on u.id = m.user_id where m.id = ${w.people.mary.memberId}`;
    const maryBefore = await db.execute(untouched);

    const applied = await runImport(db, w, 'upsert', userRows([
      { email: `off${n}@ca.test`, firstName: 'Off', org: 'CA__India', active: 'N', language: 'ja' },
      { email: `ja${n}@ca.test`, firstName: '花子', lastName: '山田', org: 'CA__India', language: '日本語' },
      { email: `later${n}@ca.test`, org: 'CA__India' },
      { email: `later${n}@ca.test`, org: 'CA__US', active: 'N' },
      { email: `hr${n}@ca.test`, org: 'CA__India__HR', services: '-', groups: '-' },
      { email: `mary${n}@ca.test`, org: 'CA__US', firstName: 'Mary', active: 'N' },
    ]));
    expect(applied.plan.rows.map((r) => r.outcome)).toEqual(['created', 'created', 'created', 'updated', 'updated', 'unchanged']);
    const s = applied.snapshot;
    expect(s.members.get(`off${n}@ca.test`)).toMatchObject({ status: 'deactivated', locale: 'ja', firstName: 'Off' });
    expect(s.members.get(`ja${n}@ca.test`)).toMatchObject({ status: 'invited', locale: 'ja', firstName: '花子', lastName: '山田' });
    expect(s.members.get(`later${n}@ca.test`)).toMatchObject({ status: 'deactivated' });
    expect(s.members.get(`hr${n}@ca.test`)).toMatchObject({ services: [], groups: [] });
    await expectSnapshotCurrent(db, s);

    // Only the member still invited at the end of the batch gets an invitation, in their language.
    const mail = await db.execute<{ to_address: string; locale: string; props: Record<string, string> }>(sql`
      select to_address, locale, props from email_messages where tenant_id = ${w.ca.id}`);
    expect(mail.map((e) => [e.to_address, e.locale, e.props.recipientName])).toEqual([[`ja${n}@ca.test`, 'ja', '山田 花子']]);
    expect(await db.execute(sql`select count(*)::int as n from user_tokens where tenant_id = ${w.ca.id}`)).toEqual([{ n: 1 }]);
    expect(applied.emailMessageIds).toHaveLength(1);

    // Events: created deactivated as such; hr's clears; the later row's deactivation after its creation.
    const events = await db.execute<{ action: string; target_label: string; before: unknown; after: unknown }>(sql`
      select action, target_label, before, after from audit_events where tenant_id = ${w.ca.id} order by id`);
    expect(events.map((e) => `${e.action} ${e.target_label}`)).toEqual([
      `member.create off${n}@ca.test`,
      `member.create ja${n}@ca.test`,
      `member.create later${n}@ca.test`,
      `membership.add later${n}@ca.test`,
      `member.deactivate later${n}@ca.test`,
      `member.serviceAccess hr${n}@ca.test`,
      `group.removeMembers Engineering`,
      // Issued after the apply (lib/import/invite.ts).
      `invitation.send ja${n}@ca.test`,
    ]);
    expect(events[0]!.after).toMatchObject({ status: 'deactivated', org: 'CA__India', isAdmin: false, services: [] });
    expect(events[5]).toMatchObject({ before: { services: [w.svc.cloud, w.svc.playbook] }, after: { services: [] } });
    expect(events[6]).toMatchObject({ before: { members: [`hr${n}@ca.test`], count: 1 }, after: null });
    expect(await db.execute(untouched)).toEqual(maryBefore);
  });

  it('applies a file once: the same file again is unchanged everywhere and sends nothing twice', async () => {
    const w = await world();
    const { n } = w;
    const rows = [
      ...orgRows([{ name: 'Europe', parent: 'CA', description: 'EU' }]),
      ...userRows([
        { email: `again${n}@ca.test`, firstName: 'Again', org: 'CA__Europe', services: w.svc.cloud, groups: 'Sales' },
        { email: `again${n}@ca.test`, org: 'CA__US', admin: 'Y' },
      ]),
    ];
    const first = await runImport(db, w, 'upsert', rows);
    expect(first.plan.counts).toMatchObject({ created: 2, updated: 1 });
    expect(first.emailMessageIds).toHaveLength(1);

    const before = await dbFingerprint(db);
    const { plan, snapshot } = await (async () => {
      const snapshot = await loadTenantSnapshot(db, w.ca.id);
      const plan = planImport({ snapshot, operation: 'upsert', rows, actor: w.actor, scope: w.scope });
      return { plan, snapshot };
    })();
    expect(plan.counts.unchanged).toBe(3);
    const result = await db.transaction((tx) =>
      applyBatch(tx, { importId: first.importId, actor: w.actor, snapshot, rows: plan.rows.map((planned, i) => ({ input: rows[i]!, planned })) }),
    );
    expect(result.emailMessageIds).toEqual([]);
    expect(await dbFingerprint(db)).toEqual(before);
  });

  it("builds the customer's manual example over two batches: the second resolves the orgs the first created", async () => {
    const n = ++seq;
    const ca = await createTenantFixture(db, { slug: `manual${n}`, name: 'CA' });
    const ta = await addMember(db, ca, { email: `boss${n}@ca.test`, isTenantAdmin: true, orgs: [{ path: 'CA' }] });
    const actor = await actorFor(db, ta.userId, ca);
    const w = { ca, actor, scope: await adminScope(db, actor), people: { ta } } as unknown as World;
    const rows = [
      ...orgRows([
        { name: 'HR', parent: 'CA__India' },
        { name: 'HR', parent: 'CA__US', emailNotifications: 'N' },
        { name: 'India', parent: 'CA' },
        { name: 'US', parent: 'CA' },
      ]),
      ...userRows([{ email: `hr.us${n}@ca.test`, org: 'CA__US__HR' }, { email: `hr.in${n}@ca.test`, org: 'ca__india__hr', admin: 'Y' }], 10),
    ];
    const applied = await runImport(db, w, 'upsert', rows, 2);
    expect(applied.plan.rows.map((r) => r.outcome)).toEqual(['created', 'created', 'created', 'created', 'created', 'created']);

    const orgs = await db.execute<{ id: string; parent_id: string | null; name_path: string; id_path: string; depth: number; email_notifications: boolean }>(sql`
      select id, parent_id, name_path, id_path, depth, email_notifications from organizations where tenant_id = ${ca.id} order by name_path`);
    expect(orgs.map((o) => [o.name_path, o.depth, o.email_notifications])).toEqual([
      ['CA', 0, true],
      ['CA__India', 1, true],
      ['CA__India__HR', 2, true],
      ['CA__US', 1, true],
      ['CA__US__HR', 2, false],
    ]);
    const byId = new Map(orgs.map((o) => [o.id, o]));
    for (const o of orgs) {
      // As insertChildOrganization derives them.
      const parent = o.parent_id ? byId.get(o.parent_id)! : null;
      expect(o.id_path).toBe(`${parent?.id_path ?? '/'}${o.id}/`);
    }
    expect((await db.execute(sql`select count(*)::int as n from audit_events where import_id = ${applied.importId} and action = 'org.create'`))[0]).toEqual({ n: 4 });
    // Members in the orgs created by earlier batches; the US HR (notifications off) invitation is not sent.
    expect(applied.snapshot.members.get(`hr.in${n}@ca.test`)!.memberships.map((m) => [m.org.namePath, m.isAdmin])).toEqual([['CA__India__HR', true]]);
    expect(applied.emailMessageIds).toHaveLength(1);
    await expectSnapshotCurrent(db, applied.snapshot);
  });

  it('refuses a plan that does not belong to the snapshot, writing nothing', async () => {
    const w = await world();
    const rows = userRows([{ email: `twice${w.n}@ca.test`, org: 'CA__US' }]);
    const applied = await runImport(db, w, 'upsert', rows);
    const before = await dbFingerprint(db);
    // The same planned row once more: the member exists now.
    await expect(
      db.transaction((tx) => applyBatch(tx, { importId: applied.importId, actor: w.actor, snapshot: applied.snapshot, rows: [{ input: rows[0]!, planned: applied.plan.rows[0]! }] })),
    ).rejects.toThrow(/is a member already/);
    expect(await dbFingerprint(db)).toEqual(before);
  });
});

describe('applyBatch: the database refuses a write', () => {
  it('rolls the whole batch back and reports that refusal, not the aborted statements after it', async () => {
    const w = await world();
    const rows = userRows([{ email: `early${w.n}@ca.test`, org: 'CA__US' }, { email: `late${w.n}@ca.test`, org: 'CA__US' }]);
    const importId = await addImport(db, w.ca, { uploadedByUserId: w.people.ta.userId, operation: 'upsert' });
    const snapshot = await loadTenantSnapshot(db, w.ca.id);
    const plan = planImport({ snapshot, operation: 'upsert', rows, actor: w.actor, scope: w.scope, externalUsers: new Map() });
    // Someone adds the second person by hand after the plan was made: the snapshot does not know.
    await addUser(db, w.actor, snapshot.orgsByPath.get('ca__us')!.id, { email: `late${w.n}@ca.test`, firstName: 'Late', lastName: 'Comer', isAdmin: false, serviceKeys: [] });
    const before = await dbFingerprint(db);
    const batch = plan.rows.map((planned, i) => ({ input: rows[i]!, planned }));
    const err = await db.transaction((tx) => applyBatch(tx, { importId, actor: w.actor, snapshot, rows: batch })).then(
      () => null,
      (e: { code?: string; cause?: { code?: string; constraint_name?: string } }) => e,
    );
    // The members' unique (user, tenant) key, whichever statement after it was already on its way.
    expect({ code: err?.cause?.code ?? err?.code, constraint: err?.cause?.constraint_name }).toEqual({ code: '23505', constraint: 'tenant_members_tenant_user_uq' });
    expect(await dbFingerprint(db)).toEqual(before);
  });
});

describe('applyBatch: delete', () => {
  it('deletes a whole hierarchy listed top-down, users first, across batches', async () => {
    const w = await world();
    const { n } = w;
    await createOrganization(db, w.actor, { parentId: w.ca.org('CA__US').id, name: 'East', description: 'E', emailNotifications: true }).then((east) =>
      createOrganization(db, w.actor, { parentId: east.id, name: 'Boston', description: '', emailNotifications: false }),
    );
    const snapshot0 = await loadTenantSnapshot(db, w.ca.id);
    const boston = snapshot0.orgsByPath.get('ca__us__east__boston')!;
    const bob = await addUser(db, w.actor, boston.id, { email: `bob${n}@ca.test`, firstName: 'Bob', lastName: 'Brown', isAdmin: true, serviceKeys: [w.svc.cloud] });
    await addToGroup(db, w.actor, w.groups.sales, [bob.memberId]);
    await db.execute(sql`delete from audit_events where tenant_id = ${w.ca.id}`);

    const rows = [
      ...orgRows([
        { name: 'US', parent: 'CA' },
        { name: 'East', parent: 'CA__US' },
        { name: 'Boston', parent: 'CA__US__East' },
      ]),
      ...userRows([{ email: `hana${n}@ca.test` }, { email: `MARY${n}@ca.test` }, { email: `never${n}@ca.test` }, { email: `bob${n}@ca.test` }], 10),
    ];
    const applied = await runImport(db, w, 'delete', rows, 3);
    expect(applied.plan.rows.map((r) => r.outcome)).toEqual(['deleted', 'deleted', 'deleted', 'deleted', 'deleted', 'deleted', 'deleted']);

    const left = await db.execute<{ name_path: string }>(sql`select name_path from organizations where tenant_id = ${w.ca.id} order by name_path`);
    expect(left.map((o) => o.name_path)).toEqual(['CA', 'CA__India', 'CA__India__HR', 'CA__Quiet']);
    const gone = [w.people.hana.memberId, w.people.mary.memberId, w.people.never.memberId, bob.memberId];
    for (const table of ['tenant_members', 'org_memberships', 'service_access', 'group_members', 'user_tokens']) {
      const column = table === 'tenant_members' ? 'id' : 'member_id';
      const [row] = await db.execute<{ n: number }>(sql`select count(*)::int as n from ${sql.identifier(table)} where ${sql.identifier(column)} in ${gone}`);
      expect(row, table).toEqual({ n: 0 });
    }
    // Identities stay (they may belong to other tenants).
    expect((await db.execute(sql`select count(*)::int as n from users where lower(email) = ${`bob${n}@ca.test`}`))[0]).toEqual({ n: 1 });

    const events = await db.execute<{ action: string; target_label: string; org_id_paths: string[]; before: unknown; after: unknown; import_id: string }>(sql`
      select action, target_label, org_id_paths, before, after, import_id from audit_events where tenant_id = ${w.ca.id} order by id`);
    expect(events.map((e) => `${e.action} ${e.target_label}`)).toEqual([
      `member.remove hana${n}@ca.test`,
      `member.remove mary${n}@ca.test`,
      `member.remove never${n}@ca.test`,
      `member.remove bob${n}@ca.test`,
      'org.delete CA__US__East__Boston',
      'org.delete CA__US__East',
      'org.delete CA__US',
    ]);
    expect(events.every((e) => e.import_id === applied.importId)).toBe(true);
    expect(events[3]).toMatchObject({
      org_id_paths: [boston.idPath],
      before: { status: 'invited', isTenantAdmin: false, orgs: [{ org: 'CA__US__East__Boston', isAdmin: true }], services: [w.svc.cloud] },
      after: { removed: true, reason: 'removed' },
    });
    expect(events[4]).toMatchObject({
      org_id_paths: [boston.idPath],
      before: { name: 'Boston', namePath: 'CA__US__East__Boston', description: '', emailNotifications: false },
      after: null,
    });
    expect(applied.emailMessageIds).toEqual([]);
    await expectSnapshotCurrent(db, applied.snapshot);
  });
});

/** Row counts and timestamps of the rows an import must not touch (the unchanged org and member). */
async function d1Rows(w: World) {
  const [us] = await db.execute(sql`select updated_at from organizations where id = ${w.ca.org('CA__US').id}`);
  const [ta] = await db.execute(sql`
    select m.updated_at as m, u.updated_at as u from tenant_members m join users u on u.id = m.user_id where m.id = ${w.people.ta.memberId}`);
  return { us, ta };
}
