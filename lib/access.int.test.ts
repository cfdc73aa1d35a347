import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '@/db/client';
import { createTestDatabase, type TestDatabase } from '@/db/testing';
import { dbFingerprint } from '@/lib/testing/db-fingerprint';
import { addContract, addGroup, addMember, addService, createTenantFixture, type MemberFixture, type TenantFixture } from '@/lib/testing/fixtures';
import { addGroupMembers, grantServiceAccess, setGroupContractLevel, setGroupServiceLevel } from '@/lib/testing/permissions-fixtures';
import { loadMemberAccess, resolveAccessFilter, type MemberAccess } from './access';

/*
 * loadMemberAccess against PostgreSQL: the example (a group with cloud = view and one
 * contract edit) and the rule's corners, read through the same queries the user page and the
 * access API use.
 */

let tdb: TestDatabase;
let db: Database;
let ca: TenantFixture;
let other: TenantFixture;
const svc: Record<string, string> = {};
const con: Record<string, string> = {};
const grp: Record<string, string> = {};
const m: Record<string, MemberFixture> = {};
let seq = 0;

async function member(options: { status?: 'active' | 'invited' | 'deactivated'; groups?: string[]; services?: string[] } = {}, tenant = ca) {
  seq += 1;
  const fixture = await addMember(db, tenant, { email: `u${seq}@${tenant.slug}.test`, status: options.status, orgs: [{ path: tenant.root.name }] });
  for (const g of options.groups ?? []) await addGroupMembers(db, tenant, g, [fixture.memberId]);
  await grantServiceAccess(db, tenant, fixture.memberId, options.services ?? [svc.cloud!, svc.playbook!]);
  return fixture;
}

/** code → [level, reason kind] for compact assertions. */
function levels(access: MemberAccess | null): Record<string, string> {
  if (!access) throw new Error('no access result');
  return Object.fromEntries(access.services.flatMap((s) => s.contracts.map((c) => [c.code, `${c.level}/${c.reason.kind}`])));
}

function contract(access: MemberAccess | null, code: string) {
  const found = access?.services.flatMap((s) => s.contracts).find((c) => c.code === code);
  if (!found) throw new Error(`no contract ${code}`);
  return found;
}

beforeAll(async () => {
  tdb = await createTestDatabase();
  db = tdb.db;
  ca = await createTenantFixture(db, { slug: 'ca' });
  other = await createTenantFixture(db, { slug: 'other' });
  svc.cloud = await addService(db, { key: 'cloud', name: 'Enterprise Cloud 2.0' });
  svc.playbook = await addService(db, { key: 'playbook', name: 'Clarity Playbook' });
  svc.storage = await addService(db, { key: 'storage', name: 'Storage' });
  con.prod = await addContract(db, ca, { serviceId: svc.cloud, code: 'CLOUD-PROD' });
  con.dev = await addContract(db, ca, { serviceId: svc.cloud, code: 'CLOUD-DEV' });
  con.std = await addContract(db, ca, { serviceId: svc.playbook, code: 'PLAYBOOK-STD' });
  con.otherProd = await addContract(db, other, { serviceId: svc.cloud, code: 'OTHER-PROD' });

  // The example: cloud = view for all contracts, CLOUD-PROD = edit.
  grp.cloudTeam = await addGroup(db, ca, { name: 'Cloud team' });
  await setGroupServiceLevel(db, grp.cloudTeam, svc.cloud, 'view');
  await setGroupContractLevel(db, ca, grp.cloudTeam, con.prod, 'edit');
  // Editors of cloud, except on CLOUD-PROD (per-contract none).
  grp.devEditors = await addGroup(db, ca, { name: 'Dev editors' });
  await setGroupServiceLevel(db, grp.devEditors, svc.cloud, 'edit');
  await setGroupContractLevel(db, ca, grp.devEditors, con.prod, 'none');
  // Viewers of cloud.
  grp.viewers = await addGroup(db, ca, { name: 'Viewers' });
  await setGroupServiceLevel(db, grp.viewers, svc.cloud, 'view');
  // Playbook editors.
  grp.playbook = await addGroup(db, ca, { name: 'Playbook editors' });
  await setGroupServiceLevel(db, grp.playbook, svc.playbook, 'edit');

  m.example = await member({ groups: [grp.cloudTeam] });
  m.denied = await member({ groups: [grp.devEditors, grp.viewers] });
  m.deniedOnly = await member({ groups: [grp.devEditors] });
  m.deactivated = await member({ status: 'deactivated', groups: [grp.cloudTeam, grp.playbook] });
  m.invited = await member({ status: 'invited', groups: [grp.cloudTeam] });
  m.noCloud = await member({ groups: [grp.cloudTeam, grp.playbook], services: [svc.playbook!] });
  m.noGroup = await member();
  m.other = await member({}, other);
});

