import { and, asc, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '@/db/client';
import {
  auditEvents,
  emailMessages,
  groupMembers,
  organizations,
  orgMemberships,
  tenantMembers,
  users,
} from '@/db/schema';
import { createTestDatabase, type TestDatabase } from '@/db/testing';
import { loadActor, type Actor } from '@/lib/actor';
import { DomainError, ForbiddenError, NotFoundError } from '@/lib/errors';
import { invitationStateOf } from '@/lib/invitations';
import { dbFingerprint } from '@/lib/testing/db-fingerprint';
import {
  actorFor,
  addGroup,
  addMember,
  addService,
  createTenantFixture,
  type AddMemberOptions,
  type MemberFixture,
  type TenantFixture,
} from '@/lib/testing/fixtures';
import {
  addUser,
  deactivateMember,
  findMemberByEmail,
  loadMemberProfile,
  reactivateMember,
  removeMember,
  removeMembership,
  setMembershipAdmin,
  setServiceAccess,
  setTenantAdmin,
  updateMember,
} from './users';

let tdb: TestDatabase;
let db: Database;
let ca: TenantFixture;
let other: TenantFixture;
const m: Record<string, MemberFixture> = {};
const a: Record<string, Actor> = {};
let seq = 0;

/** A fresh member of CA (unique email), so each test changes its own rows. */
async function fresh(options: Omit<AddMemberOptions, 'email'> & { email?: string }, tenant: TenantFixture = ca): Promise<MemberFixture> {
  seq += 1;
  return addMember(db, tenant, { email: options.email ?? `u${seq}@ca.test`, firstName: `First${seq}`, lastName: `Last${seq}`, ...options });
}

/** Asserts the call is refused with `kind` and that nothing changed. */
async function refused(call: () => Promise<unknown>, kind: 'not_found' | 'forbidden' | string) {
  const before = await dbFingerprint(db);
  let error: unknown;
  try {
    await call();
  } catch (err) {
    error = err;
  }
  expect(error, 'expected a refusal').toBeInstanceOf(DomainError);
  if (kind === 'not_found') expect(error).toBeInstanceOf(NotFoundError);
  else if (kind === 'forbidden') expect(error).toBeInstanceOf(ForbiddenError);
  else expect((error as DomainError).code).toBe(kind);
  expect(await dbFingerprint(db)).toEqual(before);
}

async function memberRow(memberId: string) {
  const [row] = await db.select().from(tenantMembers).where(eq(tenantMembers.id, memberId));
  return row;
}

async function auditOf(memberId: string) {
  return db.select().from(auditEvents).where(and(eq(auditEvents.targetType, 'member'), eq(auditEvents.targetId, memberId))).orderBy(asc(auditEvents.id));
}

/** The keys of the services a member of CA has, as their page shows them to a tenant admin. */
async function servicesOf(memberId: string) {
  const { services } = await loadMemberProfile(db, a.ta!, memberId);
  return services
    .filter((s) => s.hasAccess)
    .map((s) => s.key)
    .sort();
}

const input = (email: string, extra: Partial<{ isAdmin: boolean; serviceKeys: string[]; firstName: string; lastName: string }> = {}) => ({
  email,
  firstName: extra.firstName ?? 'Given',
  lastName: extra.lastName ?? 'Family',
  isAdmin: extra.isAdmin ?? false,
  serviceKeys: extra.serviceKeys ?? [],
});

beforeAll(async () => {
  tdb = await createTestDatabase();
  db = tdb.db;
  ca = await createTenantFixture(db, { slug: 'ca', orgPaths: ['CA__India__HR', 'CA__US__HR', 'CA__Indiana', 'CA__Quiet'] });
  other = await createTenantFixture(db, { slug: 'other', orgPaths: ['OTHER__Sales'] });
  await db.update(organizations).set({ emailNotifications: false }).where(eq(organizations.id, ca.org('CA__Quiet').id));
  await addService(db, { key: 'cloud', name: 'Enterprise Cloud 2.0' });
  await addService(db, { key: 'playbook', name: 'Clarity Playbook' });
  await addService(db, { key: 'storage', name: 'Storage' });

  m.ta = await addMember(db, ca, { email: 'ta@ca.test', firstName: 'Akiko', lastName: 'Sato', isTenantAdmin: true, orgs: [{ path: 'CA', isAdmin: true }] });
  m.ta2 = await addMember(db, ca, { email: 'ta2@ca.test', firstName: 'Ben', lastName: 'Two', isTenantAdmin: true, orgs: [{ path: 'CA__US' }] });
  m.oa = await addMember(db, ca, { email: 'oa@ca.test', firstName: 'Priya', lastName: 'Raman', orgs: [{ path: 'CA__India', isAdmin: true }] });
  m.hr = await addMember(db, ca, { email: 'hr@ca.test', firstName: 'Ravi', lastName: 'Kumar', orgs: [{ path: 'CA__India__HR' }] });
  m.both = await addMember(db, ca, { email: 'both@ca.test', firstName: '太郎', lastName: '山田', orgs: [{ path: 'CA__India' }, { path: 'CA__US' }] });
  m.us = await addMember(db, ca, { email: 'us@ca.test', firstName: 'John', lastName: 'Smith', orgs: [{ path: 'CA__US__HR' }] });
  m.taIndia = await addMember(db, ca, { email: 'ta-india@ca.test', isTenantAdmin: true, orgs: [{ path: 'CA__India__HR' }] });
  m.oth = await addMember(db, other, { email: 'oth@other.test', isTenantAdmin: true, orgs: [{ path: 'OTHER' }] });
  m.othMember = await addMember(db, other, { email: 'sales@other.test', orgs: [{ path: 'OTHER__Sales' }] });

  a.ta = await actorFor(db, m.ta.userId, ca);
  a.ta2 = await actorFor(db, m.ta2.userId, ca);
  a.oa = await actorFor(db, m.oa.userId, ca);
  a.mem = await actorFor(db, m.hr.userId, ca);
  a.oth = await actorFor(db, m.oth.userId, other);
});

afterAll(async () => {
  await tdb?.drop();
});

// -------------------------------------------------------------------------------------------------

describe('findMemberByEmail', () => {
  it('finds a visible member of this tenant, case-insensitively, and says whether they are in the org', async () => {
    expect(await findMemberByEmail(db, a.ta!, ca.org('CA__India__HR').id, '  HR@ca.TEST ')).toEqual({
      firstName: 'Ravi',
      lastName: 'Kumar',
      alreadyInOrg: true,
    });
    expect(await findMemberByEmail(db, a.ta!, ca.org('CA__US').id, 'hr@ca.test')).toMatchObject({ alreadyInOrg: false });
    expect(await findMemberByEmail(db, a.oa!, ca.org('CA__India').id, 'both@ca.test')).toMatchObject({ firstName: '太郎', lastName: '山田' });
  });
  it('reveals nothing outside the actor’s sight: other scopes, other tenants, plain members, unknown emails', async () => {
    expect(await findMemberByEmail(db, a.oa!, ca.org('CA__India').id, 'us@ca.test')).toBeNull();
    expect(await findMemberByEmail(db, a.ta!, ca.root.id, 'sales@other.test')).toBeNull();
    expect(await findMemberByEmail(db, a.ta!, other.root.id, 'sales@other.test')).toBeNull();
    expect(await findMemberByEmail(db, a.oth!, other.root.id, 'hr@ca.test')).toBeNull();
    expect(await findMemberByEmail(db, a.oth!, ca.org('CA__India__HR').id, 'hr@ca.test')).toBeNull();
    expect(await findMemberByEmail(db, a.mem!, ca.org('CA__India__HR').id, 'hr@ca.test')).toBeNull();
    expect(await findMemberByEmail(db, a.ta!, ca.root.id, 'nobody@ca.test')).toBeNull();
    expect(await findMemberByEmail(db, a.ta!, 'not-a-uuid', 'hr@ca.test')).toBeNull();
  });
  it('says nothing about orgs outside the org admin’s scope (not even whether a visible member is in one)', async () => {
    // `both` is visible to the India admin, and a member of CA__US, which is not.
    expect(await findMemberByEmail(db, a.oa!, ca.org('CA__US').id, 'both@ca.test')).toBeNull();
    expect(await findMemberByEmail(db, a.oa!, ca.root.id, 'both@ca.test')).toBeNull();
  });
});

describe('addUser', () => {
  it('adds an existing member of the tenant to one more org, keeping their names, with one more service', async () => {
    const x = await fresh({ orgs: [{ path: 'CA__India__HR' }] });
    await setServiceAccess(db, a.ta!, x.memberId, ['cloud']);
    const result = await addUser(db, a.oa!, ca.org('CA__India').id, input(x.email.toUpperCase(), { isAdmin: true, serviceKeys: ['playbook'], firstName: 'Other' }));
    expect(result).toMatchObject({ memberId: x.memberId, outcome: 'added_to_org', emailSent: false, emailMessageIds: [] });
    const [ms] = await db.select().from(orgMemberships).where(and(eq(orgMemberships.memberId, x.memberId), eq(orgMemberships.orgId, ca.org('CA__India').id)));
    expect(ms?.isAdmin).toBe(true);
    expect(await servicesOf(x.memberId)).toEqual(['cloud', 'playbook']);
    const [user] = await db.select().from(users).where(eq(users.id, x.userId));
    expect(user?.firstName).toMatch(/^First/);
    const events = await auditOf(x.memberId);
    expect(events.map((e) => e.action)).toEqual(['member.serviceAccess', 'membership.add', 'member.serviceAccess']);
    expect(events[1]).toMatchObject({ actorLabel: 'oa@ca.test', after: { org: 'CA__India', isAdmin: true }, orgIdPaths: [ca.org('CA__India').idPath] });
  });

  it('refuses an email already in this org, on the email field, changing nothing', async () => {
    await refused(() => addUser(db, a.ta!, ca.org('CA__India__HR').id, input('hr@ca.test')), 'already_in_org');
    try {
      await addUser(db, a.ta!, ca.org('CA__India__HR').id, input('hr@ca.test'));
    } catch (err) {
      expect((err as DomainError).field).toBe('email');
    }
  });

  it('makes a registered user of another tenant an active member and queues the "added" email in their language', async () => {
    const jp = await fresh({ email: 'hanako@other.test', locale: 'ja', orgs: [{ path: 'OTHER__Sales' }] }, other);
    const result = await addUser(db, a.ta!, ca.org('CA__India').id, input('hanako@other.test', { serviceKeys: ['cloud'], firstName: 'Renamed' }));
    expect(result).toMatchObject({ outcome: 'added_registered', emailSent: true, invitationId: null });
    expect(result.emailMessageIds).toHaveLength(1);
    const member = await memberRow(result.memberId);
    expect(member).toMatchObject({ tenantId: ca.id, userId: jp.userId, status: 'active', isTenantAdmin: false });
    const [mail] = await db.select().from(emailMessages).where(eq(emailMessages.id, result.emailMessageIds[0]!));
    expect(mail).toMatchObject({ toAddress: 'hanako@other.test', template: 'member-added', locale: 'ja', status: 'queued', tenantId: ca.id });
    expect(mail?.props).toMatchObject({ tenantName: 'CA', inviterName: 'Sato Akiko' });
    // Their identity is theirs: another tenant's admin does not rename them.
    const [user] = await db.select().from(users).where(eq(users.id, jp.userId));
    expect(user?.firstName).not.toBe('Renamed');
    expect(await servicesOf(result.memberId)).toEqual(['cloud']);
    const [created] = await auditOf(result.memberId);
    expect(created).toMatchObject({ action: 'member.create', after: { status: 'active', org: 'CA__India', services: ['cloud'] } });
  });

  it('invites a new user: invited member, invitation token and email', async () => {
    const result = await addUser(db, a.oa!, ca.org('CA__India__HR').id, input('New.Person@ca.test', { firstName: 'New', lastName: 'Person', serviceKeys: ['cloud', 'storage'] }));
    expect(result).toMatchObject({ outcome: 'invited', emailSent: true });
    expect(result.invitationId).toBeTruthy();
    const member = await memberRow(result.memberId);
    expect(member?.status).toBe('invited');
    const [user] = await db.select().from(users).where(eq(users.id, member!.userId));
    expect(user).toMatchObject({ email: 'New.Person@ca.test', firstName: 'New', lastName: 'Person', passwordHash: null });
    const [mail] = await db.select().from(emailMessages).where(eq(emailMessages.id, result.emailMessageIds[0]!));
    expect(mail).toMatchObject({ template: 'invitation', locale: 'en', toAddress: 'New.Person@ca.test' });
    expect((await invitationStateOf(db, result.memberId)).state).toBe('pending');
    expect(await servicesOf(result.memberId)).toEqual(['cloud', 'storage']);
    expect((await auditOf(result.memberId)).map((e) => e.action)).toEqual(['member.create', 'invitation.send']);
  });

  it('sends nothing when the org’s notifications are off: the invitation exists, not sent', async () => {
    const before = (await db.select({ n: sql<number>`count(*)::int` }).from(emailMessages))[0]!.n;
    const result = await addUser(db, a.ta!, ca.org('CA__Quiet').id, input('quiet@ca.test'));
    expect(result).toMatchObject({ outcome: 'invited', emailSent: false, emailMessageIds: [] });
    expect((await db.select({ n: sql<number>`count(*)::int` }).from(emailMessages))[0]!.n).toBe(before);
    expect((await invitationStateOf(db, result.memberId)).state).toBe('not_sent');
    // A registered user is not emailed there either.
    await fresh({ email: 'quiet-registered@other.test' }, other);
    const reg = await addUser(db, a.ta!, ca.org('CA__Quiet').id, input('quiet-registered@other.test'));
    expect(reg).toMatchObject({ outcome: 'added_registered', emailSent: false, emailMessageIds: [] });
  });

  it('reuses a user row with no tenant (never registered) and gives it the names typed here', async () => {
    const [orphan] = await db.insert(users).values({ email: 'orphan@ca.test' }).returning();
    const result = await addUser(db, a.ta!, ca.root.id, input('orphan@ca.test', { firstName: 'Or', lastName: 'Phan' }));
    expect(result.outcome).toBe('invited');
    const member = await memberRow(result.memberId);
    expect(member?.userId).toBe(orphan!.id);
    const [user] = await db.select().from(users).where(eq(users.id, orphan!.id));
    expect(user).toMatchObject({ firstName: 'Or', lastName: 'Phan' });
  });

  it('refuses unknown services and bad input, changing nothing', async () => {
    await refused(() => addUser(db, a.ta!, ca.root.id, input('svc@ca.test', { serviceKeys: ['nope'] })), 'unknown_service');
    await expect(addUser(db, a.ta!, ca.root.id, input('not-an-email'))).rejects.toThrow();
  });

  it('refuses: org admin outside the subtree, plain member, other tenant, unknown org', async () => {
    await refused(() => addUser(db, a.oa!, ca.org('CA__US').id, input('x1@ca.test')), 'not_found');
    await refused(() => addUser(db, a.oa!, ca.root.id, input('x1@ca.test')), 'not_found');
    await refused(() => addUser(db, a.mem!, ca.org('CA__India__HR').id, input('x1@ca.test')), 'not_found');
    await refused(() => addUser(db, a.oth!, ca.org('CA__India').id, input('x1@ca.test')), 'not_found');
    await refused(() => addUser(db, a.ta!, other.root.id, input('x1@ca.test')), 'not_found');
    await refused(() => addUser(db, a.ta!, '00000000-0000-4000-8000-000000000000', input('x1@ca.test')), 'not_found');
    await refused(() => addUser(db, a.ta!, 'not-a-uuid', input('x1@ca.test')), 'not_found');
  });

  it('an org admin may add someone who also belongs elsewhere, but not grant them services', async () => {
    const x = await fresh({ orgs: [{ path: 'CA__US' }] });
    await refused(() => addUser(db, a.oa!, ca.org('CA__India').id, input(x.email, { serviceKeys: ['cloud'] })), 'service_access_forbidden');
    const ok = await addUser(db, a.oa!, ca.org('CA__India').id, input(x.email));
    expect(ok.outcome).toBe('added_to_org');
  });
});

describe('updateMember', () => {
  it('changes names and language, audited before → after', async () => {
    const x = await fresh({ orgs: [{ path: 'CA__India__HR' }] });
    await updateMember(db, a.oa!, x.memberId, { firstName: ' Hanako ', lastName: 'Yamada', locale: 'ja' });
    const [user] = await db.select().from(users).where(eq(users.id, x.userId));
    expect(user).toMatchObject({ firstName: 'Hanako', lastName: 'Yamada', locale: 'ja' });
    const [event] = await auditOf(x.memberId);
    expect(event).toMatchObject({ action: 'member.update', after: { firstName: 'Hanako', lastName: 'Yamada', locale: 'ja' } });
    expect(event?.before).toMatchObject({ locale: null });
    // Nothing to change: no event.
    await updateMember(db, a.oa!, x.memberId, { firstName: 'Hanako', lastName: 'Yamada', locale: 'ja' });
    expect(await auditOf(x.memberId)).toHaveLength(1);
  });
  it('leaves the names of someone who also belongs to another tenant to them', async () => {
    const x = await fresh({ email: 'shared@x.test', orgs: [{ path: 'CA__India__HR' }] });
    await fresh({ email: 'shared@x.test', orgs: [{ path: 'OTHER' }] }, other);
    await refused(() => updateMember(db, a.ta!, x.memberId, { firstName: 'A', lastName: 'B', locale: null }), 'profile_shared');
    expect((await loadMemberProfile(db, a.ta!, x.memberId)).can).toMatchObject({ edit: true, editProfile: false });
  });
  it('refuses out of scope, wider than the scope, tenant admins, plain members and other tenants', async () => {
    const change = { firstName: 'Z', lastName: 'Z', locale: null };
    await refused(() => updateMember(db, a.oa!, m.us!.memberId, change), 'not_found');
    await refused(() => updateMember(db, a.oa!, m.both!.memberId, change), 'forbidden');
    await refused(() => updateMember(db, a.oa!, m.taIndia!.memberId, change), 'forbidden');
    await refused(() => updateMember(db, a.oa!, m.ta!.memberId, change), 'not_found');
    await refused(() => updateMember(db, a.mem!, m.hr!.memberId, change), 'not_found');
    await refused(() => updateMember(db, a.oth!, m.hr!.memberId, change), 'not_found');
    await refused(() => updateMember(db, a.ta!, m.othMember!.memberId, change), 'not_found');
  });
});

describe('deactivate and reactivate', () => {
  it('deactivates an active member, who then cannot act in the tenant, and reactivates them', async () => {
    const x = await fresh({ orgs: [{ path: 'CA__India__HR', isAdmin: true }] });
    expect(await loadActor(db, x.userId, { tenantSlug: 'ca' })).not.toBeNull();
    await deactivateMember(db, a.oa!, x.memberId);
    expect((await memberRow(x.memberId))?.status).toBe('deactivated');
    expect(await loadActor(db, x.userId, { tenantSlug: 'ca' })).toBeNull();
    // Still listed for admins.
    expect((await loadMemberProfile(db, a.oa!, x.memberId)).status).toBe('deactivated');
    expect(await reactivateMember(db, a.oa!, x.memberId)).toBe('active');
    expect(await loadActor(db, x.userId, { tenantSlug: 'ca' })).not.toBeNull();
    const events = await auditOf(x.memberId);
    expect(events.map((e) => [e.action, e.before, e.after])).toEqual([
      ['member.deactivate', { status: 'active' }, { status: 'deactivated' }],
      ['member.reactivate', { status: 'deactivated' }, { status: 'active' }],
    ]);
  });
  it('an invited member may be deactivated; reactivating returns them to invited', async () => {
    const x = await fresh({ status: 'invited', orgs: [{ path: 'CA__India' }] });
    await deactivateMember(db, a.ta!, x.memberId);
    expect((await memberRow(x.memberId))?.status).toBe('deactivated');
    expect(await reactivateMember(db, a.ta!, x.memberId)).toBe('invited');
    expect((await memberRow(x.memberId))?.status).toBe('invited');
  });
  it('is idempotent: deactivating twice records one change', async () => {
    const x = await fresh({ orgs: [{ path: 'CA__India' }] });
    await deactivateMember(db, a.ta!, x.memberId);
    await deactivateMember(db, a.ta!, x.memberId);
    expect(await auditOf(x.memberId)).toHaveLength(1);
  });
  it('refuses: yourself, out of scope, wider scope, tenant admin by org admin, plain member, other tenant', async () => {
    const mine = await fresh({ status: 'deactivated', orgs: [{ path: 'CA__US' }] });
    await refused(() => deactivateMember(db, a.ta2!, m.ta2!.memberId), 'self');
    for (const fn of [deactivateMember, reactivateMember]) {
      await refused(() => fn(db, a.oa!, m.us!.memberId), 'not_found');
      await refused(() => fn(db, a.oa!, m.both!.memberId), 'forbidden');
      await refused(() => fn(db, a.oa!, m.taIndia!.memberId), 'forbidden');
      await refused(() => fn(db, a.mem!, m.hr!.memberId), 'not_found');
      await refused(() => fn(db, a.oth!, m.hr!.memberId), 'not_found');
      await refused(() => fn(db, a.ta!, m.othMember!.memberId), 'not_found');
    }
    await refused(() => reactivateMember(db, a.oa!, mine.memberId), 'not_found');
  });
});

describe('removeMember and removeMembership', () => {
  it('removes a member from the tenant: memberships, services and groups go, the user stays', async () => {
    const x = await fresh({ orgs: [{ path: 'CA__India' }, { path: 'CA__India__HR' }] });
    await setServiceAccess(db, a.ta!, x.memberId, ['cloud']);
    const group = await addGroup(db, ca, { name: 'Removal' });
    await db.insert(groupMembers).values({ tenantId: ca.id, groupId: group, memberId: x.memberId });
    await removeMember(db, a.oa!, x.memberId);
    expect(await memberRow(x.memberId)).toBeUndefined();
    expect(await db.select().from(orgMemberships).where(eq(orgMemberships.memberId, x.memberId))).toEqual([]);
    expect(await db.select().from(groupMembers).where(eq(groupMembers.memberId, x.memberId))).toEqual([]);
    expect(await db.select().from(users).where(eq(users.id, x.userId))).toHaveLength(1);
    const events = await auditOf(x.memberId);
    expect(events.at(-1)).toMatchObject({
      action: 'member.remove',
      before: { status: 'active', services: ['cloud'], orgs: [{ org: 'CA__India' }, { org: 'CA__India__HR' }] },
      after: { removed: true, reason: 'removed' },
    });
  });
  it('removes one membership; the last one only when confirmed, and then the member leaves the tenant', async () => {
    const x = await fresh({ orgs: [{ path: 'CA__India' }, { path: 'CA__India__HR' }] });
    expect(await removeMembership(db, a.oa!, x.membership('CA__India'), { confirmLastOrg: false })).toEqual({ removedFromTenant: false });
    await refused(() => removeMembership(db, a.oa!, x.membership('CA__India__HR'), { confirmLastOrg: false }), 'confirm_last_org');
    expect(await removeMembership(db, a.oa!, x.membership('CA__India__HR'), { confirmLastOrg: true })).toEqual({ removedFromTenant: true });
    expect(await memberRow(x.memberId)).toBeUndefined();
    expect((await auditOf(x.memberId)).map((e) => [e.action, e.orgIdPaths])).toEqual([
      ['membership.remove', [ca.org('CA__India').idPath]],
      ['member.remove', [ca.org('CA__India__HR').idPath]],
    ]);
  });
  it('a stale form (membership or member gone meanwhile) is not found', async () => {
    const x = await fresh({ orgs: [{ path: 'CA__India' }, { path: 'CA__US' }] });
    const ms = x.membership('CA__India');
    await removeMembership(db, a.ta!, ms, { confirmLastOrg: false });
    await refused(() => removeMembership(db, a.ta!, ms, { confirmLastOrg: true }), 'not_found');
    await removeMember(db, a.ta!, x.memberId);
    await refused(() => removeMember(db, a.ta!, x.memberId), 'not_found');
    await refused(() => deactivateMember(db, a.ta!, x.memberId), 'not_found');
    await refused(() => setServiceAccess(db, a.ta!, x.memberId, []), 'not_found');
  });
  it('refuses: out of scope, wider scope (member-wide), tenant admin, plain member, other tenant, yourself', async () => {
    await refused(() => removeMember(db, a.oa!, m.us!.memberId), 'not_found');
    await refused(() => removeMember(db, a.oa!, m.both!.memberId), 'forbidden');
    await refused(() => removeMember(db, a.oa!, m.taIndia!.memberId), 'forbidden');
    await refused(() => removeMember(db, a.mem!, m.hr!.memberId), 'not_found');
    await refused(() => removeMember(db, a.oth!, m.hr!.memberId), 'not_found');
    await refused(() => removeMember(db, a.ta!, m.othMember!.memberId), 'not_found');
    await refused(() => removeMember(db, a.ta2!, m.ta2!.memberId), 'self');

    const opts = { confirmLastOrg: true };
    await refused(() => removeMembership(db, a.oa!, m.us!.membership('CA__US__HR'), opts), 'not_found');
    await refused(() => removeMembership(db, a.oa!, m.both!.membership('CA__US'), opts), 'not_found');
    await refused(() => removeMembership(db, a.oa!, m.taIndia!.membership('CA__India__HR'), opts), 'forbidden');
    await refused(() => removeMembership(db, a.mem!, m.hr!.membership('CA__India__HR'), opts), 'not_found');
    await refused(() => removeMembership(db, a.oth!, m.hr!.membership('CA__India__HR'), opts), 'not_found');
    await refused(() => removeMembership(db, a.ta!, m.othMember!.membership('OTHER__Sales'), opts), 'not_found');
    // The last membership of someone who also... has only one: removing it is member-wide.
    const wide = await fresh({ orgs: [{ path: 'CA__US' }] });
    await refused(() => removeMembership(db, a.oa!, wide.membership('CA__US'), opts), 'not_found');
  });
  it('an org admin removes the in-scope membership of someone who also belongs elsewhere', async () => {
    const x = await fresh({ orgs: [{ path: 'CA__India__HR' }, { path: 'CA__US' }] });
    expect(await removeMembership(db, a.oa!, x.membership('CA__India__HR'), { confirmLastOrg: false })).toEqual({ removedFromTenant: false });
    await refused(() => loadMemberProfile(db, a.oa!, x.memberId), 'not_found');
  });
});

describe('setMembershipAdmin', () => {
  it('grants and revokes administrator on a membership (the new admin’s scope follows)', async () => {
    const x = await fresh({ orgs: [{ path: 'CA__India__HR' }] });
    await setMembershipAdmin(db, a.oa!, x.membership('CA__India__HR'), true);
    const actor = await actorFor(db, x.userId, ca);
    expect(await findMemberByEmail(db, actor, ca.org('CA__India__HR').id, 'hr@ca.test')).not.toBeNull();
    await setMembershipAdmin(db, a.oa!, x.membership('CA__India__HR'), true); // no change, no event
    await setMembershipAdmin(db, a.oa!, x.membership('CA__India__HR'), false);
    expect((await auditOf(x.memberId)).map((e) => [e.action, e.before, e.after])).toEqual([
      ['membership.setAdmin', { org: 'CA__India__HR', isAdmin: false }, { org: 'CA__India__HR', isAdmin: true }],
      ['membership.setAdmin', { org: 'CA__India__HR', isAdmin: true }, { org: 'CA__India__HR', isAdmin: false }],
    ]);
  });
  it('refuses: out of scope, tenant admin’s membership, plain member, other tenant', async () => {
    await refused(() => setMembershipAdmin(db, a.oa!, m.us!.membership('CA__US__HR'), true), 'not_found');
    await refused(() => setMembershipAdmin(db, a.oa!, m.both!.membership('CA__US'), true), 'not_found');
    await refused(() => setMembershipAdmin(db, a.oa!, m.taIndia!.membership('CA__India__HR'), true), 'forbidden');
    await refused(() => setMembershipAdmin(db, a.mem!, m.hr!.membership('CA__India__HR'), true), 'not_found');
    await refused(() => setMembershipAdmin(db, a.oth!, m.hr!.membership('CA__India__HR'), true), 'not_found');
    await refused(() => setMembershipAdmin(db, a.ta!, m.othMember!.membership('OTHER__Sales'), true), 'not_found');
  });
});

describe('setTenantAdmin', () => {
  it('promotes an active member and demotes them again', async () => {
    const x = await fresh({ orgs: [{ path: 'CA__US' }] });
    await setTenantAdmin(db, a.ta!, x.memberId, true);
    expect((await memberRow(x.memberId))?.isTenantAdmin).toBe(true);
    expect((await actorFor(db, x.userId, ca)).isTenantAdmin).toBe(true);
    await setTenantAdmin(db, a.ta!, x.memberId, false);
    expect((await memberRow(x.memberId))?.isTenantAdmin).toBe(false);
    expect((await auditOf(x.memberId)).map((e) => e.after)).toEqual([{ isTenantAdmin: true }, { isTenantAdmin: false }]);
  });
  it('only active members become tenant admins', async () => {
    const invited = await fresh({ status: 'invited', orgs: [{ path: 'CA__US' }] });
    const off = await fresh({ status: 'deactivated', orgs: [{ path: 'CA__US' }] });
    await refused(() => setTenantAdmin(db, a.ta!, invited.memberId, true), 'not_active');
    await refused(() => setTenantAdmin(db, a.ta!, off.memberId, true), 'not_active');
  });
  it('refuses everyone but tenant admins', async () => {
    await refused(() => setTenantAdmin(db, a.oa!, m.hr!.memberId, true), 'forbidden');
    await refused(() => setTenantAdmin(db, a.oa!, m.us!.memberId, true), 'not_found');
    await refused(() => setTenantAdmin(db, a.mem!, m.hr!.memberId, true), 'not_found');
    await refused(() => setTenantAdmin(db, a.oth!, m.hr!.memberId, true), 'not_found');
    await refused(() => setTenantAdmin(db, a.ta!, m.othMember!.memberId, true), 'not_found');
  });
});

describe('setServiceAccess', () => {
  it('sets the whole set of services', async () => {
    const x = await fresh({ orgs: [{ path: 'CA__India__HR' }] });
    await setServiceAccess(db, a.oa!, x.memberId, ['cloud', 'playbook']);
    expect(await servicesOf(x.memberId)).toEqual(['cloud', 'playbook']);
    await setServiceAccess(db, a.oa!, x.memberId, ['storage', 'cloud']);
    expect(await servicesOf(x.memberId)).toEqual(['cloud', 'storage']);
    await setServiceAccess(db, a.oa!, x.memberId, []);
    expect(await servicesOf(x.memberId)).toEqual([]);
    expect((await auditOf(x.memberId)).map((e) => e.after)).toEqual([
      { services: ['cloud', 'playbook'] },
      { services: ['cloud', 'storage'] },
      { services: [] },
    ]);
  });
  it('refuses unknown services and every actor who may not', async () => {
    await refused(() => setServiceAccess(db, a.ta!, m.hr!.memberId, ['cloud', 'nope']), 'unknown_service');
    await refused(() => setServiceAccess(db, a.oa!, m.us!.memberId, ['cloud']), 'not_found');
    await refused(() => setServiceAccess(db, a.oa!, m.both!.memberId, ['cloud']), 'forbidden');
    await refused(() => setServiceAccess(db, a.oa!, m.taIndia!.memberId, ['cloud']), 'forbidden');
    await refused(() => setServiceAccess(db, a.mem!, m.hr!.memberId, ['cloud']), 'not_found');
    await refused(() => setServiceAccess(db, a.oth!, m.hr!.memberId, ['cloud']), 'not_found');
    await refused(() => setServiceAccess(db, a.ta!, m.othMember!.memberId, ['cloud']), 'not_found');
  });
});

describe('the last active tenant administrator', () => {
  it('cannot be demoted, deactivated, removed, or lose their last membership', async () => {
    const solo = await createTenantFixture(db, { slug: 'solo', orgPaths: ['SOLO__Team'] });
    const admin = await addMember(db, solo, { email: 'admin@solo.test', isTenantAdmin: true, orgs: [{ path: 'SOLO' }] });
    const second = await addMember(db, solo, { email: 'second@solo.test', isTenantAdmin: true, orgs: [{ path: 'SOLO__Team' }] });
    // A deactivated admin does not count.
    await addMember(db, solo, { email: 'off@solo.test', isTenantAdmin: true, status: 'deactivated', orgs: [{ path: 'SOLO' }] });
    const me = await actorFor(db, admin.userId, solo);
    const other2 = await actorFor(db, second.userId, solo);

    // Two active admins: one may step down; then the other is the last.
    await setTenantAdmin(db, other2, second.memberId, false);
    await refused(() => setTenantAdmin(db, me, admin.memberId, false), 'last_tenant_admin');
    await refused(() => deactivateMember(db, me, admin.memberId), 'last_tenant_admin');
    await refused(() => removeMember(db, me, admin.memberId), 'last_tenant_admin');
    await refused(() => removeMembership(db, me, admin.membership('SOLO'), { confirmLastOrg: true }), 'last_tenant_admin');

    // Two admins acting on each other at once: the second one finds the first one's change.
    await setTenantAdmin(db, me, second.memberId, true);
    const stale = await actorFor(db, second.userId, solo);
    await deactivateMember(db, me, second.memberId);
    await refused(() => deactivateMember(db, stale, admin.memberId), 'last_tenant_admin');
    await refused(() => removeMembership(db, stale, admin.membership('SOLO'), { confirmLastOrg: true }), 'last_tenant_admin');

    const profile = await loadMemberProfile(db, me, admin.memberId);
    expect(profile.isLastActiveTenantAdmin).toBe(true);
  });
  it('with another active admin, one of them may leave', async () => {
    const duo = await createTenantFixture(db, { slug: 'duo' });
    const one = await addMember(db, duo, { email: 'one@duo.test', isTenantAdmin: true, orgs: [{ path: 'DUO' }] });
    const two = await addMember(db, duo, { email: 'two@duo.test', isTenantAdmin: true, orgs: [{ path: 'DUO' }] });
    await removeMembership(db, await actorFor(db, one.userId, duo), two.membership('DUO'), { confirmLastOrg: true });
    expect(await memberRow(two.memberId)).toBeUndefined();
  });
});

describe('loadMemberProfile', () => {
  it('gives a tenant admin everything, with the controls they may use', async () => {
    const x = await fresh({ orgs: [{ path: 'CA__India' }, { path: 'CA__US', isAdmin: true }] });
    await setServiceAccess(db, a.ta!, x.memberId, ['playbook']);
    const g = await addGroup(db, ca, { name: 'Profile group' });
    await db.insert(groupMembers).values({ tenantId: ca.id, groupId: g, memberId: x.memberId });
    const p = await loadMemberProfile(db, a.ta!, x.memberId);
    expect(p.user).toMatchObject({ email: x.email, registered: true });
    expect(p.memberships.map((ms) => [ms.orgPath, ms.isAdmin, ms.isLast, ms.can])).toEqual([
      ['CA__India', false, false, { remove: true, setAdmin: true }],
      ['CA__US', true, false, { remove: true, setAdmin: true }],
    ]);
    // By name: Clarity Playbook, Enterprise Cloud 2.0, Storage.
    expect(p.services.map((s) => [s.key, s.hasAccess])).toEqual([
      ['playbook', true],
      ['cloud', false],
      ['storage', false],
    ]);
    expect(p.groups?.map((gr) => gr.name)).toEqual(['Profile group']);
    expect(p.can).toEqual({ edit: true, editProfile: true, deactivate: true, reactivate: false, remove: true, serviceAccess: true, setTenantAdmin: true });
  });
  it('shows an org admin only the memberships inside their scope, and no member-wide controls for a wider member', async () => {
    const p = await loadMemberProfile(db, a.oa!, m.both!.memberId);
    expect(p.memberships.map((ms) => ms.orgPath)).toEqual(['CA__India']);
    expect(p.memberships[0]).toMatchObject({ isLast: false, can: { remove: true, setAdmin: true } });
    expect(p.can).toEqual({ edit: false, editProfile: false, deactivate: false, reactivate: false, remove: false, serviceAccess: false, setTenantAdmin: false });
    // Groups are tenant-wide: not shown to an org admin, even for a member in their scope who is in one.
    const group = await addGroup(db, ca, { name: 'Hidden from org admins' });
    await db.insert(groupMembers).values({ tenantId: ca.id, groupId: group, memberId: m.hr!.memberId });
    expect((await loadMemberProfile(db, a.oa!, m.hr!.memberId)).groups).toBeNull();
    expect((await loadMemberProfile(db, a.ta!, m.hr!.memberId)).groups?.map((g) => g.name)).toContain('Hidden from org admins');
    const hr = await loadMemberProfile(db, a.oa!, m.hr!.memberId);
    expect(hr.memberships[0]).toMatchObject({ isLast: true, can: { remove: true } });
    expect(hr.can).toMatchObject({ edit: true, deactivate: true, remove: true, setTenantAdmin: false });
    const taIndia = await loadMemberProfile(db, a.oa!, m.taIndia!.memberId);
    expect(taIndia.memberships[0]?.can).toEqual({ remove: false, setAdmin: false });
  });
  it('refuses out of scope, plain members, other tenants', async () => {
    await refused(() => loadMemberProfile(db, a.oa!, m.us!.memberId), 'not_found');
    await refused(() => loadMemberProfile(db, a.mem!, m.hr!.memberId), 'not_found');
    await refused(() => loadMemberProfile(db, a.oth!, m.hr!.memberId), 'not_found');
    await refused(() => loadMemberProfile(db, a.ta!, m.othMember!.memberId), 'not_found');
    await refused(() => loadMemberProfile(db, a.ta!, 'garbage'), 'not_found');
  });
});
