import { and, asc, eq, inArray, sql } from 'drizzle-orm';
import type { Db } from '@/db/client';
import { auditEvents, groupContractPermissions, groupMembers, groupServicePermissions, tenantMembers, userGroups, users } from '@/db/schema';
import type { Actor } from './actor';
import { auditActor, recordAudit } from './audit';
import { authorize, type GroupRow } from './authz';
import { DomainError, NotFoundError, pgError } from './errors';
import { escapeLike } from './member-list';
import { checkName } from './names';
import { isUuid } from '@/lib/validation';

/*
 * User groups (SPEC §1, §3.4): per tenant, a name (validated like org names, unique per tenant
 * ignoring case), a description and members. Tenant administrators only (`groups.manage`: org
 * admins are refused, plain members and other tenants get "not found"); every change is audited
 * with readable before → after. Group permissions live in lib/group-permissions.
 */

export type Group = GroupRow;

export interface GroupFields {
  name: string;
  description: string;
}

export const GROUP_DESCRIPTION_MAX = 1000;
/** Most members one add or remove may name (a page of the picker holds at most 200). */
export const GROUP_BULK_MAX = 1000;
export const GROUP_PAGE_SIZE = 25;
/** Longer search strings are cut (a group name has at most 64 characters). */
const MAX_QUERY_LENGTH = 64;

/** What the audit log keeps of a group. */
function snapshot(group: Pick<Group, 'name' | 'description'>) {
  return { name: group.name, description: group.description };
}

function assertFields(input: GroupFields): void {
  const problem = checkName(input.name);
  // The same messages as org names (lib/names is shared).
  if (problem) throw new DomainError('invalid_name', `names.${problem}`, {}, 'name');
  if ([...input.description].length > GROUP_DESCRIPTION_MAX) {
    throw new DomainError('invalid_description', 'groups.errors.descriptionTooLong', { max: GROUP_DESCRIPTION_MAX }, 'description');
  }
}

/** Refuses a name another group of the tenant has, ignoring case (as the unique index compares). */
async function assertNameFree(db: Db, tenantId: string, name: string, exceptId?: string): Promise<void> {
  const [taken] = await db
    .select({ name: userGroups.name })
    .from(userGroups)
    .where(
      and(
        eq(userGroups.tenantId, tenantId),
        eq(sql`lower(${userGroups.name})`, sql`lower(${name})`),
        exceptId ? sql`${userGroups.id} <> ${exceptId}` : undefined,
      ),
    )
    .limit(1);
  if (taken) throw new DomainError('group_name_taken', 'groups.errors.nameTaken', { name: taken.name }, 'name');
}

/** A concurrent create or rename that won the race gets the same clear message as the check. */
async function withNameConstraint<T>(name: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    const pg = pgError(err);
    if (pg?.code === '23505' && pg.constraint_name === 'user_groups_tenant_name_uq') {
      throw new DomainError('group_name_taken', 'groups.errors.nameTaken', { name }, 'name');
    }
    throw err;
  }
}

/** The tenant the actor acts in, authorized for group management (tenant admins only). */
async function authorizeTenant(db: Db, actor: Actor): Promise<string> {
  // No tenant (a platform page): nothing of any tenant is visible.
  if (!actor.tenant) throw new NotFoundError('tenant');
  const { tenant } = await authorize(db, actor, 'groups.manage', { type: 'tenant', id: actor.tenant.id });
  return tenant.id;
}

/**
 * Authorizes `groups.manage` on the group and locks its row until commit: `update` to delete it,
 * `no key update` to rename it, `key share` to change its members (a delete then waits for us, a
 * rename does not). A group deleted meanwhile is not found.
 */
async function authorizeGroupLocked(tx: Db, actor: Actor, groupId: string, lock: 'update' | 'no key update' | 'key share'): Promise<Group> {
  await authorize(tx, actor, 'groups.manage', { type: 'group', id: groupId });
  const [group] = await tx.select().from(userGroups).where(eq(userGroups.id, groupId)).for(lock);
  if (!group) throw new NotFoundError('group');
  return group;
}

