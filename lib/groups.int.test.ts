import { and, asc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '@/db/client';
import { auditEvents, groupContractPermissions, groupMembers, groupServicePermissions, userGroups } from '@/db/schema';
import { createTestDatabase, type TestDatabase } from '@/db/testing';
import type { Actor } from '@/lib/actor';
import { DomainError, ForbiddenError, NotFoundError } from '@/lib/errors';
import { dbFingerprint } from '@/lib/testing/db-fingerprint';
import { expectRefused, type RefusalKind } from '@/lib/testing/refusals';
import { actorFor, addContract, addMember, addService, createTenantFixture, type MemberFixture, type TenantFixture } from '@/lib/testing/fixtures';
import {
  addGroupMembers,
  addMemberToGroup,
  createGroup,
  deletedGroupName,
  deleteGroup,
  GROUP_BULK_MAX,
  listGroupOptions,
  listGroups,
  loadGroup,
  removeGroupMembers,
  removeMemberFromGroup,
  updateGroup,
} from './groups';

let tdb: TestDatabase;
let db: Database;
let seq = 0;

interface World {
  ca: TenantFixture;
  other: TenantFixture;
  ta: Actor;
  oa: Actor; // administrator of CA__India
  mem: Actor; // plain member of CA__India__HR
  otherTa: Actor; // tenant administrator of the other tenant
  people: Record<'ta' | 'oa' | 'mem' | 'ravi' | 'hana' | 'mary' | 'otherPerson', MemberFixture>;
}

/** A fresh pair of tenants per test, so tests never depend on each other's changes. */
async function world(): Promise<World> {
  const n = ++seq;
  const ca = await createTenantFixture(db, { slug: `ca${n}`, name: 'CA', orgPaths: ['CA__India__HR', 'CA__US'] });
  const other = await createTenantFixture(db, { slug: `other${n}`, name: 'OTHER', orgPaths: ['OTHER__Sales'] });
  const ta = await addMember(db, ca, { email: `ta${n}@ca.test`, firstName: 'Akiko', lastName: 'Sato', isTenantAdmin: true, orgs: [{ path: 'CA' }] });
  const oa = await addMember(db, ca, { email: `oa${n}@ca.test`, orgs: [{ path: 'CA__India', isAdmin: true }] });
  const mem = await addMember(db, ca, { email: `mem${n}@ca.test`, orgs: [{ path: 'CA__India__HR' }] });
  const ravi = await addMember(db, ca, { email: `ravi${n}@ca.test`, firstName: 'Ravi', lastName: 'Kumar', orgs: [{ path: 'CA__India' }] });
  const hana = await addMember(db, ca, { email: `hana${n}@ca.test`, status: 'invited', orgs: [{ path: 'CA__US' }] });
  const mary = await addMember(db, ca, { email: `mary${n}@ca.test`, status: 'deactivated', orgs: [{ path: 'CA__US' }] });
  const oth = await addMember(db, other, { email: `oth${n}@other.test`, isTenantAdmin: true, orgs: [{ path: 'OTHER' }] });
  const otherPerson = await addMember(db, other, { email: `person${n}@other.test`, orgs: [{ path: 'OTHER__Sales' }] });
  return {
    ca,
    other,
    ta: await actorFor(db, ta.userId, ca),
    oa: await actorFor(db, oa.userId, ca),
    mem: await actorFor(db, mem.userId, ca),
    otherTa: await actorFor(db, oth.userId, other),
    people: { ta, oa, mem, ravi, hana, mary, otherPerson },
  };
}

const fields = (name: string, description = '') => ({ name, description });

/** Asserts the call is refused as `kind` and changed nothing. */
const refused = (call: () => Promise<unknown>, kind: RefusalKind) => expectRefused(db, call, kind);

async function auditFor(targetId: string) {
  return db.select().from(auditEvents).where(eq(auditEvents.targetId, targetId)).orderBy(asc(auditEvents.createdAt), asc(auditEvents.id));
}

async function membersOf(groupId: string): Promise<string[]> {
  return (await db.select({ id: groupMembers.memberId }).from(groupMembers).where(eq(groupMembers.groupId, groupId))).map((r) => r.id).sort();
}

beforeAll(async () => {
  tdb = await createTestDatabase();
  db = tdb.db;
});

afterAll(async () => {
  await tdb?.drop();
});

describe('createGroup', () => {
  it('creates a group in the actor’s tenant, audited with readable fields', async () => {
    const w = await world();
    const group = await createGroup(db, w.ta, fields('Sales', 'Everyone who sells'));
    expect(group).toMatchObject({ tenantId: w.ca.id, name: 'Sales', description: 'Everyone who sells' });
    const [event] = await auditFor(group.id);
    expect(event).toMatchObject({ tenantId: w.ca.id, actorUserId: w.ta.userId, action: 'group.create', targetType: 'group', targetLabel: 'Sales', before: null });
    expect(event!.after).toEqual({ name: 'Sales', description: 'Everyone who sells' });
  });

  it('accepts Japanese names, every allowed punctuation and 64 characters', async () => {
    const w = await world();
    expect((await createGroup(db, w.ta, fields("営業部 East_1 | RD-ish, O'Neil"))).name).toBe("営業部 East_1 | RD-ish, O'Neil");
    expect((await createGroup(db, w.ta, fields('組'.repeat(64)))).name).toHaveLength(64);
  });

  it.each([
    ['', 'names.required'],
    ['x'.repeat(65), 'names.tooLong'],
    ['Sales/EU', 'names.invalidChars'],
    ['Sales<script>', 'names.invalidChars'],
    ['50%', 'names.invalidChars'],
    [' Sales', 'names.edgeSpace'],
    ['Sales ', 'names.edgeSpace'],
    ['Sales__EU', 'names.separator'],
    ['__', 'names.separator'],
  ])('refuses the name %j (%s) beside the name field, changing nothing', async (name, key) => {
    const w = await world();
    await refused(() => createGroup(db, w.ta, fields(name)), { key, field: 'name' });
  });

  it('refuses a name taken in the tenant, ignoring case, naming the existing group', async () => {
    const w = await world();
    await createGroup(db, w.ta, fields('Sales'));
    for (const name of ['Sales', 'sales', 'SALES']) {
      const err = await refused(() => createGroup(db, w.ta, fields(name)), { key: 'groups.errors.nameTaken', field: 'name' });
      expect(err.params).toEqual({ name: 'Sales' });
    }
    // Another tenant may use the same name.
    expect((await createGroup(db, w.otherTa, fields('sales'))).tenantId).toBe(w.other.id);
  });

  it('lets only one of two concurrent creations of the same name succeed, the other with the same message', async () => {
    const w = await world();
    const results = await Promise.allSettled([createGroup(db, w.ta, fields('Ops')), createGroup(db, w.ta, fields('OPS'))]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const rejected = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect(rejected.reason).toBeInstanceOf(DomainError);
    expect((rejected.reason as DomainError).messageKey).toBe('groups.errors.nameTaken');
  });

  it('refuses a description over 1000 characters', async () => {
    const w = await world();
    await refused(() => createGroup(db, w.ta, fields('Legal', 'x'.repeat(1001))), { key: 'groups.errors.descriptionTooLong', field: 'description' });
    expect((await createGroup(db, w.ta, fields('Legal', 'x'.repeat(1000)))).description).toHaveLength(1000);
  });
});

describe('updateGroup', () => {
  it('renames and describes, audited before → after', async () => {
    const w = await world();
    const group = await createGroup(db, w.ta, fields('Sales', 'old'));
    const updated = await updateGroup(db, w.ta, group.id, fields('Sales EU', 'new'));
    expect(updated).toMatchObject({ id: group.id, name: 'Sales EU', description: 'new' });
    const events = await auditFor(group.id);
    expect(events.map((e) => e.action)).toEqual(['group.create', 'group.update']);
    expect(events[1]).toMatchObject({ before: { name: 'Sales', description: 'old' }, after: { name: 'Sales EU', description: 'new' }, targetLabel: 'Sales EU' });
  });

  it('records nothing when nothing changed, and allows changing only the case of its own name', async () => {
    const w = await world();
    const group = await createGroup(db, w.ta, fields('Sales'));
    const before = await dbFingerprint(db);
    await updateGroup(db, w.ta, group.id, fields('Sales'));
    expect(await dbFingerprint(db)).toEqual(before);
    expect((await updateGroup(db, w.ta, group.id, fields('SALES'))).name).toBe('SALES');
  });

  it('refuses another group’s name (ignoring case) and invalid names, changing nothing', async () => {
    const w = await world();
    await createGroup(db, w.ta, fields('Sales'));
    const group = await createGroup(db, w.ta, fields('Support'));
    await refused(() => updateGroup(db, w.ta, group.id, fields('sales')), { key: 'groups.errors.nameTaken', field: 'name' });
    await refused(() => updateGroup(db, w.ta, group.id, fields('__')), { key: 'names.separator', field: 'name' });
    await refused(() => updateGroup(db, w.ta, group.id, fields(' Support')), { key: 'names.edgeSpace', field: 'name' });
    await refused(() => updateGroup(db, w.ta, group.id, fields('y'.repeat(65))), { key: 'names.tooLong', field: 'name' });
    await refused(() => updateGroup(db, w.ta, group.id, fields('a;b')), { key: 'names.invalidChars', field: 'name' });
  });
});

describe('loadGroup and deleteGroup', () => {
  it('counts members and permissions, deletes them with the group (cascade), audited with the counts', async () => {
    const w = await world();
    const group = await createGroup(db, w.ta, fields('Sales', 'desc'));
    const keep = await createGroup(db, w.ta, fields('Keep'));
    await addGroupMembers(db, w.ta, group.id, [w.people.ravi.memberId, w.people.hana.memberId, w.people.mary.memberId]);
    await addGroupMembers(db, w.ta, keep.id, [w.people.ravi.memberId]);
    const service = await addService(db, { key: `cloud${seq}` });
    const c1 = await addContract(db, w.ca, { serviceId: service, code: 'C1' });
    const c2 = await addContract(db, w.ca, { serviceId: service, code: 'C2' });
    await db.insert(groupServicePermissions).values({ groupId: group.id, serviceId: service, level: 'view' });
    await db.insert(groupContractPermissions).values([
      { tenantId: w.ca.id, groupId: group.id, contractId: c1, level: 'edit' },
      { tenantId: w.ca.id, groupId: group.id, contractId: c2, level: 'none' },
    ]);

    expect(await loadGroup(db, w.ta, group.id)).toMatchObject({ id: group.id, name: 'Sales', memberCount: 3, permissionCount: 3 });
    expect(await loadGroup(db, w.ta, keep.id)).toMatchObject({ memberCount: 1, permissionCount: 0 });

    const deleted = await deleteGroup(db, w.ta, group.id);
    expect(deleted).toMatchObject({ id: group.id, name: 'Sales', memberCount: 3, permissionCount: 3 });
    expect(await db.select().from(userGroups).where(eq(userGroups.id, group.id))).toEqual([]);
    expect(await membersOf(group.id)).toEqual([]);
    expect(await db.select().from(groupServicePermissions).where(eq(groupServicePermissions.groupId, group.id))).toEqual([]);
    expect(await db.select().from(groupContractPermissions).where(eq(groupContractPermissions.groupId, group.id))).toEqual([]);
    // The other group and the people stay.
    expect(await membersOf(keep.id)).toEqual([w.people.ravi.memberId]);
    const last = (await auditFor(group.id)).at(-1)!;
    expect(last).toMatchObject({ action: 'group.delete', targetLabel: 'Sales', after: null });
    expect(last.before).toEqual({ name: 'Sales', description: 'desc', members: 3, permissions: 3 });
    expect(await deletedGroupName(db, w.ta, group.id)).toBe('Sales');
    expect(await deletedGroupName(db, w.ta, keep.id)).toBeNull();
    // Gone: not found for everyone.
    await refused(() => loadGroup(db, w.ta, group.id), NotFoundError);
    await refused(() => deleteGroup(db, w.ta, group.id), NotFoundError);
  });

  it('never names another tenant’s deleted group', async () => {
    const w = await world();
    const group = await createGroup(db, w.otherTa, fields('Theirs'));
    await deleteGroup(db, w.otherTa, group.id);
    expect(await deletedGroupName(db, w.ta, group.id)).toBeNull();
    expect(await deletedGroupName(db, w.ta, 'nonsense')).toBeNull();
  });
});

describe('listGroups', () => {
  it('lists the tenant’s groups by name with member counts, searched and paged', async () => {
    const w = await world();
    const names = ['Sales', 'sales EU', 'Support', 'Marketing', '営業', 'Under_score', 'Percent 100'];
    const ids: Record<string, string> = {};
    for (const name of names) ids[name] = (await createGroup(db, w.ta, fields(name, `${name} people`))).id;
    await addGroupMembers(db, w.ta, ids.Sales!, [w.people.ravi.memberId, w.people.hana.memberId]);
    await addGroupMembers(db, w.ta, ids['営業']!, [w.people.mary.memberId]);
    await createGroup(db, w.otherTa, fields('Sales Other'));

    const all = await listGroups(db, w.ta);
    expect(all.total).toBe(names.length);
    expect(all.rows.map((r) => r.name)).toEqual(['Marketing', 'Percent 100', 'Sales', 'sales EU', 'Support', 'Under_score', '営業']);
    expect(all.rows.find((r) => r.name === 'Sales')).toEqual({ id: ids.Sales, name: 'Sales', description: 'Sales people', memberCount: 2 });
    expect(all.rows.find((r) => r.name === '営業')?.memberCount).toBe(1);
    expect(all.rows.find((r) => r.name === 'Support')?.memberCount).toBe(0);

    const q = async (text: string) => (await listGroups(db, w.ta, { q: text })).rows.map((r) => r.name);
    expect(await q('sales')).toEqual(['Sales', 'sales EU']); // prefix, ignoring case; never another tenant's
    expect(await q('EU')).toEqual(['sales EU']); // anywhere in the name
    expect(await q('営')).toEqual(['営業']);
    expect(await q('ＳＡＬＥＳ')).toEqual(['Sales', 'sales EU']); // full-width typed by an IME
    expect(await q('_')).toEqual(['Under_score']); // wildcards are literal
    expect(await q('%')).toEqual([]);
    expect(await q('d_r')).toEqual([]); // a wildcard would match "der" in Under_score
    expect(await q('nothing')).toEqual([]);

    const p1 = await listGroups(db, w.ta, { pageSize: 3, page: 1 });
    const p3 = await listGroups(db, w.ta, { pageSize: 3, page: 3 });
    expect(p1).toMatchObject({ total: names.length, page: 1, pageSize: 3 });
    expect(p1.rows.map((r) => r.name)).toEqual(['Marketing', 'Percent 100', 'Sales']);
    expect(p3.rows.map((r) => r.name)).toEqual(['営業']);
    expect(await listGroups(db, w.ta, { pageSize: 3, page: 9 })).toMatchObject({ rows: [], total: names.length });

    expect((await listGroupOptions(db, w.ta)).map((g) => g.name)).toEqual(all.rows.map((r) => r.name));
  });
});

describe('group members', () => {
  it('adds in bulk, harmlessly again, and removes in bulk, audited with the emails', async () => {
    const w = await world();
    const group = await createGroup(db, w.ta, fields('Sales'));
    const { ravi, hana, mary } = w.people;

    const first = await addGroupMembers(db, w.ta, group.id, [ravi.memberId, hana.memberId, ravi.memberId]);
    expect(first).toMatchObject({ changed: 2, unchanged: 0 });
    expect(await membersOf(group.id)).toEqual([ravi.memberId, hana.memberId].sort());

    // Adding someone already in the group is harmless; only the new one is recorded.
    const again = await addGroupMembers(db, w.ta, group.id, [ravi.memberId, mary.memberId]);
    expect(again).toMatchObject({ changed: 1, unchanged: 1 });
    const before = await dbFingerprint(db);
    expect(await addGroupMembers(db, w.ta, group.id, [ravi.memberId])).toMatchObject({ changed: 0, unchanged: 1 });
    expect(await dbFingerprint(db)).toEqual(before); // nothing changed, nothing audited

    const removed = await removeGroupMembers(db, w.ta, group.id, [hana.memberId, mary.memberId, w.people.mem.memberId]);
    expect(removed).toMatchObject({ changed: 2, unchanged: 1 });
    expect(await membersOf(group.id)).toEqual([ravi.memberId]);

    const events = (await auditFor(group.id)).filter((e) => e.action !== 'group.create');
    expect(events.map((e) => [e.action, e.before, e.after])).toEqual([
      ['group.addMembers', null, { members: [hana.email, ravi.email].sort(), count: 2 }],
      ['group.addMembers', null, { members: [mary.email], count: 1 }],
      ['group.removeMembers', { members: [hana.email, mary.email].sort(), count: 2 }, null],
    ]);
    expect(events.every((e) => e.tenantId === w.ca.id && e.targetLabel === 'Sales' && e.actorUserId === w.ta.userId)).toBe(true);
  });

  it('adds and removes one member from the user page the same way', async () => {
    const w = await world();
    const group = await createGroup(db, w.ta, fields('Sales'));
    await addMemberToGroup(db, w.ta, group.id, w.people.hana.memberId);
    expect(await membersOf(group.id)).toEqual([w.people.hana.memberId]);
    await removeMemberFromGroup(db, w.ta, group.id, w.people.hana.memberId);
    expect(await membersOf(group.id)).toEqual([]);
    expect((await auditFor(group.id)).map((e) => e.action)).toEqual(['group.create', 'group.addMembers', 'group.removeMembers']);
  });

  it('is all or nothing: one id of another tenant, unknown or malformed refuses the whole list', async () => {
    const w = await world();
    const group = await createGroup(db, w.ta, fields('Sales'));
    await addGroupMembers(db, w.ta, group.id, [w.people.mary.memberId]);
    const good = [w.people.ravi.memberId, w.people.hana.memberId];
    for (const bad of [w.people.otherPerson.memberId, crypto.randomUUID(), 'not-a-uuid']) {
      await refused(() => addGroupMembers(db, w.ta, group.id, [...good, bad]), NotFoundError);
      await refused(() => removeGroupMembers(db, w.ta, group.id, [w.people.mary.memberId, bad]), NotFoundError);
    }
    expect(await membersOf(group.id)).toEqual([w.people.mary.memberId]);
  });

  it('refuses an empty selection and too many ids, changing nothing', async () => {
    const w = await world();
    const group = await createGroup(db, w.ta, fields('Sales'));
    await refused(() => addGroupMembers(db, w.ta, group.id, []), { key: 'groups.errors.noneSelected' });
    await refused(() => removeGroupMembers(db, w.ta, group.id, []), { key: 'groups.errors.noneSelected' });
    const many = Array.from({ length: GROUP_BULK_MAX + 1 }, () => crypto.randomUUID());
    await refused(() => addGroupMembers(db, w.ta, group.id, many), { key: 'groups.errors.tooMany' });
  });

  it('never puts a member in another tenant’s group', async () => {
    const w = await world();
    const theirs = await createGroup(db, w.otherTa, fields('Theirs'));
    // The other tenant's admin cannot add our member to their group either.
    await refused(() => addGroupMembers(db, w.otherTa, theirs.id, [w.people.ravi.memberId]), NotFoundError);
    expect(await membersOf(theirs.id)).toEqual([]);
  });
});

describe('refusals (SPEC §2: groups are for tenant administrators only)', () => {
  /** Every function of lib/groups, as `actor` on the world's group and members. */
  function calls(w: World, groupId: string, actor: Actor) {
    const ids = [w.people.ravi.memberId];
    return {
      createGroup: () => createGroup(db, actor, fields('Intruders')),
      updateGroup: () => updateGroup(db, actor, groupId, fields('Renamed')),
      loadGroup: () => loadGroup(db, actor, groupId),
      deleteGroup: () => deleteGroup(db, actor, groupId),
      listGroups: () => listGroups(db, actor),
      listGroupOptions: () => listGroupOptions(db, actor),
      deletedGroupName: () => deletedGroupName(db, actor, groupId),
      addGroupMembers: () => addGroupMembers(db, actor, groupId, ids),
      removeGroupMembers: () => removeGroupMembers(db, actor, groupId, [w.people.hana.memberId]),
      addMemberToGroup: () => addMemberToGroup(db, actor, groupId, w.people.ravi.memberId),
      removeMemberFromGroup: () => removeMemberFromGroup(db, actor, groupId, w.people.hana.memberId),
    };
  }

  async function setup() {
    const w = await world();
    const group = await createGroup(db, w.ta, fields('Sales'));
    await addGroupMembers(db, w.ta, group.id, [w.people.hana.memberId]);
    return { w, group };
  }

  it('refuses an org administrator (forbidden) for every function, changing nothing', async () => {
    const { w, group } = await setup();
    for (const [name, call] of Object.entries(calls(w, group.id, w.oa))) {
      const err = await refused(call, ForbiddenError);
      expect(err, name).toBeInstanceOf(ForbiddenError);
    }
  });

  it('answers a plain member "not found" for every function, changing nothing', async () => {
    const { w, group } = await setup();
    for (const [name, call] of Object.entries(calls(w, group.id, w.mem))) {
      const err = await refused(call, name === 'createGroup' || name.startsWith('list') || name === 'deletedGroupName' ? ForbiddenError : NotFoundError);
      expect(err, name).toBeInstanceOf(DomainError);
    }
  });

  it('answers another tenant’s administrator "not found" for every function on this tenant’s group, changing nothing', async () => {
    const { w, group } = await setup();
    const own = calls(w, group.id, w.otherTa);
    for (const name of ['updateGroup', 'loadGroup', 'deleteGroup', 'addGroupMembers', 'removeGroupMembers', 'addMemberToGroup', 'removeMemberFromGroup'] as const) {
      const err = await refused(own[name], NotFoundError);
      expect(err, name).toBeInstanceOf(NotFoundError);
    }
    // Tenant-wide functions act in the actor's own tenant: they never show this tenant's groups.
    expect((await listGroups(db, w.otherTa)).rows).toEqual([]);
    expect(await listGroupOptions(db, w.otherTa)).toEqual([]);
    expect(await deletedGroupName(db, w.otherTa, group.id)).toBeNull();
    const mine = await createGroup(db, w.otherTa, fields('Sales'));
    expect(mine.tenantId).toBe(w.other.id);
    expect(await db.select().from(userGroups).where(and(eq(userGroups.tenantId, w.ca.id), eq(userGroups.id, mine.id)))).toEqual([]);
  });

  it('answers unknown and malformed group ids "not found"', async () => {
    const { w } = await setup();
    for (const id of [crypto.randomUUID(), 'not-a-uuid']) {
      for (const [name, call] of Object.entries(calls(w, id, w.ta))) {
        if (['createGroup', 'listGroups', 'listGroupOptions', 'deletedGroupName'].includes(name)) continue;
        const err = await refused(call, NotFoundError);
        expect(err, name).toBeInstanceOf(NotFoundError);
      }
    }
  });
});
