import { and, eq, getTableColumns, like, or, sql, type AnyColumn, type SQL } from 'drizzle-orm';
import { alias } from 'drizzle-orm/pg-core';
import type { Db } from '@/db/client';
import {
  contracts,
  imports,
  organizations,
  orgMemberships,
  tenantMembers,
  tenants,
  userGroups,
  type MemberStatus,
} from '@/db/schema';
import type { Actor } from '@/lib/actor';
import { DomainError, ForbiddenError, NotFoundError } from '@/lib/errors';
import { isUuid } from '@/lib/validation';

/*
 * Authorization: the one place that answers "may this actor do this to this resource" (SPEC §2).
 * Tenant and org always come from the resource loaded by id, never from client input.
 *
 * Rules (★ = a decision beyond the SPEC table):
 * - Nobody acts across tenants: a resource of a tenant the actor is not acting in as an ACTIVE
 *   member is NOT FOUND. Invited or deactivated memberships count as none.
 * - Platform operator: tenant.list/create/delete, catalog.manage, contracts.view, audit.view, on any
 *   tenant. No tenant content unless also tenant admin of that tenant (then judged as such).
 * - Tenant admin: everything in their tenant except tenant.delete and catalog.manage
 *   (contracts.view yes).
 * - Org admin (isAdmin on a membership of org A): scope = A and its descendants, tested as an
 *   idPath prefix WITH the trailing slash ('/root/A/'), never on names (CA__India ≠ CA__Indiana).
 *   - Sees orgs in scope, members with at least one membership in scope, memberships whose org
 *     is in scope; anything else of the tenant is NOT FOUND.
 *   - Never manages orgs (org.create/update/move/delete: FORBIDDEN on orgs they see); org.view ★.
 *   - member.add into an org in scope; membership.remove / membership.setAdmin on a membership
 *     in scope, ★ unless its member is a tenant admin (an org admin never outranks one).
 *   - Member-wide (edit, deactivate, reactivate, serviceAccess, remove): only when EVERY
 *     membership of the target is in scope and the target is not a tenant admin, else FORBIDDEN.
 *   - Never member.setTenantAdmin, groups.manage, contracts.view, catalog.manage, apiTokens.manage,
 *     access.view (effective access reveals groups and contracts, which are tenant-wide).
 *   - import.create yes (rows outside the scope fail later, in the importer); ★ import.view of
 *     imports they uploaded (others NOT FOUND); audit.view yes (the reader filters by subtree).
 *   - ★ Groups and contracts are tenant-wide metadata: FORBIDDEN for org admins, NOT FOUND for
 *     plain members.
 * - Member: only profile.self. Their own tenant answers FORBIDDEN, everything in it NOT FOUND.
 * - ★ List screens check org.view / member.view / import.view / audit.view on the tenant, then
 *   filter rows with `orgInScope` / `memberInScope` from `adminScope`.
 * - Last active tenant admin: `assertNotLastTenantAdmin` (a locked read, so not part of decide).
 *   ★ Removing a member's last org membership removes them from the tenant: callers then also
 *   authorize member.remove and run the guard.
 * - org.move: callers authorize the moved org AND the new parent (both must be in the tenant).
 */

// ---------------------------------------------------------------------------------------------
// Actions and targets

type IdTargetType = 'tenant' | 'org' | 'member' | 'membership' | 'group' | 'import' | 'contract';
export type TargetType = IdTargetType | 'platform' | 'self';

/** What an action may be applied to, by id (`member` = tenant member id). */
export type Target = { type: 'platform' } | { type: 'self' } | { [K in IdTargetType]: { type: K; id: string } }[IdTargetType];

