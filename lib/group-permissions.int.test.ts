import { and, asc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Database } from '@/db/client';
import { auditEvents, groupContractPermissions, groupServicePermissions } from '@/db/schema';
import { createTestDatabase, type TestDatabase } from '@/db/testing';
import type { Actor } from '@/lib/actor';
import { DomainError, ForbiddenError, NotFoundError } from '@/lib/errors';
import { dbFingerprint } from '@/lib/testing/db-fingerprint';
import { expectRefused, type RefusalKind } from '@/lib/testing/refusals';
import { actorFor, addContract, addGroup, addMember, addService, createTenantFixture, type TenantFixture } from '@/lib/testing/fixtures';
import { setGroupContractLevel, setGroupServiceLevel } from '@/lib/testing/permissions-fixtures';
import { loadGroupPermissions, saveGroupPermissions, type SavePermissionsInput } from './group-permissions';

let tdb: TestDatabase;
let db: Database;
let ca: TenantFixture;
let other: TenantFixture;
const a: Record<string, Actor> = {};
const svc: Record<string, string> = {};
const con: Record<string, string> = {};
let seq = 0;

beforeAll(async () => {
  tdb = await createTestDatabase();
  db = tdb.db;
  ca = await createTenantFixture(db, { slug: 'ca', orgPaths: ['CA__India'] });
  other = await createTenantFixture(db, { slug: 'other', orgPaths: ['OTHER__Sales'] });
  svc.cloud = await addService(db, { key: 'cloud', name: 'Enterprise Cloud 2.0' });
  svc.playbook = await addService(db, { key: 'playbook', name: 'Clarity Playbook' });
  svc.storage = await addService(db, { key: 'storage', name: 'Storage' }); // no contract in CA
  svc.legacy = await addService(db, { key: 'legacy', name: 'Legacy' }); // no contract in CA either
  con.prod = await addContract(db, ca, { serviceId: svc.cloud, code: 'CLOUD-PROD', name: 'Cloud production' });
  con.dev = await addContract(db, ca, { serviceId: svc.cloud, code: 'CLOUD-DEV', name: 'Cloud development' });
  con.std = await addContract(db, ca, { serviceId: svc.playbook, code: 'PLAYBOOK-STD', name: 'Playbook standard' });
  con.otherOnly = await addContract(db, other, { serviceId: svc.storage, code: 'OTHER-STORAGE', name: 'Other storage' });

  const ta = await addMember(db, ca, { email: 'ta@ca.test', isTenantAdmin: true, orgs: [{ path: 'CA' }] });
  const oa = await addMember(db, ca, { email: 'oa@ca.test', orgs: [{ path: 'CA__India', isAdmin: true }] });
  const mem = await addMember(db, ca, { email: 'mem@ca.test', orgs: [{ path: 'CA__India' }] });
  const oth = await addMember(db, other, { email: 'ta@other.test', isTenantAdmin: true, orgs: [{ path: 'OTHER' }] });
  a.ta = await actorFor(db, ta.userId, ca);
  a.oa = await actorFor(db, oa.userId, ca);
  a.mem = await actorFor(db, mem.userId, ca);
  a.oth = await actorFor(db, oth.userId, other);
});

afterAll(async () => {
  await tdb?.drop();
});

let groupId: string;
beforeEach(async () => {
  seq += 1;
  groupId = await addGroup(db, ca, { name: `Group ${seq}` });
});

async function rowsOf(id: string) {
  const [services, contracts] = await Promise.all([
    db
      .select({ serviceId: groupServicePermissions.serviceId, level: groupServicePermissions.level })
      .from(groupServicePermissions)
      .where(eq(groupServicePermissions.groupId, id))
      .orderBy(asc(groupServicePermissions.serviceId)),
    db
      .select({ contractId: groupContractPermissions.contractId, level: groupContractPermissions.level })
      .from(groupContractPermissions)
      .where(eq(groupContractPermissions.groupId, id))
      .orderBy(asc(groupContractPermissions.contractId)),
  ]);
  return { services, contracts };
}

async function auditOf(id: string) {
  return db
    .select()
    .from(auditEvents)
    .where(and(eq(auditEvents.targetType, 'group'), eq(auditEvents.targetId, id)))
    .orderBy(asc(auditEvents.id));
}

/** Asserts the call is refused as `kind` and changed nothing at all. */
const refused = (call: () => Promise<unknown>, kind: RefusalKind) => expectRefused(db, call, kind);

