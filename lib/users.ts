import { greetingName } from '@/emails/layout';
import { and, asc, count, eq, inArray, ne, sql } from 'drizzle-orm';
import { z } from 'zod';
import type { Db } from '@/db/client';
import {
  groupMembers,
  organizations,
  orgMemberships,
  serviceAccess,
  services,
  tenantMembers,
  tenants,
  userGroups,
  users,
  type Locale,
  type MemberStatus,
} from '@/db/schema';
import type { Actor } from '@/lib/actor';
import { auditActor, recordAudit, type AuditAction } from '@/lib/audit';
import {
  adminScope,
  assertNotLastTenantAdmin,
  authorize,
  decide,
  subjectOf,
  type Action,
  type MemberRow,
  type Resource,
  type Subject,
} from '@/lib/authz';
import { sendEmail } from '@/lib/email/send';
import { env } from '@/lib/env';
import { DomainError, ForbiddenError, NotFoundError } from '@/lib/errors';
import { formatPersonName } from '@/lib/i18n/person-name';
import { issueInvitation } from '@/lib/invitations';
import { zCheckbox, zEmail, zList, zPersonName } from '@/lib/validation';

/*
 * Member administration (SPEC 3.1 add a user, 3.3 edit / deactivate / reactivate / remove).
 * Every function authorizes through lib/authz, writes in one transaction and records the change
 * (before → after) in the audit log with the idPaths of the orgs concerned. Membership events are
 * recorded against the MEMBER (target type 'member') so a member's history tells the whole story.
 *
 * Decisions (★ beyond the SPEC):
 * - ★ Adding an email that is already a member of this org is refused on the email field.
 * - ★ A user's names and language are global (one identity for every tenant). An admin changes
 *   them only while this tenant is the user's only tenant; once the person also belongs to
 *   another tenant the profile is theirs (or that of nobody in particular), so no tenant's admin
 *   can rename someone in another customer's directory. For the same reason adding an existing
 *   user never overwrites their names, except a never-registered user with no other tenant
 *   (an unused identity row), whose names the adding admin provides.
 * - ★ Adding an existing member to one more org adds the selected services to theirs (never
 *   removes any); that needs member.serviceAccess on the member, as setServiceAccess does.
 * - ★ The "added to TENANT" email follows the org's email-notifications setting like the
 *   invitation does: notifications off means no email at all from adding someone there.
 * - ★ Nobody deactivates or removes themselves (another administrator must): it would lock the
 *   actor out in the middle of their work.
 * - Removing the last org membership removes the member from the tenant, after confirmation.
 */

// ---------------------------------------------------------------------------------------------
// Input schemas (FormData-shaped, shared with the server actions)

export const zAddUser = z.object({
  email: zEmail,
  firstName: zPersonName,
  lastName: zPersonName,
  isAdmin: zCheckbox,
  serviceKeys: zList(z.string().trim().min(1).max(40)),
});
export type AddUserInput = z.input<typeof zAddUser>;

export const zUpdateMember = z.object({
  firstName: zPersonName,
  lastName: zPersonName,
  /** '' = no preference (the browser's language). */
  locale: z.preprocess((v) => (v === '' || v === undefined ? null : v), z.enum(['en', 'ja']).nullable()),
});
export type UpdateMemberInput = z.input<typeof zUpdateMember>;

// ---------------------------------------------------------------------------------------------
// Helpers

const lowerEmail = (email: string) => email.trim().toLowerCase();

/** The tenant the actor acts in (every function here is tenant work). */
function tenantOf(actor: Actor): NonNullable<Actor['tenant']> {
  // authorize answers NotFound for an actor without a tenant anyway; this keeps types honest.
  if (!actor.tenant) throw new NotFoundError('tenant');
  return actor.tenant;
}

async function loadUser(db: Db, userId: string) {
  const [user] = await db.select().from(users).where(eq(users.id, userId)).limit(1);
  if (!user) throw new NotFoundError('member');
  return user;
}

