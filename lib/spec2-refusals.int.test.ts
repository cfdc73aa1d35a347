import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '@/db/client';
import { createTestDatabase, type TestDatabase } from '@/db/testing';
import type { Actor } from '@/lib/actor';
import { can } from '@/lib/authz';
import { ForbiddenError, NotFoundError } from '@/lib/errors';
import { resendInvitation, resendInvitations, revokeInvitation, revokeInvitations } from '@/lib/invitations';
import { createOrganization, deleteOrganization, loadOrganizationDetails, moveOrganization, updateOrganization } from '@/lib/orgs';
import { dbFingerprint } from '@/lib/testing/db-fingerprint';
import { actorFor, addMember, addService, createOperator, createTenantFixture, type MemberFixture, type TenantFixture } from '@/lib/testing/fixtures';
import {
  addUser,
  deactivateMember,
  loadMemberProfile,
  reactivateMember,
  removeMember,
  removeMembership,
  setMembershipAdmin,
  setServiceAccess,
  setTenantAdmin,
  updateMember,
} from '@/lib/users';

/*
 * SPEC §2, refusals: every org and user action of the domain, called by every actor who may not
 * do it, is refused (not found, or forbidden when the actor can see the target) and changes
 * nothing at all in the database. The positive cases live in each module's own tests.
 */

let tdb: TestDatabase;
let db: Database;
let ca: TenantFixture;
let other: TenantFixture;
const m: Record<string, MemberFixture> = {};
const actors: Record<string, Actor> = {};

beforeAll(async () => {
  tdb = await createTestDatabase();
  db = tdb.db;
  ca = await createTenantFixture(db, { slug: 'ca', orgPaths: ['CA__India__HR', 'CA__US__HR'] });
  other = await createTenantFixture(db, { slug: 'other', orgPaths: ['OT__Sales'] });
  await addService(db, { key: 'cloud' });
  const add = async (key: string, tenant: TenantFixture, options: Omit<Parameters<typeof addMember>[2], 'email'>) => {
    m[key] = await addMember(db, tenant, { email: `${key}@${tenant.slug}.test`, firstName: key, lastName: 'Test', ...options });
  };
  await add('boss', ca, { isTenantAdmin: true, orgs: [{ path: 'CA' }] });
  await add('indiaAdmin', ca, { orgs: [{ path: 'CA__India', isAdmin: true }] });
  await add('usAdmin', ca, { orgs: [{ path: 'CA__US', isAdmin: true }] });
  await add('plain', ca, { orgs: [{ path: 'CA__India__HR' }] });
  await add('hr', ca, { orgs: [{ path: 'CA__India__HR' }] });
  await add('both', ca, { orgs: [{ path: 'CA__India' }, { path: 'CA__US' }] });
  await add('invitee', ca, { status: 'invited', orgs: [{ path: 'CA__India__HR' }] });
  await add('otherAdmin', other, { isTenantAdmin: true, orgs: [{ path: 'OT' }] });
  const operatorId = await createOperator(db, { email: 'operator@platform.test' });
  actors.indiaAdmin = await actorFor(db, m.indiaAdmin!.userId, ca);
  actors.usAdmin = await actorFor(db, m.usAdmin!.userId, ca);
  actors.plain = await actorFor(db, m.plain!.userId, ca);
  actors.otherAdmin = await actorFor(db, m.otherAdmin!.userId, other);
  actors.operator = await actorFor(db, operatorId);
});

afterAll(async () => {
  await tdb?.drop();
});

type Case = { action: string; call: (actor: Actor) => Promise<unknown>; refusedFor: string[] };

const ORG_MANAGERS_REFUSED = ['indiaAdmin', 'usAdmin', 'plain', 'otherAdmin', 'operator'];
const OUTSIDE_INDIA = ['usAdmin', 'plain', 'otherAdmin', 'operator'];

