import { and, asc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '@/db/client';
import { auditEvents, contracts, groupContractPermissions, groupServicePermissions, serviceAccess, services } from '@/db/schema';
import { createTestDatabase, type TestDatabase } from '@/db/testing';
import type { Actor } from '@/lib/actor';
import { ForbiddenError, NotFoundError } from '@/lib/errors';
import { expectRefused, type RefusalKind } from '@/lib/testing/refusals';
import {
  actorFor,
  addContract,
  addGroup,
  addMember,
  addService,
  createOperator,
  createTenantFixture,
  type MemberFixture,
  type TenantFixture,
} from '@/lib/testing/fixtures';
import {
  contractState,
  createContract,
  createService,
  deleteContract,
  deleteService,
  deletedContract,
  deletedServiceKey,
  getContract,
  getService,
  listServiceChoices,
  listServices,
  listTenantContracts,
  parseIsoDate,
  serviceName,
  todayIn,
  updateContract,
  updateService,
} from './catalog';

let tdb: TestDatabase;
let db: Database;
let seq = 0;

interface World {
  n: number;
  ca: TenantFixture;
  other: TenantFixture;
  op: Actor;
  ta: Actor;
  taMember: MemberFixture;
  oa: Actor; // administrator of CA__India
  mem: Actor; // plain member of CA__India
  otherTa: Actor;
  /** A service of this world (keys are global: each world has its own). */
  cloud: string;
  cloudKey: string;
}

/** Two fresh tenants, their people, an operator and one service per test. */
async function world(): Promise<World> {
  const n = ++seq;
  const ca = await createTenantFixture(db, { slug: `ca${n}`, name: 'CA', orgPaths: ['CA__India'] });
  const other = await createTenantFixture(db, { slug: `other${n}`, name: 'OTHER' });
  const opId = await createOperator(db, { email: `op${n}@platform.test` });
  const taMember = await addMember(db, ca, { email: `ta${n}@ca.test`, isTenantAdmin: true, orgs: [{ path: 'CA' }] });
  const oa = await addMember(db, ca, { email: `oa${n}@ca.test`, orgs: [{ path: 'CA__India', isAdmin: true }] });
  const mem = await addMember(db, ca, { email: `mem${n}@ca.test`, orgs: [{ path: 'CA__India' }] });
  const oth = await addMember(db, other, { email: `oth${n}@other.test`, isTenantAdmin: true, orgs: [{ path: 'OTHER' }] });
  const cloudKey = `cloud${n}`;
  return {
    n,
    ca,
    other,
    op: await actorFor(db, opId),
    ta: await actorFor(db, taMember.userId, ca),
    taMember,
    oa: await actorFor(db, oa.userId, ca),
    mem: await actorFor(db, mem.userId, ca),
    otherTa: await actorFor(db, oth.userId, other),
    cloud: await addService(db, { key: cloudKey, name: 'Enterprise Cloud 2.0' }),
    cloudKey,
  };
}


/** Asserts the call is refused as `kind` and changed nothing. */
const refused = (call: () => Promise<unknown>, kind: RefusalKind) => expectRefused(db, call, kind);

async function auditFor(targetId: string) {
  return db.select().from(auditEvents).where(eq(auditEvents.targetId, targetId)).orderBy(asc(auditEvents.id));
}

const contractInput = (w: World, extra: Partial<{ serviceId: string; code: string; name: string; startsOn: string; endsOn: string }> = {}) => ({
  serviceId: w.cloud,
  code: 'CLOUD-PROD',
  name: 'Production',
  startsOn: '2026-04-01',
  endsOn: '',
  ...extra,
});

beforeAll(async () => {
  tdb = await createTestDatabase();
  db = tdb.db;
});

afterAll(async () => {
  await tdb?.drop();
});

describe('pure helpers', () => {
  it('states a contract by today, both dates inclusive, missing dates open', () => {
    const c = { startsOn: '2026-04-01', endsOn: '2026-12-31' };
    expect(contractState(c, '2026-03-31')).toBe('upcoming');
    expect(contractState(c, '2026-04-01')).toBe('active');
    expect(contractState(c, '2026-12-31')).toBe('active');
    expect(contractState(c, '2027-01-01')).toBe('ended');
    expect(contractState({ startsOn: null, endsOn: null }, '1999-01-01')).toBe('active');
  });
  it('reads real calendar dates only', () => {
    expect(parseIsoDate('2028-02-29')).toBe('2028-02-29');
    expect(parseIsoDate('2026-02-29')).toBeNull();
    expect(parseIsoDate('2026-13-01')).toBeNull();
    expect(parseIsoDate('26-01-01')).toBeNull();
  });
  it('takes today on the given wall clock', () => {
    const at = new Date('2026-03-31T16:30:00Z');
    expect(todayIn('Asia/Tokyo', at)).toBe('2026-04-01');
    expect(todayIn('UTC', at)).toBe('2026-03-31');
  });
  it('names a service in Japanese only when it has a Japanese name', () => {
    expect(serviceName({ name: 'Cloud', nameJa: 'クラウド' }, 'ja')).toBe('クラウド');
    expect(serviceName({ name: 'Cloud', nameJa: null }, 'ja')).toBe('Cloud');
    expect(serviceName({ name: 'Cloud', nameJa: 'クラウド' }, 'en')).toBe('Cloud');
  });
});

describe('services', () => {
  it('creates a service, audited at platform level', async () => {
    const w = await world();
    const s = await createService(db, w.op, { key: `storage${w.n}`, name: ' Object Storage ', nameJa: 'オブジェクトストレージ' });
    expect(s).toMatchObject({ key: `storage${w.n}`, name: 'Object Storage', nameJa: 'オブジェクトストレージ' });
    const [event] = await auditFor(s.id);
    expect(event).toMatchObject({ tenantId: null, actorUserId: w.op.userId, action: 'service.create', targetType: 'service', targetLabel: `storage${w.n}`, before: null });
    expect(event!.after).toEqual({ key: `storage${w.n}`, name: 'Object Storage', nameJa: 'オブジェクトストレージ' });
  });

  it('stores an empty Japanese name as none', async () => {
    const w = await world();
    const s = await createService(db, w.op, { key: `plain${w.n}`, name: 'Plain', nameJa: '  ' });
    expect(s.nameJa).toBeNull();
  });

  it('refuses a bad key before the database does, changing nothing', async () => {
    const w = await world();
    for (const key of ['Cloud', '1cloud', 'cloud storage', 'クラウド', `a${'b'.repeat(40)}`]) {
      const err = await refused(() => createService(db, w.op, { key, name: 'X' }), { key: key.length > 40 ? 'catalog.errors.keyTooLong' : 'catalog.errors.keyInvalid', field: 'key' });
      expect(err.code).toBe('invalid_key');
    }
    await refused(() => createService(db, w.op, { key: '', name: 'X' }), { key: 'catalog.errors.required', field: 'key' });
    await refused(() => createService(db, w.op, { key: `ok${w.n}`, name: '' }), { key: 'catalog.errors.required', field: 'name' });
    await refused(() => createService(db, w.op, { key: `ok${w.n}`, name: 'x'.repeat(101) }), { key: 'catalog.errors.tooLong', field: 'name' });
  });

  it('refuses a taken key as a field error', async () => {
    const w = await world();
    const err = await refused(() => createService(db, w.op, { key: w.cloudKey, name: 'Again' }), { key: 'catalog.errors.keyTaken', field: 'key' });
    expect(err.params).toEqual({ key: w.cloudKey });
  });

  it('edits names, never the key; audits before and after; no event when nothing changed', async () => {
    const w = await world();
    const s = await updateService(db, w.op, w.cloud, { name: 'Enterprise Cloud 3.0', nameJa: 'エンタープライズクラウド 3.0' });
    expect(s).toMatchObject({ key: w.cloudKey, name: 'Enterprise Cloud 3.0', nameJa: 'エンタープライズクラウド 3.0' });
    const events = await auditFor(w.cloud);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ tenantId: null, action: 'service.update', targetLabel: w.cloudKey });
    expect(events[0]!.before).toEqual({ key: w.cloudKey, name: 'Enterprise Cloud 2.0', nameJa: null });
    expect(events[0]!.after).toEqual({ key: w.cloudKey, name: 'Enterprise Cloud 3.0', nameJa: 'エンタープライズクラウド 3.0' });
    // A key passed along anyway is ignored: the function takes names only.
    await updateService(db, w.op, w.cloud, { name: 'Enterprise Cloud 3.0', nameJa: 'エンタープライズクラウド 3.0', key: 'renamed' } as never);
    expect(await auditFor(w.cloud)).toHaveLength(1);
    const [row] = await db.select().from(services).where(eq(services.id, w.cloud));
    expect(row!.key).toBe(w.cloudKey);
  });

  it('lists services with what uses them', async () => {
    const w = await world();
    await addContract(db, w.ca, { serviceId: w.cloud, code: 'A' });
    await addContract(db, w.ca, { serviceId: w.cloud, code: 'B' });
    await addContract(db, w.other, { serviceId: w.cloud, code: 'A' });
    await db.insert(serviceAccess).values({ tenantId: w.ca.id, memberId: w.taMember.memberId, serviceId: w.cloud });
    const list = await listServices(db, w.op);
    expect(list.find((s) => s.id === w.cloud)!.usage).toEqual({ tenants: 2, contracts: 3, members: 1, groups: 0 });
    const unused = await addService(db, { key: `unused${w.n}` });
    expect((await getService(db, w.op, unused)).usage).toEqual({ tenants: 0, contracts: 0, members: 0, groups: 0 });
  });

  it('offers the contract forms every service by key, names only', async () => {
    const w = await world();
    const later = await addService(db, { key: `zz${w.n}`, name: 'Later' });
    const choices = await listServiceChoices(db, w.op);
    // The catalog's own order (by key).
    expect(choices.map((s) => s.id)).toEqual((await listServices(db, w.op)).map((s) => s.id));
    expect(choices.find((s) => s.id === w.cloud)).toEqual({ id: w.cloud, key: w.cloudKey, name: 'Enterprise Cloud 2.0', nameJa: null });
    expect(choices.find((s) => s.id === later)).toEqual({ id: later, key: `zz${w.n}`, name: 'Later', nameJa: null });
  });

  it('deletes an unused service, audited', async () => {
    const w = await world();
    const id = await addService(db, { key: `gone${w.n}`, name: 'Gone' });
    await deleteService(db, w.op, id);
    expect(await db.select().from(services).where(eq(services.id, id))).toEqual([]);
    const [event] = await auditFor(id);
    expect(event).toMatchObject({ tenantId: null, action: 'service.delete', after: null });
    expect(event!.before).toEqual({ key: `gone${w.n}`, name: 'Gone', nameJa: null });
    // The catalog's "deleted" notice reads it back from the audit log, for the operator only.
    expect(await deletedServiceKey(db, w.op, id)).toBe(`gone${w.n}`);
    expect(await deletedServiceKey(db, w.op, w.cloud)).toBeNull();
    await refused(() => deletedServiceKey(db, w.ta, id), ForbiddenError);
  });

  it('refuses to delete a service in use (contract, service access or group permission), changing nothing', async () => {
    const w = await world();
    await addContract(db, w.ca, { serviceId: w.cloud, code: 'A' });
    const err = await refused(() => deleteService(db, w.op, w.cloud), { key: 'catalog.errors.serviceInUse' });
    expect(err.params).toMatchObject({ key: w.cloudKey, contracts: 1, tenants: 1, members: 0, groups: 0 });

    const accessOnly = await addService(db, { key: `access${w.n}` });
    await db.insert(serviceAccess).values({ tenantId: w.ca.id, memberId: w.taMember.memberId, serviceId: accessOnly });
    expect((await refused(() => deleteService(db, w.op, accessOnly), { key: 'catalog.errors.serviceInUse' })).params).toMatchObject({ members: 1 });

    const groupOnly = await addService(db, { key: `group${w.n}` });
    const group = await addGroup(db, w.ca, { name: 'Sales' });
    await db.insert(groupServicePermissions).values({ groupId: group, serviceId: groupOnly, level: 'view' });
    expect((await refused(() => deleteService(db, w.op, groupOnly), { key: 'catalog.errors.serviceInUse' })).params).toMatchObject({ groups: 1 });
  });

  it('answers not found for an unknown or malformed service id', async () => {
    const w = await world();
    await refused(() => deleteService(db, w.op, crypto.randomUUID()), NotFoundError);
    await refused(() => updateService(db, w.op, 'nonsense', { name: 'X' }), NotFoundError);
    await refused(() => getService(db, w.op, crypto.randomUUID()), NotFoundError);
  });

  it('is the operator’s alone: tenant admins, org admins and members are refused', async () => {
    const w = await world();
    for (const actor of [w.ta, w.oa, w.mem, w.otherTa]) {
      await refused(() => createService(db, actor, { key: `x${w.n}`, name: 'X' }), ForbiddenError);
      await refused(() => updateService(db, actor, w.cloud, { name: 'X' }), ForbiddenError);
      await refused(() => deleteService(db, actor, w.cloud), ForbiddenError);
      await refused(() => listServices(db, actor), ForbiddenError);
      await refused(() => listServiceChoices(db, actor), ForbiddenError);
    }
  });
});