/** Re-reads the member under a row lock (the row may have changed or gone since authorize read it). */
async function lockMember(db: Db, memberId: string): Promise<MemberRow> {
  const [member] = await db.select().from(tenantMembers).where(eq(tenantMembers.id, memberId)).for('update').limit(1);
  if (!member) throw new NotFoundError('member');
  return member;
}

/** The member's memberships with org paths (for audit snapshots). */
async function membershipSnapshot(db: Db, memberId: string) {
  return db
    .select({ id: orgMemberships.id, org: organizations.namePath, idPath: organizations.idPath, isAdmin: orgMemberships.isAdmin })
    .from(orgMemberships)
    .innerJoin(organizations, eq(organizations.id, orgMemberships.orgId))
    .where(eq(orgMemberships.memberId, memberId))
    .orderBy(asc(organizations.namePath));
}

async function serviceKeysOf(db: Db, memberId: string): Promise<string[]> {
  const rows = await db
    .select({ key: services.key })
    .from(serviceAccess)
    .innerJoin(services, eq(services.id, serviceAccess.serviceId))
    .where(eq(serviceAccess.memberId, memberId))
    .orderBy(asc(services.key));
  return rows.map((r) => r.key);
}

/** Catalog services by key; an unknown key is a field error (a stale form), so nothing half-happens. */
async function resolveServices(db: Db, keys: readonly string[]): Promise<{ id: string; key: string }[]> {
  const unique = [...new Set(keys)];
  if (unique.length === 0) return [];
  const rows = await db.select({ id: services.id, key: services.key }).from(services).where(inArray(services.key, unique));
  const missing = unique.find((k) => !rows.some((r) => r.key === k));
  if (missing) throw new DomainError('unknown_service', 'users.unknownService', { key: missing }, 'serviceKeys');
  return rows.sort((a, b) => a.key.localeCompare(b.key));
}

/** How many tenants other than this one the user belongs to (any status). */
async function otherTenantCount(db: Db, userId: string, tenantId: string): Promise<number> {
  const [row] = await db
    .select({ n: count() })
    .from(tenantMembers)
    .where(and(eq(tenantMembers.userId, userId), ne(tenantMembers.tenantId, tenantId)));
  return row?.n ?? 0;
}

async function audit(
  db: Db,
  actor: Actor,
  action: AuditAction,
  target: { memberId: string; email: string },
  orgIdPaths: string[],
  before: unknown,
  after: unknown,
) {
  await recordAudit(db, {
    tenantId: tenantOf(actor).id,
    actor: auditActor(actor),
    action,
    target: { type: 'member', id: target.memberId, label: target.email },
    orgIdPaths,
    before,
    after,
  });
}

function refuseSelf(actor: Actor, memberId: string) {
  if (actor.memberId === memberId) throw new DomainError('self', 'users.notYourself');
}

/**
 * A member about to be deactivated or to leave the tenant: authorized, not the tenant's last active
 * administrator, not the actor, then locked. Lock order everywhere: tenant admins (the guard), then the member.
 */
async function lockLeavingMember(tx: Db, actor: Actor, action: 'member.deactivate' | 'member.remove', memberId: string) {
  const { member, orgIdPaths } = await authorize(tx, actor, action, { type: 'member', id: memberId });
  await assertNotLastTenantAdmin(tx, member.tenantId, member.id);
  refuseSelf(actor, member.id);
  return { current: await lockMember(tx, member.id), orgIdPaths };
}

// ---------------------------------------------------------------------------------------------
// Prefill

export interface MemberLookup {
  firstName: string;
  lastName: string;
  /** Already a member of the org asked about. */
  alreadyInOrg: boolean;
}

/**
 * For the add-user form's name prefill: the member of the actor's tenant with this email, when the
 * actor may add users to `orgId` (member.add) and may see the member (member.view); null otherwise
 * (other tenants' orgs and users, out-of-scope orgs and members, unknown emails alike).
 */
