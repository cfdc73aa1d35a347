import { and, asc, count, eq, inArray, like, ne, sql } from 'drizzle-orm';
import type { Db } from '@/db/client';
import { auditEvents, organizations, orgMemberships } from '@/db/schema';
import type { Actor } from './actor';
import { auditActor, recordAudit } from './audit';
import { auditInScope } from './audit-log';
import { type AdminScope, authorize, orgInScope } from './authz';
import { DomainError, NotFoundError, pgError } from './errors';
import { checkName, joinPath, PATH_SEPARATOR } from './names';

export type Organization = typeof organizations.$inferSelect;

/** The root org of a tenant (named after the tenant). Paths are derived here, never by callers. */
export async function createRootOrganization(db: Db, tenantId: string, name: string): Promise<Organization> {
  assertName(name);
  const id = crypto.randomUUID();
  const [org] = await db
    .insert(organizations)
    .values({ id, tenantId, parentId: null, name, idPath: `/${id}/`, namePath: name, depth: 0 })
    .returning();
  return org!;
}

/**
 * A sub-organization under `parent` (of the same tenant: the schema enforces it), for the seed,
 * fixtures and importer: no authorization, no audit, no sibling-name message (the unique indexes
 * still refuse duplicates). In its own transaction (a savepoint inside the caller's) it takes the
 * tree lock and derives the paths from the parent's CURRENT row, so a concurrent move of an
 * ancestor cannot leave the new org with a stale path.
 */
export async function insertChildOrganization(
  db: Db,
  parent: Pick<Organization, 'id' | 'tenantId'>,
  input: { name: string; description?: string; emailNotifications?: boolean },
): Promise<Organization> {
  assertName(input.name);
  return db.transaction(async (tx) => {
    await lockOrgTree(tx, parent.tenantId);
    const [current] = await tx
      .select()
      .from(organizations)
      .where(and(eq(organizations.id, parent.id), eq(organizations.tenantId, parent.tenantId)));
    if (!current) throw new NotFoundError('org');
    return insertChild(tx, current, input);
  });
}

/** Inserts the child row; `parent` must have been read under the tree lock. */
async function insertChild(
  db: Db,
  parent: Pick<Organization, 'id' | 'tenantId' | 'idPath' | 'namePath' | 'depth'>,
  input: { name: string; description?: string; emailNotifications?: boolean },
): Promise<Organization> {
  const id = crypto.randomUUID();
  const [org] = await db
    .insert(organizations)
    .values({
      id,
      tenantId: parent.tenantId,
      parentId: parent.id,
      name: input.name,
      description: input.description ?? '',
      emailNotifications: input.emailNotifications ?? true,
      idPath: `${parent.idPath}${id}/`,
      namePath: joinPath(parent.namePath, input.name),
      depth: parent.depth + 1,
    })
    .returning();
  return org!;
}

/** Finds an org by its path (`CA__India__HR`), case-insensitively, within a tenant. */
export async function findOrganizationByPath(db: Db, tenantId: string, path: string): Promise<Organization | null> {
  const [org] = await db
    .select()
    .from(organizations)
    .where(and(eq(organizations.tenantId, tenantId), eq(sql`lower(${organizations.namePath})`, path.toLowerCase())))
    .limit(1);
  return org ?? null;
}

export interface OrgTreeNode extends Organization {
  memberCount: number;
  children: OrgTreeNode[];
}

/** Parents before children (by depth), siblings by name: the order `linkTree` expects. */
const TREE_ORDER = [asc(organizations.depth), asc(sql`lower(${organizations.name})`)];

/**
 * The orgs of an admin scope as a tree (the whole tenant, or an org admin's subtrees), with
 * direct member counts, in one query; siblings sorted by name. An empty scope is an empty tree.
 */
export async function loadOrgTree(db: Db, scope: AdminScope): Promise<OrgTreeNode[]> {
  const rows = await db
    .select({ org: organizations, memberCount: count(orgMemberships.id) })
    .from(organizations)
    .leftJoin(orgMemberships, eq(orgMemberships.orgId, organizations.id))
    .where(orgInScope(scope))
    .groupBy(organizations.id)
    .orderBy(...TREE_ORDER);
  return linkTree(rows.map(({ org, memberCount }) => ({ ...org, memberCount, children: [] })));
}