/** Creates a group in the actor's tenant (tenant admins only); audited as `group.create`. */
export async function createGroup(db: Db, actor: Actor, input: GroupFields): Promise<Group> {
  return withNameConstraint(input.name, () =>
    db.transaction(async (tx) => {
      const tenantId = await authorizeTenant(tx, actor);
      assertFields(input);
      await assertNameFree(tx, tenantId, input.name);
      const [group] = await tx.insert(userGroups).values({ tenantId, name: input.name, description: input.description }).returning();
      await recordAudit(tx, {
        tenantId,
        actor: auditActor(actor),
        action: 'group.create',
        target: { type: 'group', id: group!.id, label: group!.name },
        before: null,
        after: snapshot(group!),
      });
      return group!;
    }),
  );
}

/** Renames and describes a group; audited as `group.update` (nothing recorded when nothing changed). */
export async function updateGroup(db: Db, actor: Actor, groupId: string, input: GroupFields): Promise<Group> {
  return withNameConstraint(input.name, () =>
    db.transaction(async (tx) => {
      const group = await authorizeGroupLocked(tx, actor, groupId, 'no key update');
      assertFields(input);
      if (input.name === group.name && input.description === group.description) return group;
      // Changing only the case of its own name is allowed (the check skips the group itself).
      if (input.name !== group.name) await assertNameFree(tx, group.tenantId, input.name, group.id);
      const [updated] = await tx
        .update(userGroups)
        .set({ name: input.name, description: input.description, updatedAt: sql`now()` })
        .where(eq(userGroups.id, group.id))
        .returning();
      await recordAudit(tx, {
        tenantId: group.tenantId,
        actor: auditActor(actor),
        action: 'group.update',
        target: { type: 'group', id: group.id, label: updated!.name },
        before: snapshot(group),
        after: snapshot(updated!),
      });
      return updated!;
    }),
  );
}

/** A group with what deleting it would take along. */
export interface GroupDetails extends Group {
  memberCount: number;
  /** Service-wide entries plus per-contract entries of its permission form. */
  permissionCount: number;
}

async function groupCounts(db: Db, groupId: string): Promise<{ memberCount: number; permissionCount: number }> {
  const [row] = await db.execute<{ memberCount: number; permissionCount: number }>(sql`
    select (select count(*)::int from ${groupMembers} where ${groupMembers.groupId} = ${groupId}) as "memberCount",
           (select count(*)::int from ${groupServicePermissions} where ${groupServicePermissions.groupId} = ${groupId})
         + (select count(*)::int from ${groupContractPermissions} where ${groupContractPermissions.groupId} = ${groupId}) as "permissionCount"`);
  return { memberCount: row?.memberCount ?? 0, permissionCount: row?.permissionCount ?? 0 };
}

/** The group page's group, with its member and permission counts (tenant admins only). */
export async function loadGroup(db: Db, actor: Actor, groupId: string): Promise<GroupDetails> {
  const { group } = await authorize(db, actor, 'groups.manage', { type: 'group', id: groupId });
  return { ...group, ...(await groupCounts(db, group.id)) };
}

/**
 * Deletes a group with its memberships and permissions (the database cascades them); returns what
 * went with it. Audited as `group.delete`, with the counts.
 */
export async function deleteGroup(db: Db, actor: Actor, groupId: string): Promise<GroupDetails> {
  return db.transaction(async (tx) => {
    // The row lock makes members being added right now finish (or wait) before we count.
    const group = await authorizeGroupLocked(tx, actor, groupId, 'update');
    const counts = await groupCounts(tx, group.id);
    await tx.delete(userGroups).where(eq(userGroups.id, group.id));
    await recordAudit(tx, {
      tenantId: group.tenantId,
      actor: auditActor(actor),
      action: 'group.delete',
      target: { type: 'group', id: group.id, label: group.name },
      before: { ...snapshot(group), members: counts.memberCount, permissions: counts.permissionCount },
      after: null,
    });
    return { ...group, ...counts };
  });
}