export async function findMemberByEmail(db: Db, actor: Actor, orgId: string, email: string): Promise<MemberLookup | null> {
  const address = lowerEmail(email);
  if (!address.includes('@')) return null;
  try {
    // The org first: it bounds what the answer may reveal (alreadyInOrg of an org in scope only).
    const { org } = await authorize(db, actor, 'member.add', { type: 'org', id: orgId });
    const [row] = await db
      .select({ memberId: tenantMembers.id, firstName: users.firstName, lastName: users.lastName })
      .from(users)
      .innerJoin(tenantMembers, and(eq(tenantMembers.userId, users.id), eq(tenantMembers.tenantId, org.tenantId)))
      .where(eq(sql`lower(${users.email})`, address))
      .limit(1);
    if (!row) return null;
    const { orgIdPaths } = await authorize(db, actor, 'member.view', { type: 'member', id: row.memberId });
    return { firstName: row.firstName, lastName: row.lastName, alreadyInOrg: orgIdPaths.includes(org.idPath) };
  } catch (err) {
    if (err instanceof NotFoundError || err instanceof ForbiddenError) return null;
    throw err;
  }
}

// ---------------------------------------------------------------------------------------------
// Add a user (SPEC 3.1)

export type AddUserOutcome = 'added_to_org' | 'added_registered' | 'invited';

export interface AddUserResult {
  memberId: string;
  outcome: AddUserOutcome;
  /** An email (invitation or "added to TENANT") was queued. */
  emailSent: boolean;
  /** Queued messages: deliver them with `deliverQueuedEmails` AFTER the transaction commits. */
  emailMessageIds: string[];
  invitationId: string | null;
}

/**
 * Adds a person to an org by email: an existing member of the tenant gets one more membership;
 * a registered user of another tenant becomes an active member (and is told by email); anyone
 * else becomes an invited member with an invitation (emailed unless the org's notifications are off).
 */