/** Links nodes given in TREE_ORDER into trees; a node whose parent is not among them is a root. */
function linkTree<N extends { id: string; parentId: string | null; children: N[] }>(nodes: N[]): N[] {
  const byId = new Map<string, N>();
  const roots: N[] = [];
  for (const node of nodes) {
    byId.set(node.id, node);
    const parent = node.parentId ? byId.get(node.parentId) : undefined;
    if (parent) parent.children.push(node);
    else roots.push(node);
  }
  return roots;
}

// ---------------------------------------------------------------------------------------------
// Tree management (SPEC §2: tenant administrators only; lib/authz decides)

/** The editable fields of an org. */
export interface OrgFields {
  name: string;
  description: string;
  emailNotifications: boolean;
}

export const DESCRIPTION_MAX = 1000;

/** What the audit log keeps of an org, before and after a change. */
/** What the audit log keeps of an org: readable fields only (the path says where it sits; ids are in orgIdPaths). */
function snapshot(org: Organization) {
  return {
    name: org.name,
    namePath: org.namePath,
    description: org.description,
    emailNotifications: org.emailNotifications,
  };
}

function assertName(name: string): void {
  const problem = checkName(name);
  if (problem) throw new DomainError('invalid_name', `names.${problem}`, {}, 'name');
}

function assertDescription(description: string): void {
  if ([...description].length > DESCRIPTION_MAX) {
    throw new DomainError('invalid_description', 'orgs.descriptionTooLong', { max: DESCRIPTION_MAX }, 'description');
  }
}

/**
 * Serialises changes to one tenant's tree: every create, rename, move and delete takes this row
 * lock on the root org first, so checks made afterwards (cycles, sibling names, emptiness) stay
 * true until commit. NO KEY UPDATE does not block inserts that merely reference the root (FKs).
 */
async function lockOrgTree(db: Db, tenantId: string | undefined): Promise<void> {
  if (!tenantId) return;
  await db.execute(sql`select 1 from ${organizations} where ${organizations.tenantId} = ${tenantId} and ${organizations.parentId} is null for no key update`);
}

/**
 * Refuses a name or place that would duplicate an existing path (case-insensitively), checking
 * `newNamePath` alone (a new org), or, with `subtree`, every path of that subtree once its prefix
 * `oldNamePath` becomes `newNamePath` (orgs inside the subtree are not counted). A sibling with
 * the same name is such a clash, and the shallowest: it is named as one (`siblingKey`). Names may
 * start or end with `_`, so `A_` + `B` and `A` + `_B` both read `A___B`: paths can also clash
 * where sibling names do not.
 */
async function assertNoPathClash(
  db: Db,
  parent: Pick<Organization, 'id' | 'tenantId' | 'namePath'>,
  newNamePath: string,
  refusal: { field: string; siblingKey: 'duplicateName' | 'duplicateNameAtDestination' },
  subtree?: { idPath: string; oldNamePath: string },
): Promise<void> {
  const candidates = subtree
    ? sql`select lower(${newNamePath} || substr(s.name_path, ${[...subtree.oldNamePath].length + 1}))
          from ${organizations} s where s.tenant_id = ${parent.tenantId} and s.id_path like ${`${subtree.idPath}%`}`
    : sql`select lower(${newNamePath})`;
  const [clash] = await db
    .select({ name: organizations.name, namePath: organizations.namePath, parentId: organizations.parentId })
    .from(organizations)
    .where(
      and(
        eq(organizations.tenantId, parent.tenantId),
        subtree ? sql`${organizations.idPath} not like ${`${subtree.idPath}%`}` : undefined,
        sql`lower(${organizations.namePath}) in (${candidates})`,
      ),
    )
    .orderBy(asc(organizations.depth))
    .limit(1);
  if (!clash) return;
  // Same parent and same path: the same name (a name never holds the `__` that would make it a descendant's path).
  if (clash.parentId === parent.id) {
    throw new DomainError('org_duplicate_name', `orgs.${refusal.siblingKey}`, { name: clash.name, parent: parent.namePath }, refusal.field);
  }
  throw new DomainError('org_duplicate_path', 'orgs.duplicatePath', { path: clash.namePath }, refusal.field);
}

/**
 * Runs a tree write, turning the unique-index backstops into the same clear messages as the
 * checks made under the tree lock (for writers that do not take it, e.g. raw SQL).
 */