/**
 * The name of a deleted group as its `group.delete` audit entry records it, for the actor's tenant
 * (tenant admins only); null otherwise. Pages announce a deletion from this, never from the URL.
 */
export async function deletedGroupName(db: Db, actor: Actor, groupId: string): Promise<string | null> {
  if (!isUuid(groupId)) return null;
  const tenantId = await authorizeTenant(db, actor);
  const [row] = await db
    .select({ name: auditEvents.targetLabel })
    .from(auditEvents)
    .where(and(eq(auditEvents.tenantId, tenantId), eq(auditEvents.action, 'group.delete'), eq(auditEvents.targetType, 'group'), eq(auditEvents.targetId, groupId)))
    .limit(1);
  return row?.name ?? null;
}

export interface GroupListQuery {
  /** Part of the name (case-insensitive; wildcards are literal). */
  q?: string;
  page?: number;
  pageSize?: number;
}

export interface GroupSummary {
  id: string;
  name: string;
  description: string;
  memberCount: number;
}

export interface GroupListResult {
  rows: GroupSummary[];
  total: number;
  page: number;
  pageSize: number;
}

/** The tenant's groups by name, with member counts; `q` matches anywhere in the name. */
export async function listGroups(db: Db, actor: Actor, query: GroupListQuery = {}): Promise<GroupListResult> {
  const tenantId = await authorizeTenant(db, actor);
  const pageSize = Math.min(200, Math.max(1, Math.trunc(query.pageSize ?? GROUP_PAGE_SIZE)));
  const page = Math.max(1, Math.trunc(query.page ?? 1));
  const q = (query.q ?? '').normalize('NFKC').trim().slice(0, MAX_QUERY_LENGTH).toLowerCase();
  const where = and(eq(userGroups.tenantId, tenantId), q ? sql`lower(${userGroups.name}) like ${`%${escapeLike(q)}%`}` : undefined);
  // A tenant has tens or hundreds of groups: one statement counts and pages them.
  const rows = await db
    .select({
      id: userGroups.id,
      name: userGroups.name,
      description: userGroups.description,
      memberCount: sql<number>`(select count(*)::int from ${groupMembers} where ${groupMembers.groupId} = ${userGroups.id})`,
      total: sql<number>`count(*) over ()::int`,
    })
    .from(userGroups)
    .where(where)
    .orderBy(asc(sql`lower(${userGroups.name})`), asc(userGroups.id))
    .limit(pageSize)
    .offset((page - 1) * pageSize);
  let total = rows[0]?.total;
  if (total === undefined) {
    // Past the last page: no row carries the total.
    total = page > 1 ? ((await db.select({ n: sql<number>`count(*)::int` }).from(userGroups).where(where))[0]?.n ?? 0) : 0;
  }
  return { rows: rows.map(({ total: _total, ...r }) => r), total, page, pageSize };
}

/** Every group of the actor's tenant (id, name) by name: the user page's "Add to group" choices. */
export async function listGroupOptions(db: Db, actor: Actor): Promise<{ id: string; name: string }[]> {
  const tenantId = await authorizeTenant(db, actor);
  return db
    .select({ id: userGroups.id, name: userGroups.name })
    .from(userGroups)
    .where(eq(userGroups.tenantId, tenantId))
    .orderBy(asc(sql`lower(${userGroups.name})`), asc(userGroups.id));
}

/**
 * The named members of the group's tenant, with their emails (for the audit). Unknown, malformed
 * and other tenants' ids are NotFound, so a bulk change is all or nothing.
 */