describe('contracts', () => {
  it('records a contract for a tenant, audited in the tenant’s log', async () => {
    const w = await world();
    const c = await createContract(db, w.op, w.ca.id, contractInput(w, { code: ' CLOUD-PROD ', endsOn: '2027-03-31' }));
    expect(c).toMatchObject({ tenantId: w.ca.id, serviceId: w.cloud, code: 'CLOUD-PROD', name: 'Production', startsOn: '2026-04-01', endsOn: '2027-03-31' });
    const [event] = await auditFor(c.id);
    expect(event).toMatchObject({ tenantId: w.ca.id, actorUserId: w.op.userId, action: 'contract.create', targetType: 'contract', targetLabel: 'CLOUD-PROD', before: null });
    expect(event!.after).toEqual({ code: 'CLOUD-PROD', name: 'Production', service: w.cloudKey, startsOn: '2026-04-01', endsOn: '2027-03-31' });
  });

  it('accepts open dates', async () => {
    const w = await world();
    const c = await createContract(db, w.op, w.ca.id, contractInput(w, { startsOn: '', endsOn: '' }));
    expect(c).toMatchObject({ startsOn: null, endsOn: null });
  });

  it('refuses a code taken in the tenant, ignoring case; the same code in another tenant is fine', async () => {
    const w = await world();
    await createContract(db, w.op, w.ca.id, contractInput(w));
    const err = await refused(() => createContract(db, w.op, w.ca.id, contractInput(w, { code: 'cloud-prod' })), { key: 'catalog.errors.codeTaken', field: 'code' });
    expect(err.params).toEqual({ code: 'CLOUD-PROD' });
    await createContract(db, w.op, w.other.id, contractInput(w, { code: 'cloud-prod' }));
  });

  it('refuses bad input field by field, changing nothing', async () => {
    const w = await world();
    await refused(() => createContract(db, w.op, w.ca.id, contractInput(w, { startsOn: '2026-04-01', endsOn: '2026-03-31' })), { key: 'catalog.errors.endsBeforeStart', field: 'endsOn' });
    await refused(() => createContract(db, w.op, w.ca.id, contractInput(w, { startsOn: '2026-02-30' })), { key: 'catalog.errors.dateInvalid', field: 'startsOn' });
    await refused(() => createContract(db, w.op, w.ca.id, contractInput(w, { code: '' })), { key: 'catalog.errors.required', field: 'code' });
    await refused(() => createContract(db, w.op, w.ca.id, contractInput(w, { code: 'CLOUD PROD' })), { key: 'catalog.errors.codeInvalid', field: 'code' });
    await refused(() => createContract(db, w.op, w.ca.id, contractInput(w, { code: 'X'.repeat(65) })), { key: 'catalog.errors.tooLong', field: 'code' });
    await refused(() => createContract(db, w.op, w.ca.id, contractInput(w, { name: '' })), { key: 'catalog.errors.required', field: 'name' });
    await refused(() => createContract(db, w.op, w.ca.id, contractInput(w, { serviceId: '' })), { key: 'catalog.errors.serviceRequired', field: 'serviceId' });
    await refused(() => createContract(db, w.op, w.ca.id, contractInput(w, { serviceId: crypto.randomUUID() })), { key: 'catalog.errors.serviceUnknown', field: 'serviceId' });
    await refused(() => createContract(db, w.op, crypto.randomUUID(), contractInput(w)), NotFoundError);
  });

  it('edits a contract (service, code, name, dates), audited with before and after', async () => {
    const w = await world();
    const c = await createContract(db, w.op, w.ca.id, contractInput(w));
    const playbookKey = `playbook${w.n}`;
    const playbook = await addService(db, { key: playbookKey });
    const u = await updateContract(db, w.op, c.id, { serviceId: playbook, code: 'PB-1', name: 'Playbook', startsOn: '2026-05-01', endsOn: '2026-12-31' });
    expect(u).toMatchObject({ serviceId: playbook, code: 'PB-1', name: 'Playbook', startsOn: '2026-05-01', endsOn: '2026-12-31' });
    const events = await auditFor(c.id);
    expect(events.map((e) => e.action)).toEqual(['contract.create', 'contract.update']);
    expect(events[1]).toMatchObject({ tenantId: w.ca.id, targetLabel: 'PB-1' });
    expect(events[1]!.before).toEqual({ code: 'CLOUD-PROD', name: 'Production', service: w.cloudKey, startsOn: '2026-04-01', endsOn: null });
    expect(events[1]!.after).toEqual({ code: 'PB-1', name: 'Playbook', service: playbookKey, startsOn: '2026-05-01', endsOn: '2026-12-31' });
    // Saving it unchanged records nothing.
    await updateContract(db, w.op, c.id, { serviceId: playbook, code: 'PB-1', name: 'Playbook', startsOn: '2026-05-01', endsOn: '2026-12-31' });
    expect(await auditFor(c.id)).toHaveLength(2);
  });

  it('lets a code change case, refuses another contract’s code, and end before start', async () => {
    const w = await world();
    const a = await createContract(db, w.op, w.ca.id, contractInput(w, { code: 'A-1' }));
    await createContract(db, w.op, w.ca.id, contractInput(w, { code: 'B-1' }));
    await updateContract(db, w.op, a.id, contractInput(w, { code: 'a-1' }));
    await refused(() => updateContract(db, w.op, a.id, contractInput(w, { code: 'b-1' })), { key: 'catalog.errors.codeTaken', field: 'code' });
    await refused(() => updateContract(db, w.op, a.id, contractInput(w, { code: 'a-1', endsOn: '2020-01-01' })), { key: 'catalog.errors.endsBeforeStart', field: 'endsOn' });
  });

  it('deletes a contract with its per-contract permissions, saying how many went', async () => {
    const w = await world();
    const c = await createContract(db, w.op, w.ca.id, contractInput(w));
    const keep = await createContract(db, w.op, w.ca.id, contractInput(w, { code: 'KEEP' }));
    const g1 = await addGroup(db, w.ca, { name: 'Sales' });
    const g2 = await addGroup(db, w.ca, { name: 'Support' });
    await db.insert(groupServicePermissions).values({ groupId: g1, serviceId: w.cloud, level: 'view' });
    await db.insert(groupContractPermissions).values([
      { tenantId: w.ca.id, groupId: g1, contractId: c.id, level: 'edit' },
      { tenantId: w.ca.id, groupId: g2, contractId: c.id, level: 'none' },
      { tenantId: w.ca.id, groupId: g2, contractId: keep.id, level: 'view' },
    ]);
    expect((await getContract(db, w.op, c.id)).contract.permissions).toBe(2);
    expect((await listTenantContracts(db, w.op, w.ca.id)).contracts.map((x) => [x.code, x.permissions])).toEqual([
      ['CLOUD-PROD', 2],
      ['KEEP', 1],
    ]);

    const { permissions } = await deleteContract(db, w.op, c.id);
    expect(permissions).toBe(2);
    expect(await db.select().from(contracts).where(eq(contracts.id, c.id))).toEqual([]);
    expect(await db.select().from(groupContractPermissions).where(eq(groupContractPermissions.contractId, c.id))).toEqual([]);
    // Other contracts' permissions and the service-wide ones stay.
    expect(await db.select().from(groupContractPermissions).where(eq(groupContractPermissions.contractId, keep.id))).toHaveLength(1);
    expect(await db.select().from(groupServicePermissions).where(and(eq(groupServicePermissions.groupId, g1)))).toHaveLength(1);
    const events = await auditFor(c.id);
    expect(events.at(-1)).toMatchObject({ tenantId: w.ca.id, action: 'contract.delete', targetLabel: 'CLOUD-PROD', after: null });
    expect(events.at(-1)!.before).toEqual({ code: 'CLOUD-PROD', name: 'Production', service: w.cloudKey, startsOn: '2026-04-01', endsOn: null, permissions: 2 });
    // The tenant page's "deleted" notice reads it back from that tenant's log; nobody else's.
    expect(await deletedContract(db, w.op, w.ca.id, c.id)).toEqual({ code: 'CLOUD-PROD', permissions: 2 });
    expect(await deletedContract(db, w.op, w.other.id, c.id)).toBeNull();
    expect(await deletedContract(db, w.op, w.ca.id, keep.id)).toBeNull();
    await refused(() => deletedContract(db, w.otherTa, w.ca.id, c.id), NotFoundError);
    await refused(() => deletedContract(db, w.oa, w.ca.id, c.id), ForbiddenError);
  });

  it('lists a tenant’s contracts for the operator and for the tenant’s own administrator', async () => {
    const w = await world();
    await createContract(db, w.op, w.ca.id, contractInput(w, { code: 'B' }));
    await createContract(db, w.op, w.ca.id, contractInput(w, { code: 'a' }));
    await createContract(db, w.op, w.other.id, contractInput(w, { code: 'OTHER-ONLY' }));
    for (const actor of [w.op, w.ta]) {
      const { tenant, contracts: list } = await listTenantContracts(db, actor, w.ca.id);
      expect(tenant).toEqual({ id: w.ca.id, name: 'CA', slug: w.ca.slug });
      expect(list.map((c) => c.code)).toEqual(['a', 'B']);
      expect(list[0]!.service).toEqual({ id: w.cloud, key: w.cloudKey, name: 'Enterprise Cloud 2.0', nameJa: null });
    }
  });

  it('refuses everyone but the operator: tenant admin forbidden, org admin forbidden, member and other tenants not found', async () => {
    const w = await world();
    const c = await createContract(db, w.op, w.ca.id, contractInput(w));
    // The tenant admin sees their contracts but manages none of them.
    await refused(() => createContract(db, w.ta, w.ca.id, contractInput(w, { code: 'NEW' })), ForbiddenError);
    await refused(() => updateContract(db, w.ta, c.id, contractInput(w, { name: 'Changed' })), ForbiddenError);
    await refused(() => deleteContract(db, w.ta, c.id), ForbiddenError);
    await refused(() => getContract(db, w.ta, c.id), ForbiddenError);

    // Org admins: contracts are tenant-wide metadata.
    await refused(() => listTenantContracts(db, w.oa, w.ca.id), ForbiddenError);
    await refused(() => createContract(db, w.oa, w.ca.id, contractInput(w, { code: 'NEW' })), ForbiddenError);
    await refused(() => updateContract(db, w.oa, c.id, contractInput(w, { name: 'Changed' })), ForbiddenError);
    await refused(() => deleteContract(db, w.oa, c.id), ForbiddenError);

    // Plain members see nothing of them.
    await refused(() => listTenantContracts(db, w.mem, w.ca.id), ForbiddenError);
    await refused(() => updateContract(db, w.mem, c.id, contractInput(w, { name: 'Changed' })), NotFoundError);
    await refused(() => deleteContract(db, w.mem, c.id), NotFoundError);
    await refused(() => getContract(db, w.mem, c.id), NotFoundError);

    // Another tenant's administrator: not found, never this tenant's data.
    await refused(() => listTenantContracts(db, w.otherTa, w.ca.id), NotFoundError);
    await refused(() => createContract(db, w.otherTa, w.ca.id, contractInput(w, { code: 'NEW' })), NotFoundError);
    await refused(() => updateContract(db, w.otherTa, c.id, contractInput(w, { name: 'Changed' })), NotFoundError);
    await refused(() => deleteContract(db, w.otherTa, c.id), NotFoundError);
    await refused(() => getContract(db, w.otherTa, c.id), NotFoundError);
    expect((await listTenantContracts(db, w.otherTa, w.other.id)).contracts).toEqual([]);
  });

  it('answers not found for unknown contract ids', async () => {
    const w = await world();
    await refused(() => updateContract(db, w.op, crypto.randomUUID(), contractInput(w)), NotFoundError);
    await refused(() => deleteContract(db, w.op, 'not-a-uuid'), NotFoundError);
  });
});