/** Every action and the target types it applies to. */
export const ACTION_TARGETS = {
  'tenant.list': ['platform'], // the operator's tenants screen
  'tenant.create': ['platform'],
  'tenant.delete': ['tenant'],
  'org.view': ['org', 'tenant'],
  'org.create': ['org'], // the parent org
  'org.update': ['org'], // rename, describe, email notifications
  'org.move': ['org'],
  'org.delete': ['org'],
  'member.view': ['member', 'tenant'],
  'member.add': ['org'], // the org the member is added to
  'member.edit': ['member'], // names, locale
  'member.deactivate': ['member'],
  'member.reactivate': ['member'],
  'member.remove': ['member'], // from the whole tenant
  'membership.remove': ['membership'],
  'membership.setAdmin': ['membership'],
  'member.setTenantAdmin': ['member'],
  'member.serviceAccess': ['member'],
  'catalog.manage': ['platform', 'tenant', 'contract'], // services; a tenant's contracts
  'contracts.view': ['tenant', 'contract'],
  'groups.manage': ['tenant', 'group'],
  'apiTokens.manage': ['tenant'], // create, list, revoke the tenant's API tokens
  'access.view': ['tenant', 'member'], // effective access (user page, GET /api/v1/access)
  'import.create': ['tenant'],
  'import.view': ['tenant', 'import'],
  'audit.view': ['platform', 'tenant'],
  'profile.self': ['self'],
} as const satisfies Record<string, readonly TargetType[]>;

export type Action = keyof typeof ACTION_TARGETS;
export const ACTIONS = Object.keys(ACTION_TARGETS) as Action[];

/** The targets an action accepts (checked at compile time by `authorize`). */
export type TargetFor<A extends Action> = Extract<Target, { type: (typeof ACTION_TARGETS)[A][number] }>;

// ---------------------------------------------------------------------------------------------
// Pure decision core

/** Facts about the actor (no DB). */
export interface Subject {
  userId: string;
  isPlatformOperator: boolean;
  /** The actor's membership of the tenant it acts in. */
  membership: {
    tenantId: string;
    memberId: string;
    status: MemberStatus;
    isTenantAdmin: boolean;
    /** idPaths ('/root/…/id/') of the orgs where the member is administrator. */
    adminIdPaths: readonly string[];
  } | null;
}

/** Facts about a resource, as loaded from the DB. */
export type Resource =
  | { type: 'platform' }
  | { type: 'self' }
  | { type: 'tenant'; tenantId: string }
  | { type: 'org'; tenantId: string; idPath: string }
  | { type: 'member'; tenantId: string; isTenantAdmin: boolean; orgIdPaths: readonly string[] }
  | { type: 'membership'; tenantId: string; orgIdPath: string; memberIsTenantAdmin: boolean }
  | { type: 'group'; tenantId: string }
  | { type: 'contract'; tenantId: string }
  | { type: 'import'; tenantId: string; uploadedByUserId: string | null };

export type Decision = 'allow' | 'forbidden' | 'not_found';

const OPERATOR_ACTIONS: ReadonlySet<Action> = new Set([
  'tenant.list',
  'tenant.create',
  'tenant.delete',
  'catalog.manage',
  'contracts.view',
  'audit.view',
]);
const TENANT_ADMIN_DENIED: ReadonlySet<Action> = new Set(['tenant.list', 'tenant.create', 'tenant.delete', 'catalog.manage']);
const MEMBER_WIDE: ReadonlySet<Action> = new Set([
  'member.edit',
  'member.deactivate',
  'member.reactivate',
  'member.serviceAccess',
  'member.remove',
]);
const ORG_ADMIN_ALLOWED_IF_VISIBLE: ReadonlySet<Action> = new Set([
  'org.view',
  'member.view',
  'member.add',
  'import.create',
  'import.view',
  'audit.view',
]);

/** "May this subject do this action to this resource?" over plain facts; throws on an action/target mismatch (a bug). */
export function decide(subject: Subject, action: Action, resource: Resource): Decision {
  const accepted: readonly TargetType[] = ACTION_TARGETS[action];
  if (!accepted.includes(resource.type)) throw new Error(`authz: '${action}' does not apply to a ${resource.type}`);

  if (action === 'profile.self') return 'allow';
  if (subject.isPlatformOperator && OPERATOR_ACTIONS.has(action)) return 'allow';
  if (resource.type === 'platform' || resource.type === 'self') return 'forbidden';

  const m = subject.membership?.status === 'active' ? subject.membership : null;
  if (!m || m.tenantId !== resource.tenantId) return 'not_found';
  if (m.isTenantAdmin) return TENANT_ADMIN_DENIED.has(action) ? 'forbidden' : 'allow';

  // The trailing slash is what keeps /…/India/ from matching /…/Indiana/.
  const prefixes = m.adminIdPaths.map((p) => (p.endsWith('/') ? p : `${p}/`));
  const isAdmin = prefixes.length > 0;
  const inScope = (idPath: string) => prefixes.some((p) => idPath.startsWith(p));

  const visible = (() => {
    switch (resource.type) {
      case 'tenant':
        return true;
      case 'org':
        return inScope(resource.idPath);
      case 'member':
        return resource.orgIdPaths.some(inScope);
      case 'membership':
        return inScope(resource.orgIdPath);
      case 'group':
      case 'contract':
        return isAdmin;
      case 'import':
        return isAdmin && resource.uploadedByUserId === subject.userId;
    }
  })();
  if (!visible) return 'not_found';
  if (!isAdmin) return 'forbidden';

  if (ORG_ADMIN_ALLOWED_IF_VISIBLE.has(action)) return 'allow';
  if (resource.type === 'membership') return resource.memberIsTenantAdmin ? 'forbidden' : 'allow';
  if (resource.type === 'member' && MEMBER_WIDE.has(action)) {
    // A member who also belongs outside the scope is beyond this admin's reach.
    return !resource.isTenantAdmin && resource.orgIdPaths.every(inScope) ? 'allow' : 'forbidden';
  }
  return 'forbidden';
}