const fields = { name: 'Renamed', description: '', emailNotifications: true };
const cases: Case[] = [
  // Organizations: tenant admins only (org admins see their orgs but never manage them).
  { action: 'org.create', call: (a) => createOrganization(db, a, { parentId: ca.org('CA__India').id, ...fields }), refusedFor: ORG_MANAGERS_REFUSED },
  { action: 'org.update', call: (a) => updateOrganization(db, a, ca.org('CA__India__HR').id, fields), refusedFor: ORG_MANAGERS_REFUSED },
  { action: 'org.move', call: (a) => moveOrganization(db, a, ca.org('CA__India__HR').id, ca.org('CA__US').id), refusedFor: ORG_MANAGERS_REFUSED },
  { action: 'org.delete', call: (a) => deleteOrganization(db, a, ca.org('CA__US__HR').id), refusedFor: ORG_MANAGERS_REFUSED },
  { action: 'org.view', call: (a) => loadOrganizationDetails(db, a, ca.org('CA__India__HR').id), refusedFor: OUTSIDE_INDIA },
  // Users: tenant admins, and org admins for memberships inside their subtree.
  { action: 'member.add', call: (a) => addUser(db, a, ca.org('CA__India__HR').id, { email: 'new@ca.test', firstName: 'N', lastName: 'N', isAdmin: false, serviceKeys: [] }), refusedFor: OUTSIDE_INDIA },
  { action: 'member.view', call: (a) => loadMemberProfile(db, a, m.hr!.memberId), refusedFor: OUTSIDE_INDIA },
  { action: 'member.edit', call: (a) => updateMember(db, a, m.hr!.memberId, { firstName: 'X', lastName: 'Y', locale: 'ja' }), refusedFor: OUTSIDE_INDIA },
  { action: 'member.deactivate', call: (a) => deactivateMember(db, a, m.hr!.memberId), refusedFor: OUTSIDE_INDIA },
  { action: 'member.remove', call: (a) => removeMember(db, a, m.hr!.memberId), refusedFor: OUTSIDE_INDIA },
  { action: 'member.serviceAccess', call: (a) => setServiceAccess(db, a, m.hr!.memberId, ['cloud']), refusedFor: OUTSIDE_INDIA },
  { action: 'membership.setAdmin', call: (a) => setMembershipAdmin(db, a, m.hr!.membership('CA__India__HR'), true), refusedFor: OUTSIDE_INDIA },
  { action: 'membership.remove', call: (a) => removeMembership(db, a, m.hr!.membership('CA__India__HR'), { confirmLastOrg: true }), refusedFor: OUTSIDE_INDIA },
  { action: 'invitation.resend', call: (a) => resendInvitation(db, a, m.invitee!.memberId), refusedFor: OUTSIDE_INDIA },
  { action: 'invitation.revoke', call: (a) => revokeInvitation(db, a, m.invitee!.memberId), refusedFor: OUTSIDE_INDIA },
  { action: 'invitation.resend (bulk)', call: (a) => resendInvitations(db, a, [m.invitee!.memberId]), refusedFor: OUTSIDE_INDIA },
  { action: 'invitation.revoke (bulk)', call: (a) => revokeInvitations(db, a, [m.invitee!.memberId]), refusedFor: OUTSIDE_INDIA },
  // Tenant administrator rights: tenant admins only, whatever the org admin's scope.
  { action: 'member.setTenantAdmin', call: (a) => setTenantAdmin(db, a, m.hr!.memberId, true), refusedFor: ['indiaAdmin', ...OUTSIDE_INDIA] },
  // A member who also belongs outside the subtree is beyond the org admin's member-wide reach.
  { action: 'member.deactivate (also outside)', call: (a) => deactivateMember(db, a, m.both!.memberId), refusedFor: ['indiaAdmin', ...OUTSIDE_INDIA] },
  { action: 'member.edit (also outside)', call: (a) => updateMember(db, a, m.both!.memberId, { firstName: 'X', lastName: 'Y', locale: null }), refusedFor: ['indiaAdmin', ...OUTSIDE_INDIA] },
  // An org admin never outranks a tenant admin.
  { action: 'member.deactivate (tenant admin)', call: (a) => deactivateMember(db, a, m.boss!.memberId), refusedFor: ['indiaAdmin', ...OUTSIDE_INDIA] },
  { action: 'member.reactivate (tenant admin)', call: (a) => reactivateMember(db, a, m.boss!.memberId), refusedFor: ['indiaAdmin', ...OUTSIDE_INDIA] },
];

describe('SPEC §2: every action is refused for every actor who may not do it, and changes nothing', () => {
  for (const c of cases) {
    for (const who of c.refusedFor) {
      it(`${c.action} by ${who}`, async () => {
        const before = await dbFingerprint(db);
        const error = await c.call(actors[who]!).then(
          () => null,
          (err: unknown) => err,
        );
        expect(error instanceof NotFoundError || error instanceof ForbiddenError, `${c.action} by ${who} was not refused: ${String(error)}`).toBe(true);
        expect(await dbFingerprint(db)).toEqual(before);
      });
    }
  }

  it('across tenants the answer is always "not found", never "forbidden"', async () => {
    for (const c of cases) {
      const error = await c.call(actors.otherAdmin!).then(
        () => null,
        (err: unknown) => err,
      );
      expect(error, c.action).toBeInstanceOf(NotFoundError);
    }
  });

  it('tenant creation and deletion, the catalog and contracts belong to the platform operator', async () => {
    for (const who of ['indiaAdmin', 'plain', 'otherAdmin']) {
      expect(await can(db, actors[who]!, 'tenant.create', { type: 'platform' }), who).toBe(false);
      expect(await can(db, actors[who]!, 'tenant.delete', { type: 'tenant', id: ca.id }), who).toBe(false);
      expect(await can(db, actors[who]!, 'catalog.manage', { type: 'platform' }), who).toBe(false);
    }
    expect(await can(db, actors.operator!, 'tenant.create', { type: 'platform' })).toBe(true);
  });

  it('the audit log is closed to plain members and to other tenants', async () => {
    expect(await can(db, actors.plain!, 'audit.view', { type: 'tenant', id: ca.id })).toBe(false);
    expect(await can(db, actors.otherAdmin!, 'audit.view', { type: 'tenant', id: ca.id })).toBe(false);
    expect(await can(db, actors.indiaAdmin!, 'audit.view', { type: 'tenant', id: ca.id })).toBe(true);
  });
});