async function resolveMembers(db: Db, tenantId: string, memberIds: readonly string[]): Promise<{ id: string; email: string }[]> {
  const ids = [...new Set(memberIds.map((id) => id.toLowerCase()))];
  if (ids.length === 0) throw new DomainError('no_members', 'groups.errors.noneSelected');
  if (ids.length > GROUP_BULK_MAX) throw new DomainError('too_many', 'groups.errors.tooMany', { max: GROUP_BULK_MAX });
  if (!ids.every((id) => isUuid(id))) throw new NotFoundError('member');
  const rows = await db
    .select({ id: tenantMembers.id, email: users.email })
    .from(tenantMembers)
    .innerJoin(users, eq(users.id, tenantMembers.userId))
    .where(and(eq(tenantMembers.tenantId, tenantId), inArray(tenantMembers.id, ids)));
  if (rows.length !== ids.length) throw new NotFoundError('member');
  return rows;
}

export interface GroupMembersChange {
  group: Group;
  /** Members whose membership changed (added, or removed). */
  changed: number;
  /** Named members that were already in (add) or not in (remove) the group. */
  unchanged: number;
}

/**
 * Adds members to a group in one transaction; members already in it stay as they are. Any id that
 * is not a member of the group's tenant refuses the whole call (NotFound, nothing changed).
 * Audited as `group.addMembers` with the emails actually added.
 */
export async function addGroupMembers(db: Db, actor: Actor, groupId: string, memberIds: readonly string[]): Promise<GroupMembersChange> {
  return db.transaction(async (tx) => {
    const group = await authorizeGroupLocked(tx, actor, groupId, 'key share');
    const members = await resolveMembers(tx, group.tenantId, memberIds);
    const added = await tx
      .insert(groupMembers)
      .values(members.map((m) => ({ tenantId: group.tenantId, groupId: group.id, memberId: m.id })))
      .onConflictDoNothing()
      .returning({ memberId: groupMembers.memberId });
    if (added.length > 0) {
      const addedIds = new Set(added.map((a) => a.memberId));
      const emails = members.filter((m) => addedIds.has(m.id)).map((m) => m.email).sort();
      await recordAudit(tx, {
        tenantId: group.tenantId,
        actor: auditActor(actor),
        action: 'group.addMembers',
        target: { type: 'group', id: group.id, label: group.name },
        before: null,
        after: { members: emails, count: emails.length },
      });
    }
    return { group, changed: added.length, unchanged: members.length - added.length };
  });
}

/**
 * Removes members from a group in one transaction; named members who are not in it are ignored.
 * Any id that is not a member of the group's tenant refuses the whole call (NotFound, nothing
 * changed). Audited as `group.removeMembers` with the emails actually removed.
 */
export async function removeGroupMembers(db: Db, actor: Actor, groupId: string, memberIds: readonly string[]): Promise<GroupMembersChange> {
  return db.transaction(async (tx) => {
    const group = await authorizeGroupLocked(tx, actor, groupId, 'key share');
    const members = await resolveMembers(tx, group.tenantId, memberIds);
    const removed = await tx
      .delete(groupMembers)
      .where(and(eq(groupMembers.groupId, group.id), inArray(groupMembers.memberId, members.map((m) => m.id))))
      .returning({ memberId: groupMembers.memberId });
    if (removed.length > 0) {
      const removedIds = new Set(removed.map((r) => r.memberId));
      const emails = members.filter((m) => removedIds.has(m.id)).map((m) => m.email).sort();
      await recordAudit(tx, {
        tenantId: group.tenantId,
        actor: auditActor(actor),
        action: 'group.removeMembers',
        target: { type: 'group', id: group.id, label: group.name },
        before: { members: emails, count: emails.length },
        after: null,
      });
    }
    return { group, changed: removed.length, unchanged: members.length - removed.length };
  });
}

/** From a user's page: puts one member in a group (same rules and audit as `addGroupMembers`). */
export function addMemberToGroup(db: Db, actor: Actor, groupId: string, memberId: string): Promise<GroupMembersChange> {
  return addGroupMembers(db, actor, groupId, [memberId]);
}

/** From a user's page: takes one member out of a group (same rules and audit as `removeGroupMembers`). */
export function removeMemberFromGroup(db: Db, actor: Actor, groupId: string, memberId: string): Promise<GroupMembersChange> {
  return removeGroupMembers(db, actor, groupId, [memberId]);
}