/** The decision-core view of an actor, given the idPaths of the orgs it administers. */
export function subjectOf(actor: Actor, adminIdPaths: readonly string[]): Subject {
  return {
    userId: actor.userId,
    isPlatformOperator: actor.isPlatformOperator,
    // loadActor only ever gives a tenant to an active member.
    membership:
      actor.tenant && actor.memberId
        ? {
            tenantId: actor.tenant.id,
            memberId: actor.memberId,
            status: 'active',
            isTenantAdmin: actor.isTenantAdmin,
            adminIdPaths,
          }
        : null,
  };
}

// ---------------------------------------------------------------------------------------------
// DB layer

export type TenantRow = typeof tenants.$inferSelect;
export type OrgRow = typeof organizations.$inferSelect;
export type MemberRow = typeof tenantMembers.$inferSelect;
export type MembershipRow = typeof orgMemberships.$inferSelect;
export type GroupRow = typeof userGroups.$inferSelect;
export type ContractRow = typeof contracts.$inferSelect;
/** An import without its file bytes. */
export type ImportSummary = Omit<typeof imports.$inferSelect, 'fileContent'>;

/** What `authorize` returns per target type: the rows it loaded, so callers need not load them again. */
export interface LoadedTargets {
  platform: { type: 'platform' };
  self: { type: 'self' };
  tenant: { type: 'tenant'; tenant: TenantRow };
  org: { type: 'org'; org: OrgRow };
  member: { type: 'member'; member: MemberRow; orgIdPaths: string[] };
  membership: { type: 'membership'; membership: MembershipRow; org: OrgRow; member: MemberRow };
  group: { type: 'group'; group: GroupRow };
  import: { type: 'import'; import: ImportSummary };
  contract: { type: 'contract'; contract: ContractRow };
}

// Every column but the file itself, which can be megabytes.
const { fileContent: _fileContent, ...importSummaryColumns } = getTableColumns(imports);

type LoadedTarget = { resource: Resource; loaded: LoadedTargets[TargetType] };

