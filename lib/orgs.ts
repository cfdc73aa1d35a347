import { and, asc, count, eq, sql } from 'drizzle-orm';
import type { Db } from '@/db/client';
import { organizations, orgMemberships } from '@/db/schema';
import { type AdminScope, orgInScope } from './authz';
import { DomainError } from './errors';
import { checkName, joinPath } from './names';

export type Organization = typeof organizations.$inferSelect;

/** The root org of a tenant (named after the tenant). Paths are derived here, never by callers. */
export async function createRootOrganization(db: Db, tenantId: string, name: string): Promise<Organization> {
  const problem = checkName(name);
  if (problem) throw new DomainError('invalid_name', `names.${problem}`, {}, 'name');
  const id = crypto.randomUUID();
  const [org] = await db
    .insert(organizations)
    .values({ id, tenantId, parentId: null, name, idPath: `/${id}/`, namePath: name, depth: 0 })
    .returning();
  return org!;
}

/** A sub-organization under `parent` (which must be of the same tenant: the schema enforces it). */
export async function insertChildOrganization(
  db: Db,
  parent: Pick<Organization, 'id' | 'tenantId' | 'idPath' | 'namePath' | 'depth'>,
  input: { name: string; description?: string; emailNotifications?: boolean },
): Promise<Organization> {
  const problem = checkName(input.name);
  if (problem) throw new DomainError('invalid_name', `names.${problem}`, {}, 'name');
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
    .orderBy(asc(organizations.depth), asc(sql`lower(${organizations.name})`));

  const byId = new Map<string, OrgTreeNode>();
  const roots: OrgTreeNode[] = [];
  for (const { org, memberCount } of rows) {
    const node: OrgTreeNode = { ...org, memberCount, children: [] };
    byId.set(org.id, node);
    const parent = org.parentId ? byId.get(org.parentId) : undefined;
    if (parent) parent.children.push(node);
    else roots.push(node);
  }
  return roots;
}