export async function addUser(db: Db, actor: Actor, orgId: string, input: AddUserInput): Promise<AddUserResult> {
  const data = zAddUser.parse(input);
  const email = data.email;
  return db.transaction(async (tx) => {
    const { org } = await authorize(tx, actor, 'member.add', { type: 'org', id: orgId });
    const tenant = tenantOf(actor);
    const [tenantRow] = await tx.select().from(tenants).where(eq(tenants.id, org.tenantId)).limit(1);
    if (!tenantRow) throw new NotFoundError('tenant');
    const wanted = await resolveServices(tx, data.serviceKeys);

    // One identity per email: create it if absent, then lock it so concurrent adds of the same
    // person serialise (the second one then sees the first one's member row).
    const created = await tx
      .insert(users)
      .values({ email, firstName: data.firstName, lastName: data.lastName })
      .onConflictDoNothing()
      .returning({ id: users.id });
    const [user] = await tx.select().from(users).where(eq(sql`lower(${users.email})`, lowerEmail(email))).for('update').limit(1);
    if (!user) throw new Error('addUser: user row vanished');
    const isNewUser = created.length > 0;

    const [existing] = await tx
      .select()
      .from(tenantMembers)
      .where(and(eq(tenantMembers.tenantId, tenant.id), eq(tenantMembers.userId, user.id)))
      .for('update')
      .limit(1);

    if (existing) {
      const [already] = await tx
        .select({ id: orgMemberships.id })
        .from(orgMemberships)
        .where(and(eq(orgMemberships.memberId, existing.id), eq(orgMemberships.orgId, org.id)))
        .limit(1);
      if (already) throw new DomainError('already_in_org', 'users.alreadyInOrg', { org: org.namePath }, 'email');

      const before = await membershipSnapshot(tx, existing.id);
      const beforeServices = await serviceKeysOf(tx, existing.id);
      const added = wanted.filter((s) => !beforeServices.includes(s.key));
      if (added.length > 0) {
        // Granting services is member-wide: judged with the new membership counted in.
        const adminIdPaths = await actorAdminIdPaths(tx, actor);
        const resource: Resource = {
          type: 'member',
          tenantId: tenant.id,
          isTenantAdmin: existing.isTenantAdmin,
          orgIdPaths: [...before.map((m) => m.idPath), org.idPath],
        };
        if (decide(subjectOf(actor, adminIdPaths), 'member.serviceAccess', resource) !== 'allow') {
          throw new DomainError('service_access_forbidden', 'users.serviceAccessOutOfScope', {}, 'serviceKeys');
        }
      }

      await tx.insert(orgMemberships).values({ tenantId: tenant.id, orgId: org.id, memberId: existing.id, isAdmin: data.isAdmin });
      const target = { memberId: existing.id, email: user.email };
      await audit(tx, actor, 'membership.add', target, [org.idPath], null, { org: org.namePath, isAdmin: data.isAdmin });
      if (added.length > 0) {
        await tx.insert(serviceAccess).values(added.map((s) => ({ tenantId: tenant.id, memberId: existing.id, serviceId: s.id })));
        await audit(
          tx,
          actor,
          'member.serviceAccess',
          target,
          [...before.map((m) => m.idPath), org.idPath],
          { services: beforeServices },
          { services: [...beforeServices, ...added.map((s) => s.key)].sort() },
        );
      }
      return { memberId: existing.id, outcome: 'added_to_org', emailSent: false, emailMessageIds: [], invitationId: null };
    }

    const registered = user.passwordHash !== null;
    // An unused identity (never registered, in no tenant) takes the names this admin gives.
    if (!isNewUser && !registered && (await otherTenantCount(tx, user.id, tenant.id)) === 0) {
      await tx.update(users).set({ firstName: data.firstName, lastName: data.lastName }).where(eq(users.id, user.id));
    }
    const status: MemberStatus = registered ? 'active' : 'invited';
    const [member] = await tx.insert(tenantMembers).values({ tenantId: tenant.id, userId: user.id, status }).returning();
    if (!member) throw new Error('addUser: member insert returned nothing');
    await tx.insert(orgMemberships).values({ tenantId: tenant.id, orgId: org.id, memberId: member.id, isAdmin: data.isAdmin });
    if (wanted.length > 0) {
      await tx.insert(serviceAccess).values(wanted.map((s) => ({ tenantId: tenant.id, memberId: member.id, serviceId: s.id })));
    }
    await audit(tx, actor, 'member.create', { memberId: member.id, email: user.email }, [org.idPath], null, {
      email: user.email,
      status,
      org: org.namePath,
      isAdmin: data.isAdmin,
      services: wanted.map((s) => s.key),
    });

    const send = org.emailNotifications;
    const recipientLocale: Locale = user.locale ?? tenantRow.defaultLocale;
    const inviterName = formatPersonName(actor, recipientLocale) || actor.email;
    if (registered) {
      const ids: string[] = [];
      if (send) {
        ids.push(
          await sendEmail(tx, {
            to: user.email,
            template: 'member-added',
            locale: recipientLocale,
            tenantId: tenant.id,
            idempotencyKey: `member-added-${member.id}`,
            props: {
              tenantName: tenantRow.name,
              inviterName,
              recipientName: greetingName(user, recipientLocale),
              signInUrl: new URL('/sign-in', env().APP_URL).toString(),
            },
          }),
        );
      }
      return { memberId: member.id, outcome: 'added_registered', emailSent: send, emailMessageIds: ids, invitationId: null };
    }

    const invitation = await issueInvitation(tx, {
      tenantId: tenant.id,
      memberId: member.id,
      invitedBy: { ...auditActor(actor), name: inviterName },
      send,
    });
    const ids = invitation.emailMessageId ? [invitation.emailMessageId] : [];
    return { memberId: member.id, outcome: 'invited', emailSent: ids.length > 0, emailMessageIds: ids, invitationId: invitation.invitationId };
  });
}

/** idPaths of the orgs the actor administers (empty for tenant admins, who need none). */
async function actorAdminIdPaths(db: Db, actor: Actor): Promise<string[]> {
  const scope = await adminScope(db, actor);
  return scope.kind === 'subtrees' ? scope.idPaths : [];
}