async function withNameConstraints<T>(field: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    const pg = pgError(err);
    if (pg?.code === '23505' && pg.constraint_name === 'organizations_sibling_name_uq') {
      throw new DomainError('org_duplicate_name', 'orgs.duplicateNameConcurrent', {}, field);
    }
    if (pg?.code === '23505' && pg.constraint_name === 'organizations_name_path_uq') {
      throw new DomainError('org_duplicate_path', 'orgs.duplicatePathConcurrent', {}, field);
    }
    throw err;
  }
}

/** The path of an org's parent, from its own path (namePath = parent path + `__` + name). */
function parentNamePath(org: Pick<Organization, 'name' | 'namePath' | 'parentId'>): string | null {
  return org.parentId === null ? null : org.namePath.slice(0, org.namePath.length - org.name.length - PATH_SEPARATOR.length);
}

/** Creates a sub-organization under `parentId` (tenant admins only); audited as `org.create`. */
export async function createOrganization(
  db: Db,
  actor: Actor,
  input: { parentId: string } & OrgFields,
): Promise<Organization> {
  return withNameConstraints('name', () =>
    db.transaction(async (tx) => {
      await lockOrgTree(tx, actor.tenant?.id);
      const { org: parent } = await authorize(tx, actor, 'org.create', { type: 'org', id: input.parentId });
      assertName(input.name);
      assertDescription(input.description);
      await assertNoPathClash(tx, parent, joinPath(parent.namePath, input.name), { field: 'name', siblingKey: 'duplicateName' });

      // The parent was read after the tree lock: its paths are current.
      const org = await insertChild(tx, parent, input);
      await recordAudit(tx, {
        tenantId: org.tenantId,
        actor: auditActor(actor),
        action: 'org.create',
        target: { type: 'org', id: org.id, label: org.namePath },
        orgIdPaths: [org.idPath],
        before: null,
        after: snapshot(org),
      });
      return org;
    }),
  );
}

/**
 * Renames and describes an org; a new name rewrites the path of the org and of every descendant
 * in one statement. The root carries the tenant's name and is not renamed here. Audited as `org.update`.
 */
export async function updateOrganization(db: Db, actor: Actor, orgId: string, input: OrgFields): Promise<Organization> {
  return withNameConstraints('name', () =>
    db.transaction(async (tx) => {
      await lockOrgTree(tx, actor.tenant?.id);
      const { org } = await authorize(tx, actor, 'org.update', { type: 'org', id: orgId });
      const renamed = input.name !== org.name;
      if (renamed && org.parentId === null) throw new DomainError('org_root_rename', 'orgs.rootRename', {}, 'name');
      assertName(input.name);
      assertDescription(input.description);
      if (!renamed && input.description === org.description && input.emailNotifications === org.emailNotifications) return org;

      let namePath = org.namePath;
      if (renamed && org.parentId !== null) {
        const parent = { id: org.parentId, tenantId: org.tenantId, namePath: parentNamePath(org) ?? '' };
        namePath = joinPath(parent.namePath, input.name);
        await assertNoPathClash(tx, parent, namePath, { field: 'name', siblingKey: 'duplicateName' }, { idPath: org.idPath, oldNamePath: org.namePath });
        // Descendants keep their own names; only the prefix changes.
        await tx
          .update(organizations)
          .set({ namePath: sql`${namePath} || substr(${organizations.namePath}, ${[...org.namePath].length + 1})`, updatedAt: sql`now()` })
          .where(and(eq(organizations.tenantId, org.tenantId), like(organizations.idPath, `${org.idPath}%`), ne(organizations.id, org.id)));
      }
      const [updated] = await tx
        .update(organizations)
        .set({ name: input.name, namePath, description: input.description, emailNotifications: input.emailNotifications, updatedAt: sql`now()` })
        .where(eq(organizations.id, org.id))
        .returning();
      await recordAudit(tx, {
        tenantId: org.tenantId,
        actor: auditActor(actor),
        action: 'org.update',
        target: { type: 'org', id: org.id, label: updated!.namePath },
        orgIdPaths: [org.idPath],
        before: snapshot(org),
        after: snapshot(updated!),
      });
      return updated!;
    }),
  );
}

/**
 * Moves an org (with its whole subtree) under `newParentId`, never under itself or a descendant;
 * idPath, namePath and depth of the subtree are rewritten in one statement. Audited as `org.move`.
 */
