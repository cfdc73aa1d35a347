import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '@/db/client';
import type { Actor } from '@/lib/actor';
import { createTestDatabase, type TestDatabase } from '@/db/testing';
import { adminScope, type AdminScope } from '@/lib/authz';
import { catalogues } from '@/lib/i18n/messages';
import { dbFingerprint } from '@/lib/testing/db-fingerprint';
import { applyOrder, planActor, plannedRow as row, sheetRows } from '@/lib/testing/import-plan-fixtures';
import { actorFor, addGroup, addMember, addOrgs, addService, createTenantFixture, type MemberFixture, type TenantFixture } from '@/lib/testing/fixtures';
import { addGroupMembers, grantServiceAccess } from '@/lib/testing/permissions-fixtures';
import { type ColumnKey, normalizeCell } from './columns';
import { type ImportPlan, type ImportRowInput, type PlanInput, planImport, type PlannedRow } from './plan';
import { loadExternalUsers, loadTenantSnapshot, type TenantSnapshot } from './snapshot';

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
const orgs = (rows: Cells[]) => sheetRows('organization', rows);
const users = (rows: Cells[]) => sheetRows('user', rows);
const key = (r: PlannedRow) => r.messageKey?.replace('errors.', '');

interface World {
  ca: TenantFixture;
  other: TenantFixture;
  n: number;
  svc: { cloud: string; playbook: string };
  groups: { sales: string; eng: string };
  people: Record<'ta' | 'oa' | 'ravi' | 'hana' | 'mary' | 'both' | 'hr' | 'shared', MemberFixture>;
  taActor: Actor;
  taScope: AdminScope;
  oaActor: Actor;
  oaScope: AdminScope;
}

/** A tenant shaped like the SPEC's example, plus a second tenant that must never show through. */
async function world(): Promise<World> {
  const n = ++seq;
  const ca = await createTenantFixture(db, { slug: `ca${n}`, name: 'CA', orgPaths: ['CA__India__HR', 'CA__US', 'CA__Indiana', 'CA__A___B'] });
  const other = await createTenantFixture(db, { slug: `other${n}`, name: 'OTHER', orgPaths: ['OTHER__India'] });
  const cloud = await addService(db, { key: `cloud${n}` });
  const playbook = await addService(db, { key: `playbook${n}` });
  const sales = await addGroup(db, ca, { name: 'Sales' });
  const eng = await addGroup(db, ca, { name: 'Engineering' });
  await addGroup(db, other, { name: 'Other group' });

  const ta = await addMember(db, ca, { email: `ta${n}@ca.test`, firstName: 'Akiko', lastName: 'Sato', isTenantAdmin: true, orgs: [{ path: 'CA' }] });
  const oa = await addMember(db, ca, { email: `oa${n}@ca.test`, orgs: [{ path: 'CA__India', isAdmin: true }] });
  const ravi = await addMember(db, ca, { email: `Ravi${n}@CA.test`, firstName: 'Ravi', lastName: 'Kumar', locale: 'en', orgs: [{ path: 'CA__India' }] });
  const hana = await addMember(db, ca, { email: `hana${n}@ca.test`, status: 'invited', orgs: [{ path: 'CA__US' }] });
  const mary = await addMember(db, ca, { email: `mary${n}@ca.test`, firstName: 'Mary', status: 'deactivated', orgs: [{ path: 'CA__US' }] });
  const both = await addMember(db, ca, { email: `both${n}@ca.test`, firstName: 'Bo', orgs: [{ path: 'CA__India__HR' }, { path: 'CA__US', isAdmin: true }] });
  const hr = await addMember(db, ca, { email: `hr${n}@ca.test`, firstName: 'Haru', orgs: [{ path: 'CA__India__HR' }] });
  const shared = await addMember(db, ca, { email: `shared${n}@ca.test`, firstName: 'Sam', orgs: [{ path: 'CA__US' }] });
  await addMember(db, other, { email: `shared${n}@ca.test`, orgs: [{ path: 'OTHER' }] });
  await addMember(db, other, { email: `stranger${n}@other.test`, isTenantAdmin: true, orgs: [{ path: 'OTHER__India' }] });
  await grantServiceAccess(db, ca, ravi.memberId, [cloud]);
  await addGroupMembers(db, ca, sales, [ravi.memberId]);
  const taActor = await actorFor(db, ta.userId, ca);
  const oaActor = await actorFor(db, oa.userId, ca);

  return {
    ca,
    other,
    n,
    svc: { cloud: `cloud${n}`, playbook: `playbook${n}` },
    groups: { sales, eng },
    people: { ta, oa, ravi, hana, mary, both, hr, shared },
    taActor,
    taScope: await adminScope(db, taActor),
    oaActor,
    oaScope: await adminScope(db, oaActor),
  };
}