// ---------------------------------------------------------------------------------------------
// Edit, deactivate, reactivate, remove (SPEC 3.3)

/** Changes a member's names and language (global to the user: see the decision above). */
export async function updateMember(db: Db, actor: Actor, memberId: string, input: UpdateMemberInput): Promise<void> {
  const data = zUpdateMember.parse(input);
  await db.transaction(async (tx) => {
    const { member, orgIdPaths } = await authorize(tx, actor, 'member.edit', { type: 'member', id: memberId });
    const user = await loadUser(tx, member.userId);
    if ((await otherTenantCount(tx, user.id, member.tenantId)) > 0) {
      throw new DomainError('profile_shared', 'users.profileShared');
    }
    const before = { firstName: user.firstName, lastName: user.lastName, locale: user.locale };
    const after = { firstName: data.firstName, lastName: data.lastName, locale: data.locale };
    if (before.firstName === after.firstName && before.lastName === after.lastName && before.locale === after.locale) return;
    await tx.update(users).set(after).where(eq(users.id, user.id));
    await audit(tx, actor, 'member.update', { memberId: member.id, email: user.email }, orgIdPaths, before, after);
  });
}

/** Deactivates a member (invited or active): they stay listed and cannot sign in to this tenant. */
export async function deactivateMember(db: Db, actor: Actor, memberId: string): Promise<void> {
  await db.transaction(async (tx) => {
    const { current, orgIdPaths } = await lockLeavingMember(tx, actor, 'member.deactivate', memberId);
    if (current.status === 'deactivated') return;
    await tx.update(tenantMembers).set({ status: 'deactivated' }).where(eq(tenantMembers.id, current.id));
    const user = await loadUser(tx, current.userId);
    await audit(tx, actor, 'member.deactivate', { memberId: current.id, email: user.email }, orgIdPaths, { status: current.status }, { status: 'deactivated' });
  });
}

/** Reactivates a deactivated member: active when the user has registered, otherwise invited again. */
export async function reactivateMember(db: Db, actor: Actor, memberId: string): Promise<MemberStatus> {
  return db.transaction(async (tx) => {
    const { member, orgIdPaths } = await authorize(tx, actor, 'member.reactivate', { type: 'member', id: memberId });
    const current = await lockMember(tx, member.id);
    if (current.status !== 'deactivated') return current.status;
    const user = await loadUser(tx, member.userId);
    const status: MemberStatus = user.passwordHash ? 'active' : 'invited';
    await tx.update(tenantMembers).set({ status }).where(eq(tenantMembers.id, member.id));
    await audit(tx, actor, 'member.reactivate', { memberId: member.id, email: user.email }, orgIdPaths, { status: 'deactivated' }, { status });
    return status;
  });
}

/** The audit "before" of a member leaving the tenant. */
async function removalSnapshot(db: Db, member: MemberRow) {
  const [memberships, serviceKeys] = await Promise.all([membershipSnapshot(db, member.id), serviceKeysOf(db, member.id)]);
  return {
    status: member.status,
    isTenantAdmin: member.isTenantAdmin,
    orgs: memberships.map((m) => ({ org: m.org, isAdmin: m.isAdmin })),
    services: serviceKeys,
  };
}

/** Deletes the member row (memberships, service access, group memberships and invitations go with it). */
async function deleteMember(db: Db, actor: Actor, member: MemberRow, orgIdPaths: string[], reason: 'removed' | 'lastMembership') {
  const user = await loadUser(db, member.userId);
  const before = await removalSnapshot(db, member);
  await db.delete(tenantMembers).where(eq(tenantMembers.id, member.id));
  await audit(db, actor, 'member.remove', { memberId: member.id, email: user.email }, orgIdPaths, before, { removed: true, reason });
}