async function save(input: Omit<SavePermissionsInput, 'revision'> & { revision?: string }, actor = a.ta!, id = groupId) {
  const revision = input.revision ?? (await loadGroupPermissions(db, a.ta!, id)).revision;
  return saveGroupPermissions(db, actor, id, { ...input, revision });
}

describe('loadGroupPermissions', () => {
  it('lists the tenant’s services with contracts by name, each contract with its level, and a revision', async () => {
    await setGroupServiceLevel(db, groupId, svc.cloud!, 'view');
    await setGroupContractLevel(db, ca, groupId, con.prod!, 'edit');
    const view = await loadGroupPermissions(db, a.ta!, groupId);
    expect(view.group).toEqual({ id: groupId, tenantId: ca.id, name: `Group ${seq}` });
    expect(view.revision).toMatch(/^[0-9a-f]{32}$/);
    expect(view.services).toEqual([
      {
        id: svc.playbook,
        key: 'playbook',
        name: 'Clarity Playbook',
        nameJa: null,
        level: 'none',
        contracts: [{ id: con.std, code: 'PLAYBOOK-STD', name: 'Playbook standard', startsOn: null, endsOn: null, level: 'inherit' }],
      },
      {
        id: svc.cloud,
        key: 'cloud',
        name: 'Enterprise Cloud 2.0',
        nameJa: null,
        level: 'view',
        contracts: [
          { id: con.dev, code: 'CLOUD-DEV', name: 'Cloud development', startsOn: null, endsOn: null, level: 'inherit' },
          { id: con.prod, code: 'CLOUD-PROD', name: 'Cloud production', startsOn: null, endsOn: null, level: 'edit' },
        ],
      },
    ]);
  });

  it('also lists a service the group has a row for although the tenant has no contract for it', async () => {
    await setGroupServiceLevel(db, groupId, svc.legacy!, 'edit');
    const view = await loadGroupPermissions(db, a.ta!, groupId);
    expect(view.services.map((s) => s.key)).toEqual(['playbook', 'cloud', 'legacy']);
    expect(view.services.find((s) => s.key === 'legacy')).toMatchObject({ level: 'edit', contracts: [] });
    // Another tenant's contract never shows.
    expect(view.services.some((s) => s.key === 'storage')).toBe(false);
  });

  it('the revision follows the permission rows, not the moment', async () => {
    const first = (await loadGroupPermissions(db, a.ta!, groupId)).revision;
    expect((await loadGroupPermissions(db, a.ta!, groupId)).revision).toBe(first);
    await setGroupServiceLevel(db, groupId, svc.cloud!, 'view');
    expect((await loadGroupPermissions(db, a.ta!, groupId)).revision).not.toBe(first);
  });

  it('is for tenant admins only: org admins forbidden, members and other tenants not found', async () => {
    await expect(loadGroupPermissions(db, a.oa!, groupId)).rejects.toBeInstanceOf(ForbiddenError);
    await expect(loadGroupPermissions(db, a.mem!, groupId)).rejects.toBeInstanceOf(NotFoundError);
    await expect(loadGroupPermissions(db, a.oth!, groupId)).rejects.toBeInstanceOf(NotFoundError);
    await expect(loadGroupPermissions(db, a.ta!, 'not-a-uuid')).rejects.toBeInstanceOf(NotFoundError);
  });
});

const STALE = { key: 'permissions.errors.stale' };