/** Planned by the tenant admin `ta` unless `actor` and `scope` say otherwise. */
async function planFor(
  w: World,
  input: Omit<PlanInput, 'snapshot' | 'scope' | 'actor'> & { actor?: Actor; scope?: AdminScope; snapshot?: TenantSnapshot },
): Promise<ImportPlan> {
  const snapshot = input.snapshot ?? (await loadTenantSnapshot(db, w.ca.id));
  return planImport({ ...input, snapshot, actor: input.actor ?? w.taActor, scope: input.scope ?? w.taScope });
}

describe('loadTenantSnapshot', () => {
  it("reads the tenant's orgs, members, memberships, services and groups, and nothing of another tenant", async () => {
    const w = await world();
    const s = await loadTenantSnapshot(db, w.ca.id);

    expect(s.tenantId).toBe(w.ca.id);
    expect(s.root).toMatchObject({ id: w.ca.root.id, name: 'CA', namePath: 'CA', depth: 0, parentId: null, key: 'ca' });
    expect(s.orgs.map((o) => o.namePath).sort()).toEqual(['CA', 'CA__A', 'CA__A___B', 'CA__India', 'CA__India__HR', 'CA__Indiana', 'CA__US']);
    expect(s.orgs.map((o) => o.depth)).toEqual([...s.orgs.map((o) => o.depth)].sort((a, b) => a - b));
    expect(s.orgsByPath.get('ca__india__hr')).toMatchObject({
      id: w.ca.org('CA__India__HR').id,
      idPath: w.ca.org('CA__India__HR').idPath,
      parentId: w.ca.org('CA__India').id,
      description: '',
      emailNotifications: true,
      lowerName: 'hr',
    });
    expect(s.orgsById.get(w.ca.org('CA__US').id)?.namePath).toBe('CA__US');

    expect([...s.members.keys()].sort()).toEqual(
      ['ta', 'oa', 'ravi', 'hana', 'mary', 'both', 'hr', 'shared'].map((p) => `${p}${w.n}@ca.test`).sort(),
    );
    const ravi = s.members.get(`ravi${w.n}@ca.test`)!;
    expect(ravi).toMatchObject({
      memberId: w.people.ravi.memberId,
      userId: w.people.ravi.userId,
      email: `Ravi${w.n}@CA.test`,
      status: 'active',
      isTenantAdmin: false,
      registered: true,
      firstName: 'Ravi',
      lastName: 'Kumar',
      locale: 'en',
      sharedProfile: false,
      services: [w.svc.cloud],
    });
    expect(ravi.memberships.map((m) => [m.org.namePath, m.isAdmin])).toEqual([['CA__India', false]]);
    expect(ravi.groups.map((g) => g.name)).toEqual(['Sales']);
    const both = s.members.get(`both${w.n}@ca.test`)!;
    expect(both.memberships.map((m) => [m.org.namePath, m.isAdmin]).sort()).toEqual([
      ['CA__India__HR', false],
      ['CA__US', true],
    ]);
    // Members' orgs are the snapshot's own org objects (one per org, shared).
    expect(both.memberships.every((m) => s.orgsById.get(m.org.id) === m.org)).toBe(true);
    expect(s.members.get(`hana${w.n}@ca.test`)).toMatchObject({ status: 'invited', registered: false, services: [], groups: [] });
    expect(s.members.get(`shared${w.n}@ca.test`)?.sharedProfile).toBe(true);
    expect(s.members.get(`ta${w.n}@ca.test`)?.isTenantAdmin).toBe(true);
    expect(s.activeTenantAdmins).toBe(1);

    expect([...s.groupsByName.keys()].sort()).toEqual(['engineering', 'sales']);
    expect(s.groupsByName.get('sales')).toEqual({ id: w.groups.sales, name: 'Sales' });
    expect(s.servicesByKey.get(w.svc.playbook)?.key).toBe(w.svc.playbook);
  });

  it('changes nothing, neither loading nor planning', async () => {
    const w = await world();
    const before = await dbFingerprint(db);
    const s = await loadTenantSnapshot(db, w.ca.id);
    planImport({ snapshot: s, operation: 'upsert', rows: users([{ email: 'new@ca.test', org: 'CA' }]), actor: w.taActor, scope: w.taScope });
    planImport({ snapshot: s, operation: 'delete', rows: orgs([{ name: 'US', parent: 'CA' }]), actor: w.taActor, scope: w.taScope });
    expect(await dbFingerprint(db)).toEqual(before);
  });
});