export async function moveOrganization(db: Db, actor: Actor, orgId: string, newParentId: string): Promise<Organization> {
  return withNameConstraints('parentId', () =>
    db.transaction(async (tx) => {
      // The tree lock makes the cycle check below hold until commit: two crossing moves serialise,
      // and the second one reads the first one's paths.
      await lockOrgTree(tx, actor.tenant?.id);
      const { org } = await authorize(tx, actor, 'org.move', { type: 'org', id: orgId });
      const { org: parent } = await authorize(tx, actor, 'org.create', { type: 'org', id: newParentId });
      if (org.parentId === null) throw new DomainError('org_root_move', 'orgs.rootMove', {}, 'parentId');
      if (parent.idPath.startsWith(org.idPath)) throw new DomainError('org_move_cycle', 'orgs.moveUnderItself', {}, 'parentId');
      if (parent.id === org.parentId) return org;

      const idPath = `${parent.idPath}${org.id}/`;
      const namePath = joinPath(parent.namePath, org.name);
      await assertNoPathClash(tx, parent, namePath, { field: 'parentId', siblingKey: 'duplicateNameAtDestination' }, { idPath: org.idPath, oldNamePath: org.namePath });

      // Lock the subtree in a stable order before rewriting it (other writers lock rows by id too).
      await tx.execute(sql`select 1 from ${organizations} where ${organizations.tenantId} = ${org.tenantId} and ${organizations.idPath} like ${`${org.idPath}%`} order by ${organizations.id} for update`);
      const oldParentIdPath = org.idPath.slice(0, org.idPath.length - org.id.length - 1);
      await tx
        .update(organizations)
        .set({
          idPath: sql`${idPath} || substr(${organizations.idPath}, ${org.idPath.length + 1})`,
          namePath: sql`${namePath} || substr(${organizations.namePath}, ${[...org.namePath].length + 1})`,
          depth: sql`${organizations.depth} + ${parent.depth + 1 - org.depth}`,
          parentId: sql`case when ${organizations.id} = ${org.id} then ${parent.id}::uuid else ${organizations.parentId} end`,
          updatedAt: sql`now()`,
        })
        .where(and(eq(organizations.tenantId, org.tenantId), like(organizations.idPath, `${org.idPath}%`)));
      const [moved] = await tx.select().from(organizations).where(eq(organizations.id, org.id));
      await recordAudit(tx, {
        tenantId: org.tenantId,
        actor: auditActor(actor),
        action: 'org.move',
        target: { type: 'org', id: org.id, label: moved!.namePath },
        // Admins of the old and of the new place both see the move.
        orgIdPaths: [...new Set([org.idPath, moved!.idPath, oldParentIdPath, parent.idPath])],
        before: snapshot(org),
        after: snapshot(moved!),
      });
      return moved!;
    }),
  );
}

/**
 * Deletes an empty org (no sub-organizations, no members); otherwise says what blocks it, with
 * counts. The root is never deleted. Audited as `org.delete`.
 */
export async function deleteOrganization(db: Db, actor: Actor, orgId: string): Promise<Organization> {
  return db.transaction(async (tx) => {
    await lockOrgTree(tx, actor.tenant?.id);
    const { org } = await authorize(tx, actor, 'org.delete', { type: 'org', id: orgId });
    if (org.parentId === null) throw new DomainError('org_root_delete', 'orgs.rootDelete');
    // Locking the row first makes a membership being added right now finish (or wait) before we count.
    await tx.execute(sql`select 1 from ${organizations} where ${organizations.id} = ${org.id} for update`);
    const [counts] = await tx.execute<{ children: number; members: number }>(sql`
      select (select count(*)::int from ${organizations} where ${organizations.parentId} = ${org.id}) as children,
             (select count(*)::int from ${orgMemberships} where ${orgMemberships.orgId} = ${org.id}) as members`);
    const { children = 0, members = 0 } = counts ?? {};
    if (children > 0 || members > 0) {
      const key = children > 0 && members > 0 ? 'deleteBlockedBoth' : children > 0 ? 'deleteBlockedChildren' : 'deleteBlockedMembers';
      throw new DomainError('org_not_empty', `orgs.${key}`, { name: org.namePath, children, members });
    }
    await tx.delete(organizations).where(eq(organizations.id, org.id));
    await recordAudit(tx, {
      tenantId: org.tenantId,
      actor: auditActor(actor),
      action: 'org.delete',
      target: { type: 'org', id: org.id, label: org.namePath },
      orgIdPaths: [org.idPath],
      before: snapshot(org),
      after: null,
    });
    return org;
  });
}