/** Removes a member from the whole tenant (the user identity stays: it may belong to other tenants). */
export async function removeMember(db: Db, actor: Actor, memberId: string): Promise<void> {
  await db.transaction(async (tx) => {
    const { current, orgIdPaths } = await lockLeavingMember(tx, actor, 'member.remove', memberId);
    await deleteMember(tx, actor, current, orgIdPaths, 'removed');
  });
}

/**
 * Removes one org membership. The member's last one removes them from the tenant: that also needs
 * member.remove, and `confirmLastOrg` (else DomainError `confirm_last_org`, so the UI warns first).
 */
export async function removeMembership(
  db: Db,
  actor: Actor,
  membershipId: string,
  options: { confirmLastOrg: boolean },
): Promise<{ removedFromTenant: boolean }> {
  return db.transaction(async (tx) => {
    const { membership, org, member } = await authorize(tx, actor, 'membership.remove', { type: 'membership', id: membershipId });
    // The last membership takes the member out of the tenant: that is member.remove, and its guards.
    const last = (await membershipSnapshot(tx, member.id)).length === 1;
    const leaving = last ? await lockLeavingMember(tx, actor, 'member.remove', member.id) : null;
    if (leaving && !options.confirmLastOrg) throw new DomainError('confirm_last_org', 'users.confirmLastOrg', { org: org.namePath });
    const current = leaving?.current ?? (await lockMember(tx, member.id));
    const all = await membershipSnapshot(tx, member.id);
    if (!all.some((m) => m.id === membership.id)) throw new NotFoundError('membership');
    // Another membership went meanwhile: this one is now the last, which needs the warning first.
    if (all.length === 1 && !leaving) throw new DomainError('confirm_last_org', 'users.confirmLastOrg', { org: org.namePath });
    if (leaving && all.length === 1) {
      await deleteMember(tx, actor, current, leaving.orgIdPaths, 'lastMembership');
      return { removedFromTenant: true };
    }

    await tx.delete(orgMemberships).where(eq(orgMemberships.id, membership.id));
    const user = await loadUser(tx, member.userId);
    await audit(tx, actor, 'membership.remove', { memberId: member.id, email: user.email }, [org.idPath], { org: org.namePath, isAdmin: membership.isAdmin }, null);
    return { removedFromTenant: false };
  });
}

/** Grants or revokes administrator on one org membership (the member then administers that subtree). */
export async function setMembershipAdmin(db: Db, actor: Actor, membershipId: string, isAdmin: boolean): Promise<void> {
  await db.transaction(async (tx) => {
    const { membership, org, member } = await authorize(tx, actor, 'membership.setAdmin', { type: 'membership', id: membershipId });
    const [current] = await tx.select().from(orgMemberships).where(eq(orgMemberships.id, membership.id)).for('update').limit(1);
    if (!current) throw new NotFoundError('membership');
    if (current.isAdmin === isAdmin) return;
    await tx.update(orgMemberships).set({ isAdmin }).where(eq(orgMemberships.id, membership.id));
    const user = await loadUser(tx, member.userId);
    await audit(tx, actor, 'membership.setAdmin', { memberId: member.id, email: user.email }, [org.idPath], { org: org.namePath, isAdmin: current.isAdmin }, { org: org.namePath, isAdmin });
  });
}

/** Makes a member tenant administrator (active members only) or demotes one (never the last active one). */
export async function setTenantAdmin(db: Db, actor: Actor, memberId: string, isTenantAdmin: boolean): Promise<void> {
  await db.transaction(async (tx) => {
    const { member, orgIdPaths } = await authorize(tx, actor, 'member.setTenantAdmin', { type: 'member', id: memberId });
    if (!isTenantAdmin) await assertNotLastTenantAdmin(tx, member.tenantId, member.id);
    const current = await lockMember(tx, member.id);
    if (current.isTenantAdmin === isTenantAdmin) return;
    if (isTenantAdmin && current.status !== 'active') throw new DomainError('not_active', 'users.tenantAdminNotActive');
    await tx.update(tenantMembers).set({ isTenantAdmin }).where(eq(tenantMembers.id, member.id));
    const user = await loadUser(tx, member.userId);
    await audit(tx, actor, 'member.setTenantAdmin', { memberId: member.id, email: user.email }, orgIdPaths, { isTenantAdmin: current.isTenantAdmin }, { isTenantAdmin });
  });
}