afterAll(async () => {
  await tdb?.drop();
});

describe('loadMemberAccess', () => {
  it('the issue’s example: cloud = view and CLOUD-PROD = edit gives edit on that contract and view on the other', async () => {
    const access = await loadMemberAccess(db, ca.id, m.example!.memberId);
    expect(access?.status).toBe('active');
    expect(access?.services.map((s) => [s.key, s.serviceAccess, s.contracts.map((c) => c.code)])).toEqual([
      ['playbook', true, ['PLAYBOOK-STD']],
      ['cloud', true, ['CLOUD-DEV', 'CLOUD-PROD']],
    ]);
    expect(contract(access, 'CLOUD-PROD')).toMatchObject({
      level: 'edit',
      reason: { kind: 'granted', groups: [{ id: grp.cloudTeam, name: 'Cloud team', via: 'contract' }] },
    });
    expect(contract(access, 'CLOUD-DEV')).toMatchObject({
      level: 'view',
      reason: { kind: 'granted', groups: [{ id: grp.cloudTeam, name: 'Cloud team', via: 'service' }] },
    });
    expect(contract(access, 'PLAYBOOK-STD')).toMatchObject({ level: 'none', reason: { kind: 'noGrant', deniedBy: [] } });
  });

  it('a group’s per-contract none beats its own service-wide edit, while another group’s view still applies', async () => {
    const access = await loadMemberAccess(db, ca.id, m.denied!.memberId);
    expect(contract(access, 'CLOUD-PROD')).toMatchObject({
      level: 'view',
      reason: { kind: 'granted', groups: [{ id: grp.viewers, name: 'Viewers', via: 'service' }] },
    });
    expect(contract(access, 'CLOUD-DEV')).toMatchObject({
      level: 'edit',
      reason: { kind: 'granted', groups: [{ id: grp.devEditors, name: 'Dev editors', via: 'service' }] },
    });
    // Alone, the per-contract none leaves nothing, and says which group set it.
    const alone = await loadMemberAccess(db, ca.id, m.deniedOnly!.memberId);
    expect(contract(alone, 'CLOUD-PROD')).toMatchObject({
      level: 'none',
      reason: { kind: 'noGrant', deniedBy: [{ id: grp.devEditors, name: 'Dev editors', via: 'contract' }] },
    });
  });

  it('a deactivated or invited member gets none everywhere, with the status as the reason', async () => {
    const deactivated = await loadMemberAccess(db, ca.id, m.deactivated!.memberId);
    expect(deactivated?.status).toBe('deactivated');
    expect(levels(deactivated)).toEqual({ 'CLOUD-DEV': 'none/inactive', 'CLOUD-PROD': 'none/inactive', 'PLAYBOOK-STD': 'none/inactive' });
    expect(contract(deactivated, 'CLOUD-PROD').reason).toEqual({ kind: 'inactive', status: 'deactivated' });
    const invited = await loadMemberAccess(db, ca.id, m.invited!.memberId);
    expect(contract(invited, 'CLOUD-PROD').reason).toEqual({ kind: 'inactive', status: 'invited' });
  });

  it('service access off gives none on that service’s contracts only', async () => {
    const access = await loadMemberAccess(db, ca.id, m.noCloud!.memberId);
    expect(access?.services.map((s) => [s.key, s.serviceAccess])).toEqual([
      ['playbook', true],
      ['cloud', false],
    ]);
    expect(levels(access)).toEqual({ 'CLOUD-DEV': 'none/serviceAccessOff', 'CLOUD-PROD': 'none/serviceAccessOff', 'PLAYBOOK-STD': 'edit/granted' });
  });

  it('no group: none with "no group grants access"', async () => {
    expect(levels(await loadMemberAccess(db, ca.id, m.noGroup!.memberId))).toEqual({
      'CLOUD-DEV': 'none/noGrant',
      'CLOUD-PROD': 'none/noGrant',
      'PLAYBOOK-STD': 'none/noGrant',
    });
  });

  it('filters by service and by contract', async () => {
    const cloudOnly = await loadMemberAccess(db, ca.id, m.example!.memberId, { serviceId: svc.cloud });
    expect(cloudOnly?.services.map((s) => s.key)).toEqual(['cloud']);
    expect(levels(cloudOnly)).toEqual({ 'CLOUD-DEV': 'view/granted', 'CLOUD-PROD': 'edit/granted' });

    const prodOnly = await loadMemberAccess(db, ca.id, m.example!.memberId, { contractId: con.prod });
    expect(levels(prodOnly)).toEqual({ 'CLOUD-PROD': 'edit/granted' });
    // The filter narrows the contracts, not the rule: the service-wide entry still counts for DEV.
    const devOnly = await loadMemberAccess(db, ca.id, m.denied!.memberId, { serviceId: svc.cloud, contractId: con.dev });
    expect(levels(devOnly)).toEqual({ 'CLOUD-DEV': 'edit/granted' });
    const prodDenied = await loadMemberAccess(db, ca.id, m.denied!.memberId, { contractId: con.prod });
    expect(levels(prodDenied)).toEqual({ 'CLOUD-PROD': 'view/granted' });

    // A service with no contract here, or a contract of another service: nothing to show.
    expect((await loadMemberAccess(db, ca.id, m.example!.memberId, { serviceId: svc.storage }))?.services).toEqual([]);
    expect((await loadMemberAccess(db, ca.id, m.example!.memberId, { serviceId: svc.playbook, contractId: con.prod }))?.services).toEqual([]);
  });

  it('resolveAccessFilter finds keys and codes case-insensitively, within the tenant only', async () => {
    expect(await resolveAccessFilter(db, ca.id, { serviceKey: 'CLOUD', contractCode: 'cloud-prod' })).toEqual({
      serviceId: svc.cloud,
      contractId: con.prod,
      contractServiceId: svc.cloud,
    });
    expect(await resolveAccessFilter(db, ca.id, { contractCode: 'OTHER-PROD' })).toEqual({ serviceId: null, contractId: null, contractServiceId: null });
    expect(await resolveAccessFilter(db, ca.id, { serviceKey: 'nosuch' })).toMatchObject({ serviceId: null });
  });

  it('another tenant’s member is nobody here, and another tenant’s contracts never show', async () => {
    expect(await loadMemberAccess(db, ca.id, m.other!.memberId)).toBeNull();
    const theirs = await loadMemberAccess(db, other.id, m.other!.memberId);
    expect(levels(theirs)).toEqual({ 'OTHER-PROD': 'none/noGrant' });
    // The tenant's groups do not reach into another tenant's contracts, even for the same service.
    expect(Object.keys(levels(await loadMemberAccess(db, ca.id, m.example!.memberId)))).not.toContain('OTHER-PROD');
  });

  it('only reads', async () => {
    const before = await dbFingerprint(db);
    await loadMemberAccess(db, ca.id, m.example!.memberId);
    expect(await dbFingerprint(db)).toEqual(before);
  });
});