/** One query per target: the row, its tenant and the org idPaths that scope it. Null when absent. */
async function loadTarget(db: Db, target: Target): Promise<LoadedTarget | null> {
  if (target.type === 'platform' || target.type === 'self') return { resource: target, loaded: target };
  // A malformed id is just an unknown id (and would otherwise be a PostgreSQL cast error).
  if (!isUuid(target.id)) return null;
  const id = target.id;

  switch (target.type) {
    case 'tenant': {
      const [tenant] = await db.select().from(tenants).where(eq(tenants.id, id)).limit(1);
      return tenant ? { resource: { type: 'tenant', tenantId: tenant.id }, loaded: { type: 'tenant', tenant } } : null;
    }
    case 'org': {
      const [org] = await db.select().from(organizations).where(eq(organizations.id, id)).limit(1);
      return org
        ? { resource: { type: 'org', tenantId: org.tenantId, idPath: org.idPath }, loaded: { type: 'org', org } }
        : null;
    }
    case 'member': {
      const [row] = await db
        .select({
          member: tenantMembers,
          orgIdPaths: sql<string[]>`coalesce(array_agg(${organizations.idPath}) filter (where ${organizations.id} is not null), '{}')`,
        })
        .from(tenantMembers)
        .leftJoin(orgMemberships, eq(orgMemberships.memberId, tenantMembers.id))
        .leftJoin(organizations, eq(organizations.id, orgMemberships.orgId))
        .where(eq(tenantMembers.id, id))
        .groupBy(tenantMembers.id);
      if (!row) return null;
      const { member, orgIdPaths } = row;
      return {
        resource: { type: 'member', tenantId: member.tenantId, isTenantAdmin: member.isTenantAdmin, orgIdPaths },
        loaded: { type: 'member', member, orgIdPaths },
      };
    }
    case 'membership': {
      const [row] = await db
        .select({ membership: orgMemberships, org: organizations, member: tenantMembers })
        .from(orgMemberships)
        .innerJoin(organizations, eq(organizations.id, orgMemberships.orgId))
        .innerJoin(tenantMembers, eq(tenantMembers.id, orgMemberships.memberId))
        .where(eq(orgMemberships.id, id))
        .limit(1);
      if (!row) return null;
      return {
        resource: {
          type: 'membership',
          tenantId: row.membership.tenantId,
          orgIdPath: row.org.idPath,
          memberIsTenantAdmin: row.member.isTenantAdmin,
        },
        loaded: { type: 'membership', ...row },
      };
    }
    case 'group': {
      const [group] = await db.select().from(userGroups).where(eq(userGroups.id, id)).limit(1);
      return group ? { resource: { type: 'group', tenantId: group.tenantId }, loaded: { type: 'group', group } } : null;
    }
    case 'contract': {
      const [contract] = await db.select().from(contracts).where(eq(contracts.id, id)).limit(1);
      return contract
        ? { resource: { type: 'contract', tenantId: contract.tenantId }, loaded: { type: 'contract', contract } }
        : null;
    }
    case 'import': {
      const [row] = await db.select(importSummaryColumns).from(imports).where(eq(imports.id, id)).limit(1);
      return row
        ? {
            resource: { type: 'import', tenantId: row.tenantId, uploadedByUserId: row.uploadedByUserId },
            loaded: { type: 'import', import: row },
          }
        : null;
    }
  }
}

/** idPaths of the orgs where the member is administrator (indexed by org_memberships_member_admin_idx). */
async function loadAdminIdPaths(db: Db, tenantId: string, memberId: string): Promise<string[]> {
  const rows = await db
    .select({ idPath: organizations.idPath })
    .from(orgMemberships)
    .innerJoin(organizations, eq(organizations.id, orgMemberships.orgId))
    .where(and(eq(orgMemberships.memberId, memberId), eq(orgMemberships.tenantId, tenantId), eq(orgMemberships.isAdmin, true)));
  return rows.map((r) => r.idPath);
}

/** Only a member who is not tenant admin is judged by org scope. */
function needsScope(actor: Actor): actor is Actor & { tenant: NonNullable<Actor['tenant']>; memberId: string } {
  return actor.tenant !== null && actor.memberId !== null && !actor.isTenantAdmin;
}

/**
 * Loads the target by id, checks the actor may do `action` to it, and returns the loaded rows.
 * Throws NotFoundError (unknown, other tenant, outside scope) or ForbiddenError (visible, not allowed).
 */
export async function authorize<A extends Action, T extends TargetFor<A>>(
  db: Db,
  actor: Actor,
  action: A,
  target: T,
): Promise<LoadedTargets[T['type']]> {
  // Both reads are independent: issue them together (one round trip on a pipelined connection).
  const [found, adminIdPaths] = await Promise.all([
    loadTarget(db, target),
    needsScope(actor) ? loadAdminIdPaths(db, actor.tenant.id, actor.memberId) : Promise.resolve([]),
  ]);
  if (!found) throw new NotFoundError(target.type);
  const decision = decide(subjectOf(actor, adminIdPaths), action, found.resource);
  if (decision === 'not_found') throw new NotFoundError(target.type);
  if (decision === 'forbidden') throw new ForbiddenError();
  // loadTarget answers with the entry for target.type.
  return found.loaded as LoadedTargets[T['type']];
}

/**
 * Decides from facts a list query already loaded (no query per row): the actor judged within its
 * admin scope, as `authorize` would judge it.
 */
export function decideInScope(actor: Actor, scope: AdminScope, action: Action, resource: Resource): Decision {
  return decide(subjectOf(actor, scope.kind === 'subtrees' ? scope.idPaths : []), action, resource);
}