describe('saveGroupPermissions', () => {
  it('applies services and contracts together in one save and records one readable audit event', async () => {
    const result = await save({ services: { cloud: 'view', playbook: 'none' }, contracts: { 'CLOUD-PROD': 'edit', 'CLOUD-DEV': 'inherit', 'PLAYBOOK-STD': 'inherit' } });
    expect(result.changed).toBe(true);
    expect(await rowsOf(groupId)).toEqual({
      services: [{ serviceId: svc.cloud, level: 'view' }],
      contracts: [{ contractId: con.prod, level: 'edit' }],
    });
    expect(result.revision).toBe((await loadGroupPermissions(db, a.ta!, groupId)).revision);

    const events = await auditOf(groupId);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      tenantId: ca.id,
      action: 'group.permissions',
      actorLabel: 'ta@ca.test',
      targetLabel: `Group ${seq}`,
      before: { services: { cloud: 'none' }, contracts: { 'CLOUD-PROD': 'inherit' } },
      after: { services: { cloud: 'view' }, contracts: { 'CLOUD-PROD': 'edit' } },
    });
  });

  it('updates and removes rows: service to none, contract back to inherit, another contract to none', async () => {
    await setGroupServiceLevel(db, groupId, svc.cloud!, 'edit');
    await setGroupServiceLevel(db, groupId, svc.playbook!, 'view');
    await setGroupContractLevel(db, ca, groupId, con.prod!, 'view');
    await save({ services: { cloud: 'none', playbook: 'edit' }, contracts: { 'CLOUD-PROD': 'inherit', 'CLOUD-DEV': 'none' } });
    expect(await rowsOf(groupId)).toEqual({
      services: [{ serviceId: svc.playbook, level: 'edit' }],
      contracts: [{ contractId: con.dev, level: 'none' }],
    });
    const [event] = await auditOf(groupId);
    expect(event?.before).toEqual({ services: { cloud: 'edit', playbook: 'view' }, contracts: { 'CLOUD-PROD': 'view', 'CLOUD-DEV': 'inherit' } });
    expect(event?.after).toEqual({ services: { cloud: 'none', playbook: 'edit' }, contracts: { 'CLOUD-PROD': 'inherit', 'CLOUD-DEV': 'none' } });
  });

  it('writes several rows of each kind in one save, each with its own level, new and existing alike', async () => {
    await setGroupServiceLevel(db, groupId, svc.cloud!, 'edit');
    await setGroupContractLevel(db, ca, groupId, con.prod!, 'view');
    await save({ services: { cloud: 'view', playbook: 'edit' }, contracts: { 'CLOUD-PROD': 'none', 'CLOUD-DEV': 'edit', 'PLAYBOOK-STD': 'view' } });
    const byId = <T extends { serviceId?: string; contractId?: string }>(rows: T[]) =>
      rows.sort((x, y) => (x.serviceId ?? x.contractId!).localeCompare(y.serviceId ?? y.contractId!));
    expect(await rowsOf(groupId)).toEqual({
      services: byId([
        { serviceId: svc.cloud!, level: 'view' },
        { serviceId: svc.playbook!, level: 'edit' },
      ]),
      contracts: byId([
        { contractId: con.prod!, level: 'none' },
        { contractId: con.dev!, level: 'edit' },
        { contractId: con.std!, level: 'view' },
      ]),
    });
  });

  it('audits only what changed (no contracts key when only a service changed)', async () => {
    await setGroupContractLevel(db, ca, groupId, con.prod!, 'edit');
    await save({ services: { cloud: 'view', playbook: 'none' }, contracts: { 'CLOUD-PROD': 'edit', 'CLOUD-DEV': 'inherit' } });
    const [event] = await auditOf(groupId);
    expect(event?.before).toEqual({ services: { cloud: 'none' } });
    expect(event?.after).toEqual({ services: { cloud: 'view' } });
  });

  it('accepts contract codes case-insensitively and leaves out services and contracts not in the form', async () => {
    await setGroupServiceLevel(db, groupId, svc.playbook!, 'view');
    await save({ services: { cloud: 'edit' }, contracts: { 'cloud-dev': 'view' } });
    expect(await rowsOf(groupId)).toEqual({
      services: [{ serviceId: svc.cloud!, level: 'edit' }, { serviceId: svc.playbook!, level: 'view' }].sort((x, y) => x.serviceId.localeCompare(y.serviceId)),
      contracts: [{ contractId: con.dev, level: 'view' }],
    });
    const [event] = await auditOf(groupId);
    expect(event?.after).toEqual({ services: { cloud: 'edit' }, contracts: { 'CLOUD-DEV': 'view' } });
  });

  it('an unchanged save writes nothing, records no audit event and says so', async () => {
    await setGroupServiceLevel(db, groupId, svc.cloud!, 'view');
    const before = await dbFingerprint(db);
    const result = await save({ services: { cloud: 'view', playbook: 'none' }, contracts: { 'CLOUD-PROD': 'inherit', 'CLOUD-DEV': 'inherit', 'PLAYBOOK-STD': 'inherit' } });
    expect(result.changed).toBe(false);
    expect(await dbFingerprint(db)).toEqual(before);
    expect(await auditOf(groupId)).toEqual([]);
  });

  it('refuses a stale form (someone saved since it was opened) and changes nothing', async () => {
    const opened = (await loadGroupPermissions(db, a.ta!, groupId)).revision;
    await save({ services: { cloud: 'view' }, contracts: {} }); // someone else's save
    await refused(() => save({ revision: opened, services: { cloud: 'edit' }, contracts: { 'CLOUD-PROD': 'none' } }), STALE);
    expect(await rowsOf(groupId)).toEqual({ services: [{ serviceId: svc.cloud, level: 'view' }], contracts: [] });
    // A made-up revision is refused the same way.
    await refused(() => save({ revision: 'not-a-revision', services: {}, contracts: {} }), STALE);
  });

  it('refuses an unknown service key, naming it, and changes nothing (valid entries included)', async () => {
    const error = await refused(() => save({ services: { cloud: 'view', nosuch: 'view' }, contracts: { 'CLOUD-PROD': 'edit' } }), { key: 'permissions.errors.unknownService' });
    expect(error.params).toEqual({ key: 'nosuch' });
    // A catalog service this tenant has no contract for (and no row) is not on the form either.
    expect((await refused(() => save({ services: { storage: 'view' }, contracts: {} }), { key: 'permissions.errors.unknownService' })).params).toEqual({ key: 'storage' });
  });

  it('refuses an unknown contract code and another tenant’s contract code, naming it, and changes nothing', async () => {
    expect((await refused(() => save({ services: { cloud: 'view' }, contracts: { 'NO-SUCH': 'edit' } }), { key: 'permissions.errors.unknownContract' })).params).toEqual({ code: 'NO-SUCH' });
    expect((await refused(() => save({ services: { cloud: 'view' }, contracts: { 'OTHER-STORAGE': 'view' } }), { key: 'permissions.errors.unknownContract' })).params).toEqual({
      code: 'OTHER-STORAGE',
    });
  });

  it('refuses a level that is not one of the allowed words and changes nothing', async () => {
    const e1 = await refused(() => save({ services: { cloud: 'admin' }, contracts: {} }), { key: 'permissions.errors.invalidServiceLevel' });
    expect(e1.params).toEqual({ key: 'cloud', level: 'admin' });
    // `inherit` is a contract word only.
    await refused(() => save({ services: { cloud: 'inherit' }, contracts: {} }), { key: 'permissions.errors.invalidServiceLevel' });
    const e2 = await refused(() => save({ services: { cloud: 'view' }, contracts: { 'CLOUD-PROD': 'EDIT' } }), { key: 'permissions.errors.invalidContractLevel' });
    expect(e2.params).toEqual({ code: 'CLOUD-PROD', level: 'EDIT' });
    await refused(() => save({ services: {}, contracts: { 'CLOUD-PROD': '' } }), { key: 'permissions.errors.invalidContractLevel' });
  });

  it('two saves from the same opened form: the second is stale', async () => {
    const opened = (await loadGroupPermissions(db, a.ta!, groupId)).revision;
    const [first, second] = await Promise.allSettled([
      saveGroupPermissions(db, a.ta!, groupId, { revision: opened, services: { cloud: 'view' }, contracts: {} }),
      saveGroupPermissions(db, a.ta!, groupId, { revision: opened, services: { cloud: 'edit' }, contracts: {} }),
    ]);
    const outcomes = [first, second].map((r) => r.status);
    expect(outcomes.sort()).toEqual(['fulfilled', 'rejected']);
    const rejected = [first, second].find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect((rejected.reason as DomainError).code).toBe('stale_form');
    expect(await auditOf(groupId)).toHaveLength(1);
  });

  it('refuses org admins (forbidden), members and other tenants’ admins (not found), changing nothing', async () => {
    const revision = (await loadGroupPermissions(db, a.ta!, groupId)).revision;
    const input = { revision, services: { cloud: 'edit' }, contracts: { 'CLOUD-PROD': 'view' } };
    await refused(() => saveGroupPermissions(db, a.oa!, groupId, input), ForbiddenError);
    await refused(() => saveGroupPermissions(db, a.mem!, groupId, input), NotFoundError);
    await refused(() => saveGroupPermissions(db, a.oth!, groupId, input), NotFoundError);
    // Another tenant's admin cannot use their own tenant's contract code on this group either.
    await refused(() => saveGroupPermissions(db, a.oth!, groupId, { revision, services: {}, contracts: { 'OTHER-STORAGE': 'view' } }), NotFoundError);
  });
});