/** Sets the member's whole set of services with access (keys of the platform catalog). */
export async function setServiceAccess(db: Db, actor: Actor, memberId: string, serviceKeys: readonly string[]): Promise<void> {
  await db.transaction(async (tx) => {
    const { member, orgIdPaths } = await authorize(tx, actor, 'member.serviceAccess', { type: 'member', id: memberId });
    const wanted = await resolveServices(tx, serviceKeys);
    await lockMember(tx, member.id);
    const before = await serviceKeysOf(tx, member.id);
    const after = wanted.map((s) => s.key);
    if (before.join('\n') === after.join('\n')) return;
    await tx.delete(serviceAccess).where(eq(serviceAccess.memberId, member.id));
    if (wanted.length > 0) {
      await tx.insert(serviceAccess).values(wanted.map((s) => ({ tenantId: member.tenantId, memberId: member.id, serviceId: s.id })));
    }
    const user = await loadUser(tx, member.userId);
    await audit(tx, actor, 'member.serviceAccess', { memberId: member.id, email: user.email }, orgIdPaths, { services: before }, { services: after });
  });
}

// ---------------------------------------------------------------------------------------------
// The user page

export interface MemberProfile {
  memberId: string;
  tenantId: string;
  status: MemberStatus;
  isTenantAdmin: boolean;
  createdAt: Date;
  user: { id: string; email: string; firstName: string; lastName: string; locale: Locale | null; registered: boolean };
  /** The person also belongs to other tenants: names and language are theirs (not editable here). */
  profileShared: boolean;
  isSelf: boolean;
  /** The tenant's last active tenant administrator (cannot be deactivated, removed or demoted). */
  isLastActiveTenantAdmin: boolean;
  /** Only the memberships inside the actor's scope, by org path. */
  memberships: {
    id: string;
    orgId: string;
    orgName: string;
    orgPath: string;
    isAdmin: boolean;
    /** Removing it removes the member from the tenant (it is their only membership). */
    isLast: boolean;
    can: { remove: boolean; setAdmin: boolean };
  }[];
  /** Every catalog service, with this member's access. */
  services: { id: string; key: string; name: string; nameJa: string | null; hasAccess: boolean }[];
  /** The member's groups; null when the actor may not see groups (they are tenant-wide: tenant admins only). */
  groups: { id: string; name: string }[] | null;
  can: {
    edit: boolean;
    /** edit, and the profile is not shared with another tenant. */
    editProfile: boolean;
    deactivate: boolean;
    reactivate: boolean;
    remove: boolean;
    serviceAccess: boolean;
    setTenantAdmin: boolean;
  };
}