// ---------------------------------------------------------------------------------------------
// Reads for the org screens

/** An org with its number of direct sub-organizations and direct members. */
export interface OrgSummary extends Organization {
  childCount: number;
  memberCount: number;
}

// Spelled out: drizzle leaves columns unqualified in single-table selects, which would bind them to the subquery's own table.
const childCount = sql<number>`(select count(*)::int from organizations c where c.parent_id = "organizations"."id")`;
const directMemberCount = sql<number>`(select count(*)::int from org_memberships m where m.org_id = "organizations"."id")`;

/** The ancestors of an org, root first (from its idPath, one query). */
export async function loadOrgAncestors(db: Db, org: Pick<Organization, 'tenantId' | 'idPath'>): Promise<Organization[]> {
  const ids = org.idPath.split('/').filter(Boolean).slice(0, -1);
  if (ids.length === 0) return [];
  return db
    .select()
    .from(organizations)
    .where(and(eq(organizations.tenantId, org.tenantId), inArray(organizations.id, ids)))
    .orderBy(asc(organizations.depth));
}

/** An org's page: the org (if the actor may view it), its ancestors and its sub-organizations, with counts. */
export async function loadOrganizationDetails(
  db: Db,
  actor: Actor,
  orgId: string,
): Promise<{ org: OrgSummary; ancestors: Organization[]; children: OrgSummary[] }> {
  const { org } = await authorize(db, actor, 'org.view', { type: 'org', id: orgId });
  const [[own], ancestors, children] = await Promise.all([
    db.select({ childCount, memberCount: directMemberCount }).from(organizations).where(eq(organizations.id, org.id)),
    loadOrgAncestors(db, org),
    db
      .select({ org: organizations, childCount, memberCount: directMemberCount })
      .from(organizations)
      .where(and(eq(organizations.tenantId, org.tenantId), eq(organizations.parentId, org.id)))
      .orderBy(asc(sql`lower(${organizations.name})`)),
  ]);
  return {
    org: { ...org, childCount: own?.childCount ?? 0, memberCount: own?.memberCount ?? 0 },
    ancestors,
    children: children.map((c) => ({ ...c.org, childCount: c.childCount, memberCount: c.memberCount })),
  };
}

/**
 * The path of a deleted org as its `org.delete` audit entry records it, when that entry is
 * visible in `scope`; null otherwise. Pages announce a deletion from this, never from the URL,
 * so a crafted link cannot make the app claim that something was deleted.
 */
export async function deletedOrgPath(db: Db, scope: AdminScope, orgId: string): Promise<string | null> {
  const [row] = await db
    .select({ path: auditEvents.targetLabel })
    .from(auditEvents)
    .where(and(auditInScope(scope), eq(auditEvents.action, 'org.delete'), eq(auditEvents.targetType, 'org'), eq(auditEvents.targetId, orgId)))
    .limit(1);
  return row?.path ?? null;
}

/** The tree's nodes depth-first (parents before children, siblings by name): the order of org selects. */
export function flattenOrgTree<N extends { children: N[] }>(roots: N[]): N[] {
  const out: N[] = [];
  const walk = (node: N) => {
    out.push(node);
    node.children.forEach(walk);
  };
  roots.forEach(walk);
  return out;
}

/**
 * Where `org` may move, in tree order (depth-first, siblings by name): every org of the scope but
 * itself, its descendants and its current parent. One query without member counts.
 */
export async function loadMoveTargets(db: Db, scope: AdminScope, org: Pick<Organization, 'idPath' | 'parentId'>): Promise<Organization[]> {
  type Node = Organization & { children: Node[] };
  const rows = await db.select().from(organizations).where(orgInScope(scope)).orderBy(...TREE_ORDER);
  const nodes = flattenOrgTree(linkTree(rows.map((o): Node => ({ ...o, children: [] }))));
  return nodes.filter((n) => !n.idPath.startsWith(org.idPath) && n.id !== org.parentId);
}