/** Like `authorize`, as a boolean (for showing or hiding controls). */
export async function can<A extends Action>(db: Db, actor: Actor, action: A, target: TargetFor<A>): Promise<boolean> {
  try {
    await authorize(db, actor, action, target);
    return true;
  } catch (err) {
    if (err instanceof NotFoundError || err instanceof ForbiddenError) return false;
    throw err;
  }
}

// ---------------------------------------------------------------------------------------------
// Scope for list screens

/** Which rows of its tenant an actor administers. */
export type AdminScope =
  | { kind: 'tenant'; tenantId: string }
  | { kind: 'subtrees'; tenantId: string; idPaths: string[] }
  | { kind: 'none' };

/** The actor's administration scope in the tenant it acts in (nested subtrees collapsed). */
export async function adminScope(db: Db, actor: Actor): Promise<AdminScope> {
  if (!actor.tenant || !actor.memberId) return { kind: 'none' };
  if (actor.isTenantAdmin) return { kind: 'tenant', tenantId: actor.tenant.id };
  const paths = await loadAdminIdPaths(db, actor.tenant.id, actor.memberId);
  // Admin of India and of India/HR: India alone covers both.
  const idPaths = [...new Set(paths)].filter((p) => !paths.some((q) => q !== p && p.startsWith(q))).sort();
  return idPaths.length > 0 ? { kind: 'subtrees', tenantId: actor.tenant.id, idPaths } : { kind: 'none' };
}

/** SQL condition: the org row (by its idPath and tenant columns) is inside the scope. */
export function orgInScope(scope: AdminScope, idPath: AnyColumn = organizations.idPath, tenantId: AnyColumn = organizations.tenantId): SQL {
  switch (scope.kind) {
    case 'none':
      return sql`false`;
    case 'tenant':
      return sql`${eq(tenantId, scope.tenantId)}`;
    case 'subtrees':
      // idPaths hold only hex, '-' and '/': no LIKE wildcards to escape. Prefix LIKE uses the text_pattern_ops index.
      return sql`${and(eq(tenantId, scope.tenantId), or(...scope.idPaths.map((p) => like(idPath, `${p}%`))))}`;
  }
}

/** SQL condition: the member (by its id and tenant columns) has at least one membership inside the scope. */
export function memberInScope(scope: AdminScope, memberId: AnyColumn = tenantMembers.id, tenantId: AnyColumn = tenantMembers.tenantId): SQL {
  if (scope.kind === 'none') return sql`false`;
  if (scope.kind === 'tenant') return sql`${eq(tenantId, scope.tenantId)}`;
  // Aliases keep the subquery's tables apart from an outer query on the same tables.
  const m = alias(orgMemberships, 'scope_m');
  const o = alias(organizations, 'scope_o');
  // In a sql template an alias renders as its bare name, so the FROM clause names both.
  return sql`(${eq(tenantId, scope.tenantId)} and exists (select 1 from ${orgMemberships} as ${sql.identifier('scope_m')} inner join ${organizations} as ${sql.identifier('scope_o')} on ${o.id} = ${m.orgId} where ${m.memberId} = ${memberId} and ${orgInScope(scope, o.idPath, o.tenantId)}))`;
}

// ---------------------------------------------------------------------------------------------
// Last tenant admin

/**
 * Refuses (DomainError `last_tenant_admin`) to deactivate, remove or demote the tenant's last
 * ACTIVE tenant admin. Call it inside the caller's transaction, before the write: it locks the
 * tenant's admin rows (FOR UPDATE, in id order) so two admins demoting each other concurrently
 * serialise, and the second one sees the first one's change.
 */
export async function assertNotLastTenantAdmin(db: Db, tenantId: string, memberId: string): Promise<void> {
  // After waiting for a lock, READ COMMITTED re-reads the row: a concurrent demotion or
  // deactivation is seen here. MATERIALIZED keeps the locking CTE from being inlined.
  const [row] = await db.execute<{ blocked: boolean }>(sql`
    with admins as materialized (
      select id, status from ${tenantMembers}
      where tenant_id = ${tenantId} and is_tenant_admin
      order by id
      for update
    )
    select exists (select 1 from admins where id = ${memberId} and status = 'active')
       and not exists (select 1 from admins where id <> ${memberId} and status = 'active') as blocked`);
  if (row?.blocked) throw new DomainError('last_tenant_admin', 'lastTenantAdmin');
}