/** Everything the user page shows, with what the actor may do (decided from the loaded facts, no extra queries per control). */
export async function loadMemberProfile(db: Db, actor: Actor, memberId: string): Promise<MemberProfile> {
  const { member, orgIdPaths } = await authorize(db, actor, 'member.view', { type: 'member', id: memberId });
  const isActiveTenantAdmin = member.isTenantAdmin && member.status === 'active';
  // Groups are tenant-wide (SPEC §2: groups are not an org admin's); the decision needs no admin paths.
  const seesGroups = decide(subjectOf(actor, []), 'groups.manage', { type: 'tenant', tenantId: member.tenantId }) === 'allow';
  const [user, memberships, catalog, groups, others, activeAdmins, adminIdPaths] = await Promise.all([
    loadUser(db, member.userId),
    db
      .select({
        id: orgMemberships.id,
        orgId: organizations.id,
        orgName: organizations.name,
        orgPath: organizations.namePath,
        idPath: organizations.idPath,
        isAdmin: orgMemberships.isAdmin,
      })
      .from(orgMemberships)
      .innerJoin(organizations, eq(organizations.id, orgMemberships.orgId))
      .where(eq(orgMemberships.memberId, member.id))
      .orderBy(asc(sql`lower(${organizations.namePath})`)),
    db
      .select({ id: services.id, key: services.key, name: services.name, nameJa: services.nameJa, hasAccess: sql<boolean>`${serviceAccess.memberId} is not null` })
      .from(services)
      .leftJoin(serviceAccess, and(eq(serviceAccess.serviceId, services.id), eq(serviceAccess.memberId, member.id)))
      .orderBy(asc(services.name)),
    seesGroups
      ? db
          .select({ id: userGroups.id, name: userGroups.name })
          .from(groupMembers)
          .innerJoin(userGroups, eq(userGroups.id, groupMembers.groupId))
          .where(eq(groupMembers.memberId, member.id))
          .orderBy(asc(sql`lower(${userGroups.name})`))
      : null,
    otherTenantCount(db, member.userId, member.tenantId),
    // Only an active tenant admin can be the last one.
    isActiveTenantAdmin
      ? db
          .select({ n: count() })
          .from(tenantMembers)
          .where(and(eq(tenantMembers.tenantId, member.tenantId), eq(tenantMembers.isTenantAdmin, true), eq(tenantMembers.status, 'active')))
          .then((rows) => rows[0]?.n ?? 0)
      : 0,
    actorAdminIdPaths(db, actor),
  ]);

  const subject: Subject = subjectOf(actor, adminIdPaths);
  const memberResource: Resource = { type: 'member', tenantId: member.tenantId, isTenantAdmin: member.isTenantAdmin, orgIdPaths };
  const allow = (action: Action, resource: Resource) => decide(subject, action, resource) === 'allow';
  const onMember = (action: Action) => allow(action, memberResource);
  const isSelf = actor.memberId === member.id;
  const canRemove = onMember('member.remove') && !isSelf;

  return {
    memberId: member.id,
    tenantId: member.tenantId,
    status: member.status,
    isTenantAdmin: member.isTenantAdmin,
    createdAt: member.createdAt,
    user: {
      id: user.id,
      email: user.email,
      firstName: user.firstName,
      lastName: user.lastName,
      locale: user.locale,
      registered: user.passwordHash !== null,
    },
    profileShared: others > 0,
    isSelf,
    isLastActiveTenantAdmin: isActiveTenantAdmin && activeAdmins <= 1,
    memberships: memberships
      .map((m) => {
        const resource: Resource = { type: 'membership', tenantId: member.tenantId, orgIdPath: m.idPath, memberIsTenantAdmin: member.isTenantAdmin };
        const isLast = memberships.length === 1;
        return {
          id: m.id,
          orgId: m.orgId,
          orgName: m.orgName,
          orgPath: m.orgPath,
          isAdmin: m.isAdmin,
          isLast,
          visible: decide(subject, 'membership.remove', resource) !== 'not_found',
          can: { remove: allow('membership.remove', resource) && (!isLast || canRemove), setAdmin: allow('membership.setAdmin', resource) },
        };
      })
      .filter((m) => m.visible)
      .map(({ visible: _visible, ...m }) => m),
    services: catalog,
    groups,
    can: {
      edit: onMember('member.edit'),
      editProfile: onMember('member.edit') && others === 0,
      deactivate: onMember('member.deactivate') && !isSelf && member.status !== 'deactivated',
      reactivate: onMember('member.reactivate') && member.status === 'deactivated',
      remove: canRemove,
      serviceAccess: onMember('member.serviceAccess'),
      setTenantAdmin: onMember('member.setTenantAdmin'),
    },
  };
}

/** The platform's service catalog (every tenant may grant any service), by name. */
export async function listServiceOptions(db: Db): Promise<{ key: string; name: string; nameJa: string | null }[]> {
  return db.select({ key: services.key, name: services.name, nameJa: services.nameJa }).from(services).orderBy(asc(services.name));
}