describe('loadExternalUsers', () => {
  it('finds identities that exist but are not members of the tenant, by lower(email)', async () => {
    const w = await world();
    const ext = await loadExternalUsers(db, w.ca.id, [`STRANGER${w.n}@other.test`, `ravi${w.n}@ca.test`, 'nobody@nowhere.test', 'not-an-email']);
    expect([...ext.keys()]).toEqual([`stranger${w.n}@other.test`]);
    expect(ext.get(`stranger${w.n}@other.test`)).toMatchObject({ email: `stranger${w.n}@other.test`, registered: true, inOtherTenant: true });
    expect((await loadExternalUsers(db, w.ca.id, [])).size).toBe(0);
  });
});

describe('planning against a real tenant', () => {
  it("plans the manual's example: both HRs created, after their parents, though listed first", async () => {
    const w = await world();
    const fresh = await createTenantFixture(db, { slug: `fresh${w.n}`, name: 'CA' });
    const snapshot = await loadTenantSnapshot(db, fresh.id);
    const p = planImport({
      snapshot,
      operation: 'upsert',
      rows: orgs([
        { name: 'HR', parent: 'CA__India' },
        { name: 'HR', parent: 'CA__US' },
        { name: 'India', parent: 'CA' },
        { name: 'US', parent: 'CA' },
      ]),
      scope: { kind: 'tenant', tenantId: fresh.id },
      actor: planActor({ kind: 'tenant', tenantId: fresh.id }),
    });
    expect(p.rows.map((r) => r.outcome)).toEqual(['created', 'created', 'created', 'created']);
    expect(applyOrder(p)).toEqual(['o4', 'o5', 'o2', 'o3']);
    expect(p.counts.created).toBe(4);
  });

  it('plans every outcome, with the field changes', async () => {
    const w = await world();
    const { n } = w;
    const upsert = await planFor(w, {
      operation: 'upsert',
      rows: [
        ...orgs([
          { name: 'Europe', parent: 'CA' },
          { name: 'India', parent: 'CA', description: 'Bangalore', emailNotifications: 'N' },
          { name: 'us', parent: 'ca' },
        ]),
        ...users([
          { email: `new${n}@ca.test`, org: 'CA__Europe', firstName: 'Nina', services: w.svc.playbook, groups: 'engineering', admin: 'Y' },
          { email: `ravi${n}@ca.test`, org: 'CA__India', firstName: 'Ravindra', services: `${w.svc.playbook};${w.svc.cloud}`, groups: '-', language: 'ja' },
          { email: `ravi${n}@ca.test`, org: 'CA__Europe' },
          { email: `mary${n}@ca.test`, org: 'CA__US', active: 'Y', firstName: 'Mary' },
          { email: `hana${n}@ca.test`, org: 'CA__US', active: 'Y' },
          { email: `stranger${n}@other.test`, org: 'CA__US', firstName: 'Someone else' },
        ]),
      ],
      externalUsers: await loadExternalUsers(db, w.ca.id, [`stranger${n}@other.test`]),
    });
    expect(upsert.rows.map((r) => `${r.entity[0]}${r.rowNumber}:${r.outcome}`)).toEqual([
      'o2:created',
      'o3:updated',
      'o4:unchanged',
      'u2:created',
      'u3:updated',
      'u4:updated',
      'u5:updated',
      'u6:unchanged',
      'u7:created',
    ]);
    expect(applyOrder(upsert)).toEqual(['o2', 'o3', 'o4', 'u2', 'u3', 'u4', 'u5', 'u6', 'u7']);
    expect(row(upsert, 'organization', 3).changes).toEqual({
      description: { from: '', to: 'Bangalore' },
      emailNotifications: { from: true, to: false },
    });
    expect(row(upsert, 'user', 2).changes).toEqual({
      org: { from: null, to: 'CA__Europe' },
      admin: { from: null, to: true },
      firstName: { from: null, to: 'Nina' },
      active: { from: null, to: 'invited' },
      services: { from: null, to: [w.svc.playbook] },
      groups: { from: null, to: ['Engineering'] },
    });
    expect(row(upsert, 'user', 3).changes).toEqual({
      firstName: { from: 'Ravi', to: 'Ravindra' },
      language: { from: 'en', to: 'ja' },
      services: { from: [w.svc.cloud], to: [w.svc.cloud, w.svc.playbook].sort() },
      groups: { from: ['Sales'], to: [] },
    });
    expect(row(upsert, 'user', 4).changes).toEqual({ org: { from: null, to: 'CA__Europe' }, admin: { from: null, to: false } });
    expect(row(upsert, 'user', 5).changes).toEqual({ active: { from: 'deactivated', to: 'active' } });
    // A registered user of another tenant joins active, keeping their own name.
    expect(row(upsert, 'user', 7)).toMatchObject({ changes: { active: { from: null, to: 'active' } }, messageKey: 'notes.profileKept' });
    expect(row(upsert, 'user', 7).changes.firstName).toBeUndefined();

    const del = await planFor(w, {
      operation: 'delete',
      rows: [...orgs([{ name: 'Indiana', parent: 'CA' }, { name: 'Atlantis', parent: 'CA' }]), ...users([{ email: `hana${n}@ca.test` }, { email: 'nobody@ca.test' }])],
    });
    expect(del.rows.map((r) => `${r.entity[0]}${r.rowNumber}:${r.outcome}`)).toEqual(['o2:deleted', 'o3:not_found', 'u2:deleted', 'u3:not_found']);
    expect({ ...upsert.counts, deleted: del.counts.deleted, not_found: del.counts.not_found }).toEqual({
      created: 3,
      updated: 4,
      unchanged: 2,
      deleted: 2,
      not_found: 2,
      error: 0,
    });
  });

  it('names every kind of row error', async () => {
    const w = await world();
    const { n } = w;
    await addOrgs(db, w.ca, ['CA__Indiana__Sub']);
    await addMember(db, w.ca, { email: `b${n}@ca.test`, orgs: [{ path: 'CA__A___B' }] });
    const snapshot = await loadTenantSnapshot(db, w.ca.id);
    const plans: ImportPlan[] = [];
    plans.push(
      planImport({
        snapshot,
        scope: w.taScope,
        actor: w.taActor,
        operation: 'upsert',
        rows: [
          ...orgs([
            { name: '', parent: 'CA' },
            { name: 'India__HR', parent: 'CA' },
            { name: 'R&D', parent: 'CA' },
            { name: 'x'.repeat(65), parent: 'CA' },
            { name: 'Lost', parent: '' },
            { name: 'HR', parent: 'CA__Nowhere' },
            { name: 'Bad', parent: 'CA', emailNotifications: 'maybe' },
            { name: 'Child', parent: 'CA__Bad' },
            { name: 'B', parent: 'CA__A_' },
            { name: 'US', parent: 'CA', description: 'd'.repeat(1001) },
            { name: 'us', parent: 'ca' },
          ]),
          ...users([
            { email: 'bad', org: 'CA' },
            { email: `x${n}@ca.test`, org: 'CA__Nowhere' },
            { email: `x${n}@ca.test`, org: 'CA__Bad' },
            { email: `ravi${n}@ca.test`, org: 'CA__India', services: 'nosuch' },
            { email: `ravi${n}@ca.test`, org: 'CA__US', groups: 'Other group' },
            { email: `ravi${n}@ca.test`, org: 'CA__India__HR', language: 'fr' },
            { email: `ravi${n}@ca.test`, org: 'CA', firstName: 'R1' },
            { email: `ravi${n}@ca.test`, org: 'CA__Indiana', firstName: 'R2' },
            { email: `ravi${n}@ca.test`, org: 'ca', firstName: 'R1' },
            { email: `ta${n}@ca.test`, org: 'CA', active: 'N' },
            { email: `y${n}@ca.test`, org: 'CA', admin: '?' },
            { email: `y${n}@ca.test`, org: 'CA__US', lastName: 'l'.repeat(101) },
            { email: '', org: 'CA' },
          ]),
        ],
      }),
    );
    const asOa = (operation: 'upsert' | 'delete', rows: ImportRowInput[]) =>
      planImport({ snapshot, scope: w.oaScope, actor: w.oaActor, operation, rows });
    plans.push(
      asOa('upsert', [
        ...orgs([{ name: 'New', parent: 'CA__India' }]),
        ...users([
          { email: `z${n}@ca.test`, org: 'CA__US' },
          { email: `both${n}@ca.test`, org: 'CA__India__HR', firstName: 'Bob' },
          { email: `ta${n}@ca.test`, org: 'CA__India', active: 'N' },
          { email: `hr${n}@ca.test`, org: 'CA__India__HR', groups: 'Sales' },
        ]),
      ]),
    );
    plans.push(
      planImport({
        snapshot,
        scope: w.taScope,
        // A tenant admin who is none of the rows' people (ta's own row would be notYourself).
        actor: planActor(w.taScope),
        operation: 'delete',
        rows: [
          ...orgs([
            { name: 'CA', parent: '' },
            { name: 'India', parent: 'CA' },
            { name: 'A', parent: 'CA' },
            { name: 'US', parent: 'CA' },
            { name: '_B', parent: 'CA__A' },
            { name: 'Indiana', parent: 'CA' },
          ]),
          ...users([{ email: `ta${n}@ca.test` }, { email: `TA${n}@ca.test` }, { email: `hr${n}@ca.test` }]),
        ],
      }),
    );
    plans.push(asOa('delete', users([{ email: `oa${n}@ca.test` }])));

    const seen = new Set(plans.flatMap((p) => p.rows.map(key)).filter((k): k is string => k !== undefined && !k.startsWith('notes.')));
    const catalogue = (catalogues.en as { importRows: { errors: Record<string, unknown> } }).importRows.errors;
    const all = Object.entries(catalogue).flatMap(([k, v]) => (typeof v === 'string' ? [k] : Object.keys(v as object).map((sub) => `${k}.${sub}`)));
    // A name cannot start or end with a space once the reader has trimmed the cell.
    expect([...seen].sort()).toEqual(all.filter((k) => k !== 'name.edgeSpace').sort());

    // Spot checks: the column and the values are named.
    const [u, oa, d] = plans as [ImportPlan, ImportPlan, ImportPlan];
    expect(row(u, 'organization', 7).messageParams).toEqual({ column: 'parent', path: 'CA__Nowhere' });
    expect(row(u, 'organization', 9).messageParams).toEqual({ column: 'parent', path: 'CA__Bad', row: 8 });
    expect(row(u, 'organization', 10)).toMatchObject({ messageKey: 'errors.pathTaken', messageParams: { existing: 'CA__A___B' } });
    expect(row(u, 'user', 6).messageParams).toEqual({ column: 'groups', value: 'Other group' });
    expect(row(u, 'user', 9).messageParams).toEqual({ column: 'firstName', value: 'R2', other: 'R1', row: 8 });
    expect(row(u, 'user', 10).messageParams).toEqual({ column: 'org', email: `ravi${n}@ca.test`, path: 'ca', row: 8 });
    expect(row(u, 'user', 11)).toMatchObject({ messageKey: 'errors.notYourself' });
    expect(row(oa, 'user', 2).messageParams).toEqual({ column: 'org', value: 'CA__US' });
    expect(d.rows.map((r) => `${r.entity[0]}${r.rowNumber}:${key(r) ?? r.outcome}`)).toEqual([
      'o2:rootDelete',
      'o3:orgKeepsSubOrgsAndMembers',
      'o4:orgChildBlocked',
      'o5:orgKeepsMembers',
      'o6:orgKeepsMembers',
      'o7:orgKeepsSubOrgs',
      'u2:lastTenantAdmin',
      'u3:duplicateUser',
      'u4:deleted',
    ]);
    expect(row(d, 'organization', 3).messageParams).toEqual({ column: 'name', path: 'CA__India', subOrgs: 1, members: 2, example: 'CA__India__HR' });
    expect(row(d, 'organization', 4).messageParams).toEqual({ column: 'name', path: 'CA__A', child: 'CA__A___B', row: 6 });
    expect(row(d, 'organization', 6).messageParams).toEqual({ column: 'name', path: 'CA__A___B', count: 1, example: `b${n}@ca.test` });
    expect(row(d, 'organization', 7).messageParams).toEqual({ column: 'name', path: 'CA__Indiana', count: 1, example: 'CA__Indiana__Sub' });
    expect(row(d, 'user', 2)).toMatchObject({ messageKey: 'errors.lastTenantAdmin' });
  });

  /** A delete file of these organization rows and of these people of the world (by name), planned by ta. */
  const planDelete = (w: World, orgRows: Cells[], people: string[]) =>
    planFor(w, { operation: 'delete', rows: [...orgs(orgRows), ...users(people.map((p) => ({ email: `${p}${w.n}@ca.test` })))] });
  const INDIA_AND_HR: Cells[] = [
    { name: 'India', parent: 'CA' },
    { name: 'HR', parent: 'CA__India' },
  ];

  it('deletes a whole hierarchy listed top-down, deepest first, users first', async () => {
    const w = await world();
    const p = await planDelete(w, [...INDIA_AND_HR, { name: 'US', parent: 'CA' }], ['oa', 'ravi', 'both', 'hr', 'hana', 'mary', 'shared']);
    expect(p.rows.every((r) => r.outcome === 'deleted')).toBe(true);
    expect(applyOrder(p)).toEqual(['u2', 'u3', 'u4', 'u5', 'u6', 'u7', 'u8', 'o3', 'o2', 'o4']);
  });

  it('blocks an org delete on a member not in the file, and its ancestor in the file', async () => {
    const w = await world();
    const { n } = w;
    const p = await planDelete(w, INDIA_AND_HR, ['oa', 'ravi', 'both']);
    expect(row(p, 'organization', 3)).toMatchObject({
      outcome: 'error',
      messageKey: 'errors.orgKeepsMembers',
      messageParams: { column: 'name', path: 'CA__India__HR', count: 1, example: `hr${n}@ca.test` },
    });
    expect(row(p, 'organization', 2)).toMatchObject({
      outcome: 'error',
      messageKey: 'errors.orgChildBlocked',
      messageParams: { column: 'name', path: 'CA__India', child: 'CA__India__HR', row: 3 },
    });
    expect(p.counts).toEqual({ created: 0, updated: 0, unchanged: 0, deleted: 3, not_found: 0, error: 2 });
  });

  it("scopes an org admin's rows to their subtree, from their real scope", async () => {
    const w = await world();
    const { n } = w;
    expect(w.oaScope).toEqual({ kind: 'subtrees', tenantId: w.ca.id, idPaths: [w.ca.org('CA__India').idPath] });
    const p = await planFor(w, {
      scope: w.oaScope,
      actor: w.oaActor,
      operation: 'upsert',
      rows: [
        ...orgs([{ name: 'HR', parent: 'CA__India', description: 'People' }]),
        ...users([
          { email: `new${n}@ca.test`, org: 'CA__India__HR', services: w.svc.cloud, admin: 'Y' },
          { email: `new2${n}@ca.test`, org: 'CA__Indiana' },
          { email: `new3${n}@ca.test`, org: 'CA__India__Nowhere' },
          { email: `mary${n}@ca.test`, org: 'CA__India' },
          { email: `both${n}@ca.test`, org: 'CA__India__HR', active: 'N' },
          { email: `hr${n}@ca.test`, org: 'CA__India__HR', firstName: 'Haruka', active: 'N' },
          { email: `ta${n}@ca.test`, org: 'CA__India', admin: 'Y' },
        ]),
      ],
    });
    expect(p.rows.map((r) => `${r.entity[0]}${r.rowNumber}:${r.outcome}:${key(r) ?? ''}`)).toEqual([
      'o2:error:orgsTenantAdminOnly',
      'u2:created:',
      'u3:error:outsideScope',
      'u4:error:orgNotFound',
      'u5:updated:',
      'u6:error:memberOutsideScope',
      'u7:updated:',
      'u8:updated:',
    ]);
    // A tenant admin may be added to an org of the subtree, never changed there.
    expect(row(p, 'user', 8).changes).toEqual({ org: { from: null, to: 'CA__India' }, admin: { from: null, to: true } });
    const again = await planFor(w, { scope: w.oaScope, actor: w.oaActor, operation: 'upsert', rows: users([{ email: `ta${n}@ca.test`, org: 'CA', admin: 'Y' }]) });
    expect(key(again.rows[0]!)).toBe('outsideScope');
  });

  it('plans Japanese names, and full-width input once the reader has normalised it', async () => {
    const w = await world();
    const jp = await createTenantFixture(db, { slug: `jp${w.n}`, name: '株式会社テスト', orgPaths: ['株式会社テスト__営業本部'] });
    await addMember(db, jp, { email: `yamada${w.n}@jp.test`, firstName: '太郎', lastName: '山田', locale: 'ja', orgs: [{ path: '株式会社テスト__営業本部' }] });
    const snapshot = await loadTenantSnapshot(db, jp.id);
    const asTyped: Cells[] = [
      { email: `ｙａｍａｄａ${w.n}＠ｊｐ．ｔｅｓｔ`, firstName: '太郎', lastName: '山田', org: '株式会社テスト__営業本部__人事部', admin: 'Ｙ', language: '日本語', active: '　はい　' },
      { email: `ｓｕｚｕｋｉ${w.n}＠ｊｐ．ｔｅｓｔ`, firstName: '花子', lastName: '鈴木', org: '株式会社テスト__営業本部', language: '日本語' },
    ];
    const normalised = asTyped.map((cells) => Object.fromEntries(Object.entries(cells).map(([k, v]) => [k, normalizeCell(v)])) as Cells);
    const p = planImport({
      snapshot,
      scope: { kind: 'tenant', tenantId: jp.id },
      actor: planActor({ kind: 'tenant', tenantId: jp.id }),
      operation: 'upsert',
      rows: [...users(normalised), ...orgs([{ name: '人事部', parent: '株式会社テスト__営業本部', description: '東京・大阪' }])],
    });
    expect(p.rows.map((r) => `${r.entity[0]}${r.rowNumber}:${r.outcome}`)).toEqual(['u2:updated', 'u3:created', 'o2:created']);
    expect(applyOrder(p)).toEqual(['o2', 'u2', 'u3']);
    expect(row(p, 'user', 2).changes).toEqual({ org: { from: null, to: '株式会社テスト__営業本部__人事部' }, admin: { from: null, to: true } });
    expect(row(p, 'user', 3).changes).toMatchObject({ firstName: { from: null, to: '花子' }, lastName: { from: null, to: '鈴木' }, language: { from: null, to: 'ja' } });
  });
});
