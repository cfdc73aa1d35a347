import { and, asc, eq, like } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '@/db/client';
import { auditEvents, organizations } from '@/db/schema';
import { createTestDatabase, type TestDatabase } from '@/db/testing';
import type { Actor } from '@/lib/actor';
import { DomainError, ForbiddenError, NotFoundError } from '@/lib/errors';
import { dbFingerprint } from '@/lib/testing/db-fingerprint';
import { expectRefused, failure, type RefusalKind } from '@/lib/testing/refusals';
import { adminScope } from '@/lib/authz';
import { actorFor, addMember, createTenantFixture, type TenantFixture } from '@/lib/testing/fixtures';
import {
  createOrganization,
  deletedOrgPath,
  deleteOrganization,
  flattenOrgTree,
  insertChildOrganization,
  loadOrganizationDetails,
  loadOrgAncestors,
  loadMoveTargets,
  loadOrgTree,
  moveOrganization,
  updateOrganization,
} from './orgs';

let tdb: TestDatabase;
let db: Database;
let seq = 0;

interface World {
  ca: TenantFixture;
  other: TenantFixture;
  ta: Actor;
  oa: Actor; // administrator of CA__India
  mem: Actor; // plain member of CA__India__HR
  otherTa: Actor;
}

/** A fresh pair of tenants per test, so tests never depend on each other's changes. */
async function world(extraPaths: string[] = []): Promise<World> {
  const n = ++seq;
  const ca = await createTenantFixture(db, {
    slug: `ca${n}`,
    name: 'CA',
    orgPaths: ['CA__India__HR', 'CA__US__HR', 'CA__Indiana', ...extraPaths],
  });
  const other = await createTenantFixture(db, { slug: `other${n}`, name: 'OTHER', orgPaths: ['OTHER__Sales'] });
  const ta = await addMember(db, ca, { email: `ta${n}@ca.test`, isTenantAdmin: true, orgs: [{ path: 'CA' }] });
  const oa = await addMember(db, ca, { email: `oa${n}@ca.test`, orgs: [{ path: 'CA__India', isAdmin: true }] });
  const mem = await addMember(db, ca, { email: `mem${n}@ca.test`, orgs: [{ path: 'CA__India__HR' }] });
  const oth = await addMember(db, other, { email: `oth${n}@other.test`, isTenantAdmin: true, orgs: [{ path: 'OTHER' }] });
  return {
    ca,
    other,
    ta: await actorFor(db, ta.userId, ca),
    oa: await actorFor(db, oa.userId, ca),
    mem: await actorFor(db, mem.userId, ca),
    otherTa: await actorFor(db, oth.userId, other),
  };
}

const fields = (name: string, extra: { description?: string; emailNotifications?: boolean } = {}) => ({
  name,
  description: extra.description ?? '',
  emailNotifications: extra.emailNotifications ?? true,
});

async function orgRow(id: string) {
  const [row] = await db.select().from(organizations).where(eq(organizations.id, id));
  return row;
}


/** Asserts the call is refused as `kind` and changed nothing. */
const refused = (call: () => Promise<unknown>, kind: RefusalKind) => expectRefused(db, call, kind);

async function auditFor(targetId: string) {
  return db.select().from(auditEvents).where(eq(auditEvents.targetId, targetId)).orderBy(asc(auditEvents.id));
}

beforeAll(async () => {
  tdb = await createTestDatabase();
  db = tdb.db;
});

afterAll(async () => {
  await tdb?.drop();
});

describe('createOrganization', () => {
  it('creates a sub-organization with paths derived from its parent, audited', async () => {
    const w = await world();
    const india = w.ca.org('CA__India');
    const org = await createOrganization(db, w.ta, { parentId: india.id, ...fields('Sales', { description: 'Sales team', emailNotifications: false }) });
    expect(org).toMatchObject({
      tenantId: w.ca.id,
      parentId: india.id,
      name: 'Sales',
      namePath: 'CA__India__Sales',
      idPath: `${india.idPath}${org.id}/`,
      depth: 2,
      description: 'Sales team',
      emailNotifications: false,
    });
    const [event] = await auditFor(org.id);
    expect(event).toMatchObject({
      tenantId: w.ca.id,
      actorUserId: w.ta.userId,
      action: 'org.create',
      targetType: 'org',
      targetLabel: 'CA__India__Sales',
      orgIdPaths: [org.idPath],
      before: null,
    });
    // Readable fields only: the path says where it sits (no raw parent id on the audit screen).
    expect(event!.after).toEqual({ name: 'Sales', namePath: 'CA__India__Sales', description: 'Sales team', emailNotifications: false });
  });

  it('accepts Japanese names and every allowed punctuation', async () => {
    const w = await world();
    const org = await createOrganization(db, w.ta, { parentId: w.ca.root.id, ...fields("営業部 East_1 | RD-ish, O'Neil") });
    expect(org.namePath).toBe("CA__営業部 East_1 | RD-ish, O'Neil");
  });

  it.each([
    ['', 'names.required'],
    ['x'.repeat(65), 'names.tooLong'],
    ['Sales/EU', 'names.invalidChars'],
    ['Sales<script>', 'names.invalidChars'],
    [' Sales', 'names.edgeSpace'],
    ['Sales ', 'names.edgeSpace'],
    ['Sales__EU', 'names.separator'],
    ['hr', 'orgs.duplicateName'], // CA__India__HR exists: compared ignoring case
    ['HR', 'orgs.duplicateName'],
  ])('refuses the name %j (%s) beside the name field, changing nothing', async (name, key) => {
    const w = await world();
    await refused(() => createOrganization(db, w.ta, { parentId: w.ca.org('CA__India').id, ...fields(name) }), { key, field: 'name' });
  });

  it('accepts 64 characters (counted as characters, not bytes)', async () => {
    const w = await world();
    const org = await createOrganization(db, w.ta, { parentId: w.ca.root.id, ...fields('組'.repeat(64)) });
    expect(org.name).toHaveLength(64);
  });

  it('names the existing sibling and parent in the duplicate message', async () => {
    const w = await world();
    const err = await failure(createOrganization(db, w.ta, { parentId: w.ca.org('CA__India').id, ...fields('hr') }));
    expect(err.params).toEqual({ name: 'HR', parent: 'CA__India' });
  });

  it('refuses a description over 1000 characters', async () => {
    const w = await world();
    await refused(
      () => createOrganization(db, w.ta, { parentId: w.ca.root.id, ...fields('Legal', { description: 'x'.repeat(1001) }) }),
      { key: 'orgs.descriptionTooLong', field: 'description' },
    );
    const ok = await createOrganization(db, w.ta, { parentId: w.ca.root.id, ...fields('Legal', { description: 'x'.repeat(1000) }) });
    expect(ok.description).toHaveLength(1000);
  });

  it('refuses a path that reads like another org path (A_ + B vs A + _B)', async () => {
    const w = await world(['CA__X']);
    const xUnderscore = await insertChildOrganization(db, { ...w.ca.root, tenantId: w.ca.id }, { name: 'X_' });
    await insertChildOrganization(db, xUnderscore, { name: 'Y' }); // CA__X_ + Y = CA__X___Y
    const err = await refused(() => createOrganization(db, w.ta, { parentId: w.ca.org('CA__X').id, ...fields('_Y') }), {
      key: 'orgs.duplicatePath',
      field: 'name',
    });
    expect(err.params).toEqual({ path: 'CA__X___Y' });
  });

  it('lets only one of two concurrent creations of the same name succeed', async () => {
    const w = await world();
    const parentId = w.ca.org('CA__US').id;
    const results = await Promise.allSettled([
      createOrganization(db, w.ta, { parentId, ...fields('Ops') }),
      createOrganization(db, w.ta, { parentId, ...fields('OPS') }),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const rejected = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect(rejected.reason).toBeInstanceOf(DomainError);
    expect((rejected.reason as DomainError).field).toBe('name');
  });
});

describe('updateOrganization', () => {
  it('renames an org and rewrites the path of every descendant, nothing else', async () => {
    const w = await world(['CA__India__HR__Payroll__Tokyo']);
    const india = w.ca.org('CA__India');
    const updated = await updateOrganization(db, w.ta, india.id, fields('Bharat', { description: 'South Asia' }));
    expect(updated).toMatchObject({ name: 'Bharat', namePath: 'CA__Bharat', description: 'South Asia', idPath: india.idPath });
    const subtree = await db.select().from(organizations).where(like(organizations.idPath, `${india.idPath}%`)).orderBy(asc(organizations.depth));
    expect(subtree.map((o) => o.namePath)).toEqual(['CA__Bharat', 'CA__Bharat__HR', 'CA__Bharat__HR__Payroll', 'CA__Bharat__HR__Payroll__Tokyo']);
    // A name sharing the prefix is another org: untouched.
    expect((await orgRow(w.ca.org('CA__Indiana').id))?.namePath).toBe('CA__Indiana');
    expect((await orgRow(w.ca.org('CA__US__HR').id))?.namePath).toBe('CA__US__HR');

    const [event] = await auditFor(india.id);
    expect(event).toMatchObject({
      action: 'org.update',
      orgIdPaths: [india.idPath],
      before: { name: 'India', namePath: 'CA__India', description: '' },
      after: { name: 'Bharat', namePath: 'CA__Bharat', description: 'South Asia' },
    });
  });

  it('changes only the case of a name (the org is not its own duplicate)', async () => {
    const w = await world();
    const updated = await updateOrganization(db, w.ta, w.ca.org('CA__India__HR').id, fields('hr'));
    expect(updated.namePath).toBe('CA__India__hr');
  });

  it('records nothing when nothing changed', async () => {
    const w = await world();
    const hr = w.ca.org('CA__India__HR');
    const before = await dbFingerprint(db);
    await updateOrganization(db, w.ta, hr.id, fields('HR'));
    expect(await dbFingerprint(db)).toEqual(before);
  });

  it('edits the description and email notifications of the root, but never its name', async () => {
    const w = await world();
    const root = await updateOrganization(db, w.ta, w.ca.root.id, fields('CA', { description: 'Head office', emailNotifications: false }));
    expect(root).toMatchObject({ name: 'CA', description: 'Head office', emailNotifications: false });
    await refused(() => updateOrganization(db, w.ta, w.ca.root.id, fields('CA Corp')), { key: 'orgs.rootRename', field: 'name' });
  });

  it.each([
    ['US', 'orgs.duplicateName'],
    ['indiana', 'orgs.duplicateName'],
    ['', 'names.required'],
    ['A__B', 'names.separator'],
    ['Bad*', 'names.invalidChars'],
    ['y'.repeat(65), 'names.tooLong'],
  ])('refuses the new name %j (%s), changing nothing', async (name, key) => {
    const w = await world();
    await refused(() => updateOrganization(db, w.ta, w.ca.org('CA__India').id, fields(name)), { key, field: 'name' });
  });

  it('refuses a rename whose descendants would take an existing path', async () => {
    const w = await world(['CA__Indiana___Q']); // Indiana + _Q
    const pUnderscore = await insertChildOrganization(db, { ...w.ca.root, tenantId: w.ca.id }, { name: 'P_' });
    await insertChildOrganization(db, pUnderscore, { name: 'Q' }); // CA__P_ + Q = CA__P___Q
    // Renaming Indiana to P would make its child _Q read CA__P___Q too.
    const err = await refused(() => updateOrganization(db, w.ta, w.ca.org('CA__Indiana').id, fields('P')), {
      key: 'orgs.duplicatePath',
      field: 'name',
    });
    expect(err.params).toEqual({ path: 'CA__P___Q' });
  });

  it('refuses a description over 1000 characters', async () => {
    const w = await world();
    await refused(() => updateOrganization(db, w.ta, w.ca.org('CA__US').id, fields('US', { description: 'z'.repeat(1001) })), {
      key: 'orgs.descriptionTooLong',
      field: 'description',
    });
  });
});

describe('moveOrganization', () => {
  const chain = ['CA', 'India', ...Array.from({ length: 10 }, (_, i) => `L${i + 2}`)]; // depth 11

  it('moves a 10-level subtree: idPath, namePath and depth of every row rewritten', async () => {
    const w = await world([chain.join('__')]);
    const l2 = w.ca.org('CA__India__L2');
    const us = w.ca.org('CA__US');
    const before = await db.select().from(organizations).where(like(organizations.idPath, `${l2.idPath}%`)).orderBy(asc(organizations.depth));
    expect(before).toHaveLength(10);

    const moved = await moveOrganization(db, w.ta, l2.id, us.id);
    expect(moved).toMatchObject({ parentId: us.id, idPath: `${us.idPath}${l2.id}/`, namePath: 'CA__US__L2', depth: 2 });

    for (const old of before) {
      const now = (await orgRow(old.id))!;
      expect(now.idPath).toBe(`${us.idPath}${old.idPath.slice(w.ca.org('CA__India').idPath.length)}`);
      expect(now.namePath).toBe(old.namePath.replace(/^CA__India__/, 'CA__US__'));
      expect(now.depth).toBe(old.depth); // India and US are both at depth 1
      expect(now.parentId).toBe(old.id === l2.id ? us.id : old.parentId);
      expect(now.name).toBe(old.name);
    }
    // The deepest org is found under its new path.
    const deepest = (await orgRow(before.at(-1)!.id))!;
    expect(deepest.namePath).toBe(['CA', 'US', ...chain.slice(2)].join('__'));
    expect(deepest.depth).toBe(11);

    const [event] = await auditFor(l2.id);
    expect(event).toMatchObject({
      action: 'org.move',
      before: { namePath: 'CA__India__L2' },
      after: { namePath: 'CA__US__L2' },
    });
    expect(new Set(event!.orgIdPaths)).toEqual(new Set([l2.idPath, moved.idPath, w.ca.org('CA__India').idPath, us.idPath]));
  });

  it('changes depths when moving up or down the tree', async () => {
    const w = await world([chain.join('__')]);
    const l5 = w.ca.org('CA__India__L2__L3__L4__L5');
    await moveOrganization(db, w.ta, l5.id, w.ca.root.id);
    const subtree = await db.select().from(organizations).where(and(eq(organizations.tenantId, w.ca.id), like(organizations.namePath, 'CA__L5%'))).orderBy(asc(organizations.depth));
    expect(subtree.map((o) => o.depth)).toEqual([1, 2, 3, 4, 5, 6, 7]); // L5 … L11
    await moveOrganization(db, w.ta, l5.id, w.ca.org('CA__US__HR').id);
    const deepest = await db.select().from(organizations).where(and(eq(organizations.tenantId, w.ca.id), eq(organizations.name, 'L11')));
    expect(deepest[0]).toMatchObject({ depth: 9, namePath: 'CA__US__HR__L5__L6__L7__L8__L9__L10__L11' });
  });

  it('insertChildOrganization (seed, fixtures) derives paths from the parent as it is now, not as the caller last read it', async () => {
    const w = await world();
    const hr = w.ca.org('CA__India__HR'); // read before the move
    await moveOrganization(db, w.ta, w.ca.org('CA__India').id, w.ca.org('CA__US').id);
    const child = await insertChildOrganization(db, { ...hr, tenantId: w.ca.id }, { name: 'Payroll' });
    const current = (await orgRow(hr.id))!;
    expect(child).toMatchObject({ parentId: hr.id, namePath: 'CA__US__India__HR__Payroll', idPath: `${current.idPath}${child.id}/`, depth: current.depth + 1 });
  });

  it('refuses a move under itself or any of its descendants, the root, and a sibling-name clash, changing nothing', async () => {
    const w = await world([chain.join('__')]);
    const india = w.ca.org('CA__India');
    await refused(() => moveOrganization(db, w.ta, india.id, india.id), { key: 'orgs.moveUnderItself', field: 'parentId' });
    await refused(() => moveOrganization(db, w.ta, india.id, w.ca.org('CA__India__HR').id), { key: 'orgs.moveUnderItself', field: 'parentId' });
    await refused(() => moveOrganization(db, w.ta, india.id, w.ca.org(chain.join('__')).id), { key: 'orgs.moveUnderItself', field: 'parentId' });
    await refused(() => moveOrganization(db, w.ta, w.ca.root.id, w.ca.org('CA__US').id), { key: 'orgs.rootMove', field: 'parentId' });
    const err = await refused(() => moveOrganization(db, w.ta, w.ca.org('CA__India__HR').id, w.ca.org('CA__US').id), {
      key: 'orgs.duplicateNameAtDestination',
      field: 'parentId',
    });
    expect(err.params).toEqual({ name: 'HR', parent: 'CA__US' });
  });

  it('is a no-op when the new parent is the current one', async () => {
    const w = await world();
    const before = await dbFingerprint(db);
    await moveOrganization(db, w.ta, w.ca.org('CA__India__HR').id, w.ca.org('CA__India').id);
    expect(await dbFingerprint(db)).toEqual(before);
  });

  it('never creates a cycle when two crossing moves run at once', async () => {
    const w = await world(['CA__A__A1', 'CA__B__B1']);
    const a = w.ca.org('CA__A');
    const b = w.ca.org('CA__B');
    const results = await Promise.allSettled([
      moveOrganization(db, w.ta, a.id, w.ca.org('CA__B__B1').id),
      moveOrganization(db, w.ta, b.id, w.ca.org('CA__A__A1').id),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const rejected = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect((rejected.reason as DomainError).messageKey).toBe('orgs.moveUnderItself');
    // Every org still reaches the root: idPaths start at the root and parents agree with them.
    const all = await db.select().from(organizations).where(eq(organizations.tenantId, w.ca.id));
    const byId = new Map(all.map((o) => [o.id, o]));
    for (const o of all) {
      expect(o.idPath.startsWith(w.ca.root.idPath)).toBe(true);
      if (o.parentId) expect(o.idPath).toBe(`${byId.get(o.parentId)!.idPath}${o.id}/`);
    }
  });
});

describe('deleteOrganization', () => {
  it('deletes an empty org, audited', async () => {
    const w = await world(['CA__US__Empty']);
    const empty = w.ca.org('CA__US__Empty');
    await deleteOrganization(db, w.ta, empty.id);
    expect(await orgRow(empty.id)).toBeUndefined();
    const [event] = await auditFor(empty.id);
    expect(event).toMatchObject({ action: 'org.delete', targetLabel: 'CA__US__Empty', orgIdPaths: [empty.idPath], after: null });
    expect(event!.before).toMatchObject({ namePath: 'CA__US__Empty' });
  });

  it('says exactly what blocks it: sub-organizations and members, with counts', async () => {
    const w = await world(['CA__India__Sales']);
    await addMember(db, w.ca, { email: 'x1@ca.test', orgs: [{ path: 'CA__India' }] });
    // India: 2 sub-orgs (HR, Sales) and 2 members (the India admin and x1).
    const both = await refused(() => deleteOrganization(db, w.ta, w.ca.org('CA__India').id), { key: 'orgs.deleteBlockedBoth', field: undefined });
    expect(both.params).toEqual({ name: 'CA__India', children: 2, members: 2 });

    const members = await refused(() => deleteOrganization(db, w.ta, w.ca.org('CA__India__HR').id), { key: 'orgs.deleteBlockedMembers', field: undefined });
    expect(members.params).toEqual({ name: 'CA__India__HR', children: 0, members: 1 });

    const children = await refused(() => deleteOrganization(db, w.ta, w.ca.org('CA__US').id), { key: 'orgs.deleteBlockedChildren', field: undefined });
    expect(children.params).toEqual({ name: 'CA__US', children: 1, members: 0 });
  });

  it('names a deleted org only from its audit entry, and only within the scope', async () => {
    const w = await world(['CA__US__Gone', 'CA__India__Gone']);
    const us = w.ca.org('CA__US__Gone');
    const india = w.ca.org('CA__India__Gone');
    const [ta, oa] = [await adminScope(db, w.ta), await adminScope(db, w.oa)];
    // Before the deletion (a crafted link): nothing to announce.
    expect(await deletedOrgPath(db, ta, us.id)).toBeNull();
    await deleteOrganization(db, w.ta, us.id);
    await deleteOrganization(db, w.ta, india.id);
    expect(await deletedOrgPath(db, ta, us.id)).toBe('CA__US__Gone');
    expect(await deletedOrgPath(db, oa, india.id)).toBe('CA__India__Gone');
    // Outside the org admin's subtree, in another tenant, unknown or not an id: nothing.
    expect(await deletedOrgPath(db, oa, us.id)).toBeNull();
    expect(await deletedOrgPath(db, { kind: 'tenant', tenantId: w.other.id }, us.id)).toBeNull();
    expect(await deletedOrgPath(db, { kind: 'none' }, us.id)).toBeNull();
    expect(await deletedOrgPath(db, ta, w.ca.org('CA__India').id)).toBeNull();
    expect(await deletedOrgPath(db, ta, 'CA__Fake')).toBeNull();
  });

  it('never deletes the root', async () => {
    const w = await world();
    await refused(() => deleteOrganization(db, w.ta, w.ca.root.id), { key: 'orgs.rootDelete', field: undefined });
  });
});

describe('refusals (SPEC §2: only tenant administrators manage orgs)', () => {
  it('org admin: FORBIDDEN inside their subtree, NOT FOUND outside; nothing changes', async () => {
    const w = await world(['CA__India__Empty']);
    const inScope = w.ca.org('CA__India__Empty').id;
    const outside = w.ca.org('CA__US__HR').id;
    await refused(() => createOrganization(db, w.oa, { parentId: w.ca.org('CA__India').id, ...fields('New') }), ForbiddenError);
    await refused(() => createOrganization(db, w.oa, { parentId: w.ca.org('CA__US').id, ...fields('New') }), NotFoundError);
    await refused(() => createOrganization(db, w.oa, { parentId: w.ca.root.id, ...fields('New') }), NotFoundError);
    await refused(() => updateOrganization(db, w.oa, inScope, fields('Renamed')), ForbiddenError);
    await refused(() => updateOrganization(db, w.oa, outside, fields('Renamed')), NotFoundError);
    await refused(() => moveOrganization(db, w.oa, inScope, w.ca.org('CA__India__HR').id), ForbiddenError);
    await refused(() => moveOrganization(db, w.oa, outside, w.ca.org('CA__India').id), NotFoundError);
    await refused(() => deleteOrganization(db, w.oa, inScope), ForbiddenError);
    await refused(() => deleteOrganization(db, w.oa, outside), NotFoundError);
    // Sees its subtree (read-only), not the rest.
    await expect(loadOrganizationDetails(db, w.oa, inScope)).resolves.toBeTruthy();
    await expect(loadOrganizationDetails(db, w.oa, outside)).rejects.toBeInstanceOf(NotFoundError);
    await expect(loadOrganizationDetails(db, w.oa, w.ca.root.id)).rejects.toBeInstanceOf(NotFoundError);
  });

  it('plain member: refused everything, even their own org', async () => {
    const w = await world(['CA__India__Empty']);
    const hr = w.ca.org('CA__India__HR').id;
    await refused(() => createOrganization(db, w.mem, { parentId: hr, ...fields('New') }), NotFoundError);
    await refused(() => updateOrganization(db, w.mem, hr, fields('Renamed')), NotFoundError);
    await refused(() => moveOrganization(db, w.mem, w.ca.org('CA__India__Empty').id, hr), NotFoundError);
    await refused(() => deleteOrganization(db, w.mem, w.ca.org('CA__India__Empty').id), NotFoundError);
    await expect(loadOrganizationDetails(db, w.mem, hr)).rejects.toBeInstanceOf(NotFoundError);
  });

  it("another tenant's ids are NOT FOUND, as org and as new parent", async () => {
    const w = await world(['CA__US__Empty']);
    const sales = w.other.org('OTHER__Sales').id;
    // A tenant admin of CA reaching into OTHER:
    await refused(() => createOrganization(db, w.ta, { parentId: sales, ...fields('Mine') }), NotFoundError);
    await refused(() => updateOrganization(db, w.ta, sales, fields('Mine')), NotFoundError);
    await refused(() => moveOrganization(db, w.ta, sales, w.ca.root.id), NotFoundError);
    await refused(() => moveOrganization(db, w.ta, w.ca.org('CA__US__Empty').id, sales), NotFoundError);
    await refused(() => moveOrganization(db, w.ta, w.ca.org('CA__US__Empty').id, w.other.root.id), NotFoundError);
    await refused(() => deleteOrganization(db, w.ta, sales), NotFoundError);
    await expect(loadOrganizationDetails(db, w.ta, sales)).rejects.toBeInstanceOf(NotFoundError);
    // And OTHER's admin reaching into CA:
    await refused(() => deleteOrganization(db, w.otherTa, w.ca.org('CA__US__Empty').id), NotFoundError);
    await refused(() => moveOrganization(db, w.otherTa, sales, w.ca.root.id), NotFoundError);
    // Unknown and malformed ids look the same.
    await refused(() => deleteOrganization(db, w.ta, crypto.randomUUID()), NotFoundError);
    await refused(() => updateOrganization(db, w.ta, 'not-a-uuid', fields('X')), NotFoundError);
  });
});

describe('reads', () => {
  it('loads an org with its ancestors (root first), its sub-organizations and counts', async () => {
    const w = await world(['CA__India__HR__Payroll', 'CA__India__Sales']);
    await addMember(db, w.ca, { email: 'r1@ca.test', orgs: [{ path: 'CA__India__HR' }] });
    const { org, ancestors, children } = await loadOrganizationDetails(db, w.ta, w.ca.org('CA__India__HR').id);
    expect(org).toMatchObject({ namePath: 'CA__India__HR', childCount: 1, memberCount: 2 });
    expect(ancestors.map((a) => a.namePath)).toEqual(['CA', 'CA__India']);
    expect(children.map((c) => [c.name, c.childCount, c.memberCount])).toEqual([['Payroll', 0, 0]]);

    const india = await loadOrganizationDetails(db, w.ta, w.ca.org('CA__India').id);
    expect(india.children.map((c) => c.name)).toEqual(['HR', 'Sales']);
    expect(await loadOrgAncestors(db, { ...w.ca.root, tenantId: w.ca.id })).toEqual([]);
  });

  it('lists move targets: everything but the org, its descendants and its current parent', async () => {
    const w = await world(['CA__India__HR__Payroll']);
    const nodes = flattenOrgTree(await loadOrgTree(db, { kind: 'tenant', tenantId: w.ca.id }));
    expect(nodes.map((n) => n.namePath)).toEqual(['CA', 'CA__India', 'CA__India__HR', 'CA__India__HR__Payroll', 'CA__Indiana', 'CA__US', 'CA__US__HR']);
    const targets = await loadMoveTargets(db, { kind: 'tenant', tenantId: w.ca.id }, w.ca.org('CA__India__HR'));
    expect(targets.map((n) => n.namePath)).toEqual(['CA', 'CA__Indiana', 'CA__US', 'CA__US__HR']);
  });
});
